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
  const waiting: Job[] = [];
  let current: Job | undefined;
  let worker: Worker | undefined;
  let idle: ReturnType<typeof setTimeout> | undefined;
  let nextId = 1;

  const stop = () => {
    if (!worker) return;
    const w = worker;
    worker = undefined;
    w.removeAllListeners();
    // An EventEmitter throws an "error" that no one listens to: one may still come while it stops.
    w.on("error", () => {});
    void w.terminate();
  };

  // The job in the worker is over: answer it and start the next.
  const finish = (outcome: QueueOutcome) => {
    const job = current;
    current = undefined;
    job?.done();
    job?.resolve(outcome);
    pump();
  };

  const start = (): Worker => {
    const w = new Worker(options.url, { name: "relayx-tokenizer" });
    w.on("message", (reply: WorkerReply) => {
      if (w !== worker || reply.id !== current?.id) return;
      finish(
        "counts" in reply ? { kind: "counted", counts: reply.counts } : {
          kind: "failed",
          reason: `the tokenizer threw ${reply.error}`,
        },
      );
    });
    const fail = (reason: string) => {
      if (w !== worker) return;
      stop();
      finish({ kind: "failed", reason });
    };
    w.on("error", (err: unknown) => fail(`the tokenizer worker failed (${errorName(err)})`));
    w.on("exit", (code: number) => fail(`the tokenizer worker exited with code ${code}`));
    return w;
  };

  function pump(): void {
    if (current) return;
    const job = waiting.shift();
    if (!job) {
      worker?.unref();
      if (worker && idle === undefined) {
        const timer = setTimeout(() => {
          idle = undefined;
          if (!current && waiting.length === 0) stop();
        }, options.idleMs);
        Deno.unrefTimer(timer);
        idle = timer;
      }
      return;
    }
    clearTimeout(idle);
    idle = undefined;
    worker ??= start();
    // Referenced while it works, so that a script awaiting a count does not exit under it.
    worker.ref();
    current = job;
    worker.postMessage({ id: job.id, texts: job.texts, max: job.max } satisfies WorkerJob);
  }

  const leave = (job: Job, outcome: QueueOutcome) => {
    const at = waiting.indexOf(job);
    if (at >= 0) waiting.splice(at, 1);
    job.done();
    job.resolve(outcome);
  };

  const run = (texts: string[], max: number, signal?: AbortSignal): Promise<QueueOutcome> => {
    if (waiting.length + (current ? 1 : 0) >= options.maxJobs) return Promise.resolve({ kind: "full" });
    if (signal?.aborted) return Promise.resolve({ kind: "aborted" });
    const { promise, resolve } = Promise.withResolvers<QueueOutcome>();
    const job: Job = { id: nextId++, texts, max, resolve, done: () => {} };
    const onAbort = () => {
      // A job the worker has started runs on under its deadline (the worker cannot be interrupted
      // short of a restart); one still waiting is dropped.
      if (current === job) resolve({ kind: "aborted" });
      else leave(job, { kind: "aborted" });
    };
    const timer = setTimeout(() => {
      if (current !== job) return leave(job, { kind: "timeout" });
      // The worker is busy with this job and would stay busy: a new one serves the jobs behind it.
      stop();
      finish({ kind: "timeout" });
    }, options.timeoutMs);
    job.done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    waiting.push(job);
    pump();
    return promise;
  };

  return {
    run,
    status: () => ({ jobs: waiting.length + (current ? 1 : 0), worker: worker !== undefined }),
    close() {
      clearTimeout(idle);
      idle = undefined;
      stop();
      const reason = "the tokenizer was closed";
      for (const job of waiting.splice(0)) leave(job, { kind: "failed", reason });
      if (current) finish({ kind: "failed", reason });
    },
  };
}

function errorName(err: unknown): string {
  // The name only: an error raised while tokenizing may quote the prompt.
  return err instanceof Error ? err.name : typeof err;
}
