/**
 * The timeouts of one upstream call: a deadline for the response headers, then a limit on silence
 * while relayx waits for the body. One timer per call, re-armed only when it fires (at most once per
 * idle period), and a timestamp per read: nothing per chunk but two field writes.
 *
 * Deno's fetch exposes no connect phase (no hook, no `Deno.createHttpClient` option, and a streamed
 * request body is read eagerly whether or not the connection is up), so connecting counts toward the
 * headers deadline: the upstream has `upstreamConnectMs + upstreamHeadersMs` from the start of the call
 * to its response headers.
 *
 * @module
 */
import { RelayError } from "../errors.ts";
import type { Limits } from "../limits.ts";

/** The upstream timeouts a backend takes, named as in {@linkcode Limits}. */
export type UpstreamLimits = Pick<Limits, "upstreamConnectMs" | "upstreamHeadersMs" | "upstreamIdleMs">;

/**
 * Watches one upstream call. Pass {@linkcode UpstreamWatch.signal} to the call, report
 * {@linkcode UpstreamWatch.headersIn} when the response headers arrive, bracket each wait for body data
 * with {@linkcode UpstreamWatch.reading} and {@linkcode UpstreamWatch.read}, call
 * {@linkcode UpstreamWatch.touch} on every network read inside such a wait, and always
 * {@linkcode UpstreamWatch.end} it. When a deadline passes, the call is aborted and
 * {@linkcode UpstreamWatch.error} holds the `504 timeout_error` to report instead of the abort.
 *
 * Silence is time since the wait began or since the last network read, whichever is later; bytes that
 * complete nothing (an SSE comment, part of a frame) count as life. Time outside a wait does not count:
 * a client that reads slowly holds the reads back, and that is not the upstream's fault.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS } from "../limits.ts";
 *
 * const watch = new UpstreamWatch(new AbortController().signal, DEFAULT_LIMITS, "The upstream");
 * try {
 *   const res = await fetch("http://127.0.0.1:11434/api/tags", { signal: watch.signal });
 *   watch.headersIn();
 *   console.log(await new Response(watch.body(res.body!)).text());
 * } catch (err) {
 *   throw watch.error ?? err;
 * } finally {
 *   watch.end(false);
 * }
 * ```
 */
export class UpstreamWatch {
  /** Aborted when the caller's signal aborts, a deadline passes, or {@linkcode UpstreamWatch.end} aborts. */
  readonly signal: AbortSignal;
  #abort = new AbortController();
  #limits: UpstreamLimits;
  #label: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #phase: "headers" | "body" | "ended" = "headers";
  #waiting = false;
  #since = 0;
  #error: RelayError | undefined;

  /**
   * Starts the headers deadline. `label` names the upstream in the error message ("The upstream at
   * http://host/v1", "Bedrock").
   */
  constructor(parent: AbortSignal, limits: UpstreamLimits, label: string) {
    this.signal = AbortSignal.any([parent, this.#abort.signal]);
    this.#limits = limits;
    this.#label = label;
    this.#timer = setTimeout(this.#headersLate, limits.upstreamConnectMs + limits.upstreamHeadersMs);
  }

  /** The timeout that ended the call, if one did. */
  get error(): RelayError | undefined {
    return this.#error;
  }

  /** The response headers are in: from now on, silence while waiting on a read is what counts. */
  headersIn(): void {
    if (this.#phase !== "headers") return;
    this.#phase = "body";
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#check, this.#limits.upstreamIdleMs);
  }

  /** A wait for the upstream's data begins. */
  reading(): void {
    this.#waiting = true;
    this.#since = performance.now();
  }

  /** The wait that began last has settled. */
  read(): void {
    this.#waiting = false;
  }

  /** Bytes arrived from the upstream (a network read, inside a wait). A bound function: pass it as is. */
  touch = (): void => {
    this.#since = performance.now();
  };

  /** The call is over: stops the timer; `abort` also aborts the upstream call (failure, or nobody reads on). */
  end(abort: boolean): void {
    this.#phase = "ended";
    clearTimeout(this.#timer);
    if (abort) this.#abort.abort();
  }

  /**
   * Reads a whole body as text, each read watched (a non-stream answer, an error body).
   *
   * @throws {RelayError} the timeout, when one ended the read.
   */
  async text(source: ReadableStream<Uint8Array>): Promise<string> {
    const reader = source.getReader();
    const decoder = new TextDecoder();
    let text = "";
    try {
      while (true) {
        this.reading();
        const next = await reader.read();
        this.read();
        if (next.done) return text + decoder.decode();
        text += decoder.decode(next.value, { stream: true });
      }
    } catch (err) {
      throw this.#error ?? err;
    } finally {
      this.read();
      reader.releaseLock();
    }
  }

  /**
   * A body whose reads are watched, for bodies another party reads (an SDK's deserializer). Streams
   * relayx reads itself call {@linkcode UpstreamWatch.reading} and {@linkcode UpstreamWatch.read}
   * around their reads instead: this wrapper costs a stream hop per chunk.
   */
  body(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = source.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        this.reading();
        try {
          const next = await reader.read();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (err) {
          controller.error(this.#error ?? err);
        } finally {
          this.read();
        }
      },
      cancel: (reason) => reader.cancel(reason),
    }, { highWaterMark: 0 });
  }

  #headersLate = (): void => {
    const s = (this.#limits.upstreamConnectMs + this.#limits.upstreamHeadersMs) / 1000;
    this.#expire(
      `${this.#label} sent no response headers within ${s} s ` +
        "(RELAYX_UPSTREAM_CONNECT_TIMEOUT + RELAYX_UPSTREAM_HEADERS_TIMEOUT)",
    );
  };

  #check = (): void => {
    if (this.#phase !== "body") return;
    const idleMs = this.#limits.upstreamIdleMs;
    let next = idleMs;
    if (this.#waiting) {
      const silent = performance.now() - this.#since;
      if (silent >= idleMs) {
        this.#expire(`${this.#label} sent nothing for ${idleMs / 1000} s (RELAYX_UPSTREAM_IDLE_TIMEOUT)`);
        return;
      }
      next = idleMs - silent;
    }
    this.#timer = setTimeout(this.#check, next);
  };

  #expire(message: string): void {
    this.#phase = "ended";
    this.#error = new RelayError("timeout_error", message);
    this.#abort.abort(this.#error);
  }
}
