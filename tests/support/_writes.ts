/**
 * How the mock upstreams cut a response into network writes: split anywhere (inside multi-byte characters
 * too), delayed, cut off, or hung until the client leaves. Shared by mock_openai.ts and mock_bedrock.ts.
 */

import { setImmediate } from "node:timers";

/** How response bytes are cut into writes. */
export type SplitMode = "event" | "none" | "bytes" | "every-byte";

/** A response's write schedule. */
export interface WritePlan {
  split: SplitMode;
  splitSize: number;
  delayMs?: number;
  failAfter?: number;
  hangAt?: number;
}

/** Cuts items into network writes; throws to cut the connection, sleeps until `signal` to hang. */
export async function* cutWrites(
  items: Uint8Array[],
  plan: WritePlan,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const size = Math.max(1, plan.splitSize);
  let buffer = new Uint8Array(0);
  // Without a macrotask between tiny writes the server coalesces them into one network write.
  const cut = async function* (all: boolean): AsyncGenerator<Uint8Array> {
    if (plan.split === "none" && !all) return;
    const step = plan.split === "every-byte" ? 1 : plan.split === "bytes" ? size : buffer.length;
    let i = 0;
    for (; step > 0 && i + step <= buffer.length; i += step) {
      if (step < buffer.length) await hop();
      yield buffer.slice(i, i + step);
    }
    buffer = buffer.slice(i);
    if (all && buffer.length) {
      yield buffer;
      buffer = new Uint8Array(0);
    }
  };
  for (let i = 0; i <= items.length; i++) {
    if (plan.failAfter === i) {
      yield* cut(true);
      throw new Error("connection cut on purpose (failAfter)");
    }
    if (plan.hangAt === i) {
      yield* cut(true);
      await sleep(Infinity, signal);
    }
    if (i === items.length) break;
    if (plan.delayMs) {
      yield* cut(true);
      await sleep(plan.delayMs, signal);
    }
    const next = new Uint8Array(buffer.length + items[i]!.length);
    next.set(buffer);
    next.set(items[i]!, buffer.length);
    buffer = next;
    yield* cut(false);
  }
  yield* cut(true);
}

/** A macrotask: without one between tiny writes, the server coalesces them into one network write. */
export function hop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Sleeps `ms` (forever for Infinity), rejecting with the signal's reason when it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms)
      : undefined;
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
