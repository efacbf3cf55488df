/**
 * The timeouts of one upstream call: a deadline for the response headers, then a limit on silence
 * while relayx waits for the body. No timer per call: one interval checks every call in flight (started
 * with the first, stopped with the last), so a timeout fires at most a tenth of its limit (and never more
 * than a second) late; a read costs a timestamp.
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
 * a client that reads slowly holds the reads back, and that is not the upstream's fault. A non-stream
 * answer is read whole by the runtime (its fast path; reading it chunk by chunk in JavaScript costs more
 * than the rest of the call), as one wait from its headers: it is written at once, so that its whole
 * body must arrive within the idle time.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS } from "../limits.ts";
 *
 * const watch = new UpstreamWatch(new AbortController().signal, DEFAULT_LIMITS, "The upstream");
 * try {
 *   const res = await fetch("http://127.0.0.1:11434/api/tags", { signal: watch.signal });
 *   watch.headersIn();
 *   watch.reading();
 *   console.log(await res.text());
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
  #parent: AbortSignal;
  #limits: UpstreamLimits;
  #label: string;
  #ticker: Ticker;
  #deadline: number;
  #phase: "headers" | "body" | "ended" = "headers";
  #waiting = false;
  #since = 0;
  #error: RelayError | undefined;

  /**
   * Starts the headers deadline. `label` names the upstream in the error message ("The upstream at
   * http://host/v1", "Bedrock").
   */
  constructor(parent: AbortSignal, limits: UpstreamLimits, label: string) {
    this.signal = this.#abort.signal;
    this.#parent = parent;
    this.#limits = limits;
    this.#label = label;
    this.#deadline = Date.now() + limits.upstreamConnectMs + limits.upstreamHeadersMs;
    // A listener rather than AbortSignal.any(), which costs several times more per call.
    if (parent.aborted) this.#abort.abort(parent.reason);
    else parent.addEventListener("abort", this.#onParentAbort, { once: true });
    this.#ticker = UpstreamWatch.#join(this, limits);
  }

  /** The timeout that ended the call, if one did. */
  get error(): RelayError | undefined {
    return this.#error;
  }

  /** The response headers are in: from now on, silence while waiting on a read is what counts. */
  headersIn(): void {
    if (this.#phase === "headers") this.#phase = "body";
  }

  /** A wait for the upstream's data begins. */
  reading(): void {
    this.#waiting = true;
    this.#since = Date.now();
  }

  /** The wait that began last has settled. */
  read(): void {
    this.#waiting = false;
  }

  /** Bytes arrived from the upstream (a network read, inside a wait). A bound function: pass it as is. */
  touch = (): void => {
    this.#since = Date.now();
  };

  /** The call is over; `abort` also aborts the upstream call (failure, or nobody reads on). */
  end(abort: boolean): void {
    this.#stop();
    if (abort) this.#abort.abort();
  }

  #onParentAbort = (): void => {
    this.#abort.abort(this.#parent.reason);
  };

  #stop(): void {
    if (this.#phase === "ended") return;
    this.#phase = "ended";
    this.#parent.removeEventListener("abort", this.#onParentAbort);
    this.#ticker.watches.delete(this);
    if (this.#ticker.watches.size === 0) UpstreamWatch.#idle(this.#ticker);
  }

  #check(now: number): void {
    if (this.#phase === "headers") {
      if (now < this.#deadline) return;
      const s = (this.#limits.upstreamConnectMs + this.#limits.upstreamHeadersMs) / 1000;
      this.#expire(
        `${this.#label} sent no response headers within ${s} s ` +
          "(RELAYX_UPSTREAM_CONNECT_TIMEOUT + RELAYX_UPSTREAM_HEADERS_TIMEOUT)",
      );
    } else if (this.#phase === "body" && this.#waiting) {
      const idleMs = this.#limits.upstreamIdleMs;
      if (now - this.#since < idleMs) return;
      this.#expire(`${this.#label} sent nothing for ${idleMs / 1000} s (RELAYX_UPSTREAM_IDLE_TIMEOUT)`);
    }
  }

  #expire(message: string): void {
    this.#stop();
    this.#error = new RelayError("timeout_error", message);
    this.#abort.abort(this.#error);
  }

  // One interval per check period, shared by every call in flight with limits of that size.
  static #tickers = new Map<number, Ticker>();

  static #join(watch: UpstreamWatch, limits: UpstreamLimits): Ticker {
    const shortest = Math.min(limits.upstreamConnectMs + limits.upstreamHeadersMs, limits.upstreamIdleMs);
    const period = Math.max(5, Math.min(1000, Math.floor(shortest / 10)));
    let ticker = UpstreamWatch.#tickers.get(period);
    if (!ticker) {
      const watches = new Set<UpstreamWatch>();
      const timer = setInterval(() => {
        const now = Date.now();
        for (const w of watches) w.#check(now);
      }, period);
      ticker = { period, watches, timer };
      UpstreamWatch.#tickers.set(period, ticker);
    }
    ticker.watches.add(watch);
    return ticker;
  }

  static #idle(ticker: Ticker): void {
    clearInterval(ticker.timer);
    UpstreamWatch.#tickers.delete(ticker.period);
  }
}

interface Ticker {
  period: number;
  watches: Set<UpstreamWatch>;
  timer: ReturnType<typeof setInterval>;
}
