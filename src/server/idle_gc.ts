/**
 * One full garbage collection once relayx falls idle. V8 collects its old generation only when it grows
 * past a limit, and Deno never tells it that the process is idle, so a server that has just answered keeps
 * the garbage of its last requests (their heap objects and the native buffers they hold) resident for as
 * long as it stays idle: about 10 MB after a single Claude Code turn (bench, issue 13). Collecting needs
 * V8's `gc` function, which exists only under `--v8-flags=--expose-gc` (as `deno task start` runs relayx);
 * without it this does nothing.
 *
 * @module
 */
import { openStreams } from "../anthropic/sse.ts";

/** Options for {@linkcode collectWhenIdle}. */
export interface IdleGcOptions {
  /**
   * How long without a new request counts as idle, in ms (default 500): the collection runs one to two
   * periods after the last request.
   */
  idleMs?: number;
  /** The collection (default: V8's `gc`, when exposed). */
  gc?: () => void;
  /**
   * True while the collection must wait (default: while Anthropic event streams are being written, so
   * that none sees a pause between two events).
   */
  busy?: () => boolean;
  /** Calls `tick` every period until stopped (default: an unreferenced `setInterval`). */
  every?: (periodMs: number, tick: () => void) => () => void;
}

/** A handler that notes activity, and the timer to stop. */
export interface IdleGc {
  /** The handler, which marks each request as activity and passes it on. */
  fetch: (request: Request) => Promise<Response>;
  /** Stops watching (no collection after this). */
  stop: () => void;
}

/**
 * V8's `gc`, present under `--expose-gc`, as the collection V8 runs on a low-memory notification: full,
 * repeated until nothing more is freed, and returning the freed pages (a plain `gc()` frees the garbage
 * but keeps the young generation's grown space, and the RSS barely moves). It takes tens of ms.
 */
export function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === "function"
    ? () => gc({ type: "major", execution: "sync", flavor: "last-resort" })
    : undefined;
}

function unrefInterval(periodMs: number, tick: () => void): () => void {
  const timer = setInterval(tick, periodMs);
  // An idle server must still be able to exit.
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}

/**
 * Wraps `fetch` so that one collection runs after each quiet spell: never while requests keep arriving
 * (a request only sets a flag) or streams are being written, once when they stop. A request arriving
 * during a collection waits for it (tens of milliseconds).
 *
 * @example
 * ```ts
 * const idle = collectWhenIdle(() => Promise.resolve(new Response("ok")), { gc: () => console.log("collected") });
 * const response = await idle.fetch(new Request("http://127.0.0.1/health"));
 * console.log(response.status); // 200
 * idle.stop();
 * ```
 */
export function collectWhenIdle(
  fetch: (request: Request) => Promise<Response>,
  options: IdleGcOptions = {},
): IdleGc {
  const gc = options.gc ?? exposedGc();
  if (!gc) return { fetch, stop: () => {} };
  const busy = options.busy ?? (() => openStreams() > 0);
  let active = false;
  let collected = true;
  const stop = (options.every ?? unrefInterval)(options.idleMs ?? 500, () => {
    if (active) {
      active = false;
      collected = false;
    } else if (!collected && !busy()) {
      collected = true;
      gc();
    }
  });
  return {
    fetch: (request) => {
      active = true;
      return fetch(request);
    },
    stop,
  };
}
