/**
 * The tokenizer worker and the bounded queue in front of it: one job in the worker at a time, each with a
 * deadline, the worker started on the first job, restarted after a failure, and stopped when idle.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import type { WorkerJob, WorkerReply } from "./tokenizer_worker.ts";

/** How a job ended. */
export type QueueOutcome =
  | { kind: "counted"; counts: number[] }
  /** The queue already held its maximum of jobs; the job was not queued. */
  | { kind: "full" }
  /** The deadline passed, queued or in the worker. */
  | { kind: "timeout" }
  /** The worker failed: an error thrown in it, or it exited. */
  | { kind: "failed"; reason: string }
  /** The caller's signal aborted while the job waited. */
  | { kind: "aborted" };

/** Options for {@linkcode createTokenizerQueue}. */
export interface TokenizerQueueOptions {
  /** The worker's program (see `tokenizerWorkerUrl`). */
  url: URL;
  /** Jobs waiting or running at most. */
  maxJobs: number;
  /** A job's deadline, from when it is queued. */
  timeoutMs: number;
  /** An idle worker is stopped after this, to give back its memory. */
  idleMs: number;
}

/** The queue: see {@linkcode createTokenizerQueue}. */
export interface TokenizerQueue {
  /** Counts each text, its pieces at most `max` characters long; never rejects. */
  run(texts: string[], max: number, signal?: AbortSignal): Promise<QueueOutcome>;
  /** Jobs waiting or running, and whether a worker is alive. */
  status(): { jobs: number; worker: boolean };
  /** Stops the worker; jobs in flight end as failed. */
  close(): void;
}

interface Job {
  id: number;
  texts: string[];
  max: number;
  /** Answers the caller; later calls do nothing. */
  resolve(outcome: QueueOutcome): void;
  /** Clears the job's timer and abort listener once it has left the queue and the worker. */
  done(): void;
}

/**
 * Creates the queue. Its worker never keeps the process alive while idle, so a server that stops
 * serving exits without closing it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenizerWorkerUrl } from "./tokenizer_worker.ts";
 *
 * const queue = createTokenizerQueue({ url: tokenizerWorkerUrl(), maxJobs: 4, timeoutMs: 30_000, idleMs: 1000 });
 * const outcome = await queue.run(["Hello, world"], 256);
 * assert.deepEqual(outcome, { kind: "counted", counts: [3] });
 * queue.close();
 * ```
 */
export function createTokenizerQueue(options: TokenizerQueueOptions): TokenizerQueue {
  return new _Queue(options);
}

class _Queue implements TokenizerQueue {
  #options: TokenizerQueueOptions;
  #waiting: Job[] = [];
  #current: Job | undefined;
  #worker: Worker | undefined;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;

  constructor(options: TokenizerQueueOptions) {
    this.#options = options;
  }

  run(texts: string[], max: number, signal?: AbortSignal): Promise<QueueOutcome> {
    if (this.#waiting.length + (this.#current ? 1 : 0) >= this.#options.maxJobs) {
      return Promise.resolve({ kind: "full" });
    }
    if (signal?.aborted) return Promise.resolve({ kind: "aborted" });
    const { promise, resolve } = Promise.withResolvers<QueueOutcome>();
    const job: Job = { id: this.#nextId++, texts, max, resolve, done: () => {} };
    const onAbort = () => {
      // A job the worker has started runs on under its deadline (the worker cannot be interrupted
      // short of a restart); one still waiting is dropped.
      if (this.#current === job) resolve({ kind: "aborted" });
      else this.#leave(job, { kind: "aborted" });
    };
    const timer = setTimeout(() => {
      if (this.#current !== job) return this.#leave(job, { kind: "timeout" });
      // The worker is busy with this job and would stay busy: a new one serves the jobs behind it.
      this.#stop();
      this.#finish({ kind: "timeout" });
    }, this.#options.timeoutMs);
    job.done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#waiting.push(job);
    this.#pump();
    return promise;
  }

  status(): { jobs: number; worker: boolean } {
    return { jobs: this.#waiting.length + (this.#current ? 1 : 0), worker: this.#worker !== undefined };
  }

  close(): void {
    clearTimeout(this.#idle);
    this.#idle = undefined;
    this.#stop();
    const reason = "the tokenizer was closed";
    for (const job of this.#waiting.splice(0)) this.#leave(job, { kind: "failed", reason });
    if (this.#current) this.#finish({ kind: "failed", reason });
  }

  #start(): Worker {
    const w = new Worker(this.#options.url, { name: "relayx-tokenizer" });
    w.on("message", (reply: WorkerReply) => {
      if (w !== this.#worker || reply.id !== this.#current?.id) return;
      this.#finish(
        "counts" in reply
          ? { kind: "counted", counts: reply.counts }
          : { kind: "failed", reason: `the tokenizer threw ${reply.error}` },
      );
    });
    const fail = (reason: string) => {
      if (w !== this.#worker) return;
      this.#stop();
      this.#finish({ kind: "failed", reason });
    };
    w.on("error", (err: unknown) => fail(`the tokenizer worker failed (${errorName(err)})`));
    w.on("exit", (code: number) => fail(`the tokenizer worker exited with code ${code}`));
    return w;
  }

  #stop(): void {
    const w = this.#worker;
    if (!w) return;
    this.#worker = undefined;
    w.removeAllListeners();
    // An EventEmitter throws an "error" that no one listens to: one may still come while it stops.
    w.on("error", () => {});
    void w.terminate();
  }

  // The job in the worker is over: answer it and start the next.
  #finish(outcome: QueueOutcome): void {
    const job = this.#current;
    this.#current = undefined;
    job?.done();
    job?.resolve(outcome);
    this.#pump();
  }

  // A job leaves the queue before reaching the worker.
  #leave(job: Job, outcome: QueueOutcome): void {
    const at = this.#waiting.indexOf(job);
    if (at >= 0) this.#waiting.splice(at, 1);
    job.done();
    job.resolve(outcome);
  }

  #pump(): void {
    if (this.#current) return;
    const job = this.#waiting.shift();
    if (!job) return this.#rest();
    clearTimeout(this.#idle);
    this.#idle = undefined;
    this.#worker ??= this.#start();
    // Referenced while it works, so that a script awaiting a count does not exit under it.
    this.#worker.ref();
    this.#current = job;
    this.#worker.postMessage({ id: job.id, texts: job.texts, max: job.max } satisfies WorkerJob);
  }

  // Nothing to do: the worker keeps the process alive no longer, and stops after idleMs.
  #rest(): void {
    if (!this.#worker) return;
    this.#worker.unref();
    if (this.#idle !== undefined) return;
    const timer = setTimeout(() => {
      this.#idle = undefined;
      if (!this.#current && this.#waiting.length === 0) this.#stop();
    }, this.#options.idleMs);
    Deno.unrefTimer(timer);
    this.#idle = timer;
  }
}

function errorName(err: unknown): string {
  // The name only: an error raised while tokenizing may quote the prompt.
  return err instanceof Error ? err.name : typeof err;
}
