/**
 * Deadlines for per-request waits (the body read, the upstream's first byte) on one shared interval:
 * a `setTimeout` per request costs about 0.03 ms of a 0.2 ms request inside a busy server, a set entry
 * next to nothing.
 *
 * @module
 */

interface Entry {
  at: number;
  expire: () => void;
}

const entries = new Set<Entry>();
let timer: ReturnType<typeof setInterval> | undefined;
let period = Infinity;

function sweep(): void {
  const now = performance.now();
  for (const entry of entries) {
    if (now < entry.at) continue;
    entries.delete(entry);
    entry.expire();
  }
  if (entries.size === 0) {
    clearInterval(timer);
    timer = undefined;
    period = Infinity;
  }
}

/**
 * Calls `expire` once `ms` have passed (late by at most a quarter of `ms`, and never more than a second),
 * unless the returned function is called first.
 *
 * @example
 * ```ts
 * const cancel = deadline(60_000, () => console.log("too slow"));
 * cancel();
 * ```
 */
export function deadline(ms: number, expire: () => void): () => void {
  const entry: Entry = { at: performance.now() + ms, expire };
  entries.add(entry);
  const wanted = Math.min(1000, Math.max(5, ms / 4));
  if (wanted < period) {
    clearInterval(timer);
    period = wanted;
    // Cleared with the last deadline, so that it keeps the process alive only while something waits.
    timer = setInterval(sweep, period);
  }
  return () => entries.delete(entry);
}
