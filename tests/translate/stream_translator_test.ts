import assert from "node:assert/strict";
import type { StreamEvent } from "../../src/anthropic/types.ts";
import { RelayError } from "../../src/errors.ts";
import {
  type StreamTranslator,
  translateBatches,
  translateEvents,
} from "../../src/translate/stream_translator.ts";

/** A toy translator: each number n becomes n pings; a negative number is an upstream error. */
function toy(): StreamTranslator & { ended: boolean } {
  return {
    done: false,
    ended: false,
    push(chunk: unknown, out: StreamEvent[]) {
      const n = chunk as number;
      if (n < 0) throw new RelayError("overloaded_error", "Upstream failed");
      for (let i = 0; i < n; i++) out.push({ type: "ping" });
    },
    end(out: StreamEvent[]) {
      this.ended = true;
      out.push({ type: "message_stop" });
    },
  };
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function collect<T>(it: AsyncIterable<T>): Promise<{ items: T[]; error?: unknown }> {
  const items: T[] = [];
  try {
    for await (const x of it) items.push(x);
    return { items };
  } catch (error) {
    return { items, error };
  }
}

Deno.test("translateBatches()", async (t) => {
  await t.step("yields one batch per upstream read and skips empty ones", async () => {
    const { items } = await collect(translateBatches(from([[1, 2], [0], [1]]), toy()));
    assert.deepEqual(items.map((b) => b.length), [3, 1, 1]);
    assert.equal(items.at(-1)?.[0]?.type, "message_stop");
  });

  await t.step("sends what was translated before an in-stream error, then throws it", async () => {
    const { items, error } = await collect(translateBatches(from([[2, -1, 5]]), toy()));
    assert.deepEqual(items.map((b) => b.length), [2]);
    assert.ok(error instanceof RelayError && error.type === "overloaded_error");
  });

  await t.step("maps errors of the upstream read", async () => {
    async function* broken(): AsyncGenerator<number[]> {
      yield [1];
      throw new TypeError("connection reset");
    }
    const { items, error } = await collect(
      translateBatches(broken(), toy(), () => new RelayError("api_error", "Upstream connection lost")),
    );
    assert.equal(items.length, 1);
    assert.ok(error instanceof RelayError && error.message === "Upstream connection lost");
  });
});

Deno.test("translateEvents() yields the same events one at a time", async () => {
  const { items } = await collect(translateEvents(from([1, 2]), toy()));
  assert.deepEqual(items.map((e) => e.type), ["ping", "ping", "ping", "message_stop"]);
});
