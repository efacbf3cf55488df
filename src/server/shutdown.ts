/**
 * Graceful shutdown on SIGINT and SIGTERM: stop accepting, let what is in flight finish up to a deadline,
 * then end what remains with an error the client retries, and exit 0. A second signal exits at once.
 *
 * @module
 */

/** Options for {@linkcode onShutdownSignals}. */
export interface ShutdownOptions {
  /** Called at the first signal, before `drain`: ends what never finishes by itself (the live page's streams). */
  stopping?: () => void;
  /**
   * Stops accepting connections and resolves once every request in flight has finished; the process then
   * exits 0. Left out under `deno serve`, whose runtime drains and exits by itself on these signals.
   */
  drain?: () => Promise<void>;
  /** Ends every request still in flight (streams with an `overloaded_error` event, others with a 529). */
  cutoff: () => void;
  /** How long requests in flight may run on after the signal, in milliseconds. */
  shutdownMs: number;
  /** Exits the process (default `Deno.exit`). */
  exit?: (code: number) => void;
  /** Writes one line for the operator (default `console.error`). */
  note?: (line: string) => void;
}

// After the cutoff, time for the final error events to reach the clients before the process exits anyway
// (a client that does not read would otherwise keep it alive).
const FLUSH_MS = 1000;

// A Ctrl-C under `deno task` arrives twice within a millisecond: once from the terminal, once forwarded
// by the task runner. Only a signal this much later is a second request to stop.
const REPEAT_MS = 500;

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
const EXIT_CODE: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Handles SIGINT and SIGTERM as a graceful shutdown; returns a function that removes the handlers.
 *
 * On the first signal: `drain()`, and exit 0 once it resolves; at `shutdownMs`, `cutoff()`; one second
 * later, exit 0 whatever is left. On a second signal (not the duplicate `deno task` forwards): exit at once
 * with 128 + the signal's number.
 *
 * @example
 * ```ts
 * const server = Deno.serve({ port: 0, onListen() {} }, () => new Response("hi"));
 * const remove = onShutdownSignals({ drain: () => server.shutdown(), cutoff() {}, shutdownMs: 30_000 });
 * remove();
 * await server.shutdown();
 * ```
 */
export function onShutdownSignals(options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => Deno.exit(code));
  const note = options.note ?? ((line: string) => console.error(line));
  let first = 0;
  const handlers = SIGNALS.map((signal) => {
    const handler = () => {
      const now = performance.now();
      if (first === 0) {
        first = now;
        _begin(signal, options, exit, note);
      } else if (now - first >= REPEAT_MS) {
        note(`relayx: ${signal} again: stopping now`);
        exit(EXIT_CODE[signal]);
      }
    };
    try {
      Deno.addSignalListener(signal, handler);
    } catch {
      // Windows has no SIGTERM listener; SIGINT still works there.
      return undefined;
    }
    return [signal, handler] as const;
  });
  return () => {
    for (const entry of handlers) if (entry) Deno.removeSignalListener(entry[0], entry[1]);
  };
}

function _begin(
  signal: string,
  options: ShutdownOptions,
  exit: (code: number) => void,
  note: (line: string) => void,
): void {
  const seconds = options.shutdownMs / 1000;
  note(
    `relayx: ${signal}: not accepting new connections; requests in flight have ${seconds} s to finish ` +
      `(${signal} again to stop now)`,
  );
  options.stopping?.();
  // Unref'd: under `deno serve` the runtime exits once it has drained, and these must not keep it.
  const cutoff = setTimeout(() => {
    note(`relayx: ${seconds} s passed: ending the requests still in flight with overloaded_error`);
    options.cutoff();
  }, options.shutdownMs);
  Deno.unrefTimer(cutoff);
  const last = setTimeout(() => exit(0), options.shutdownMs + FLUSH_MS);
  Deno.unrefTimer(last);
  options.drain?.().then(() => {
    clearTimeout(cutoff);
    clearTimeout(last);
    note("relayx: stopped");
    exit(0);
  }, () => exit(0));
}
