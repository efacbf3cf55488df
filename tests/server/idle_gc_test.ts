import assert from "node:assert/strict";
import { collectWhenIdle } from "../../src/server/idle_gc.ts";
import { sseStream } from "../../src/anthropic/sse.ts";
import type { StreamEvent } from "../../src/anthropic/types.ts";

/** A relayx whose timer ticks when the test says, counting collections. */
function watched() {
  let tick = () => {};
  let stopped = false;
  const collections: number[] = [];
  const idle = collectWhenIdle(() => Promise.resolve(new Response("ok")), {
    gc: () => collections.push(collections.length + 1),
    every: (_ms, t) => {
      tick = t;
      return () => stopped = true;
    },
  });
  const request = () => idle.fetch(new Request("http://127.0.0.1/v1/messages", { method: "POST" }));
  return { idle, request, tick: () => tick(), collections, stopped: () => stopped };
}

Deno.test("collectWhenIdle()", async (t) => {
  await t.step("collects once a full period has passed without a request", async () => {
    const w = watched();
    const res = await w.request();
    assert.equal(await res.text(), "ok");
    w.tick(); // the period the request came in
    assert.equal(w.collections.length, 0);
    w.tick(); // a whole period without one
    assert.equal(w.collections.length, 1);
  });

  await t.step("collects once per quiet spell, not on every tick of it", async () => {
    const w = watched();
    await w.request();
    for (let i = 0; i < 6; i++) w.tick();
    assert.equal(w.collections.length, 1);
    await w.request();
    w.tick();
    w.tick();
    assert.equal(w.collections.length, 2);
  });

  await t.step("never collects while requests keep arriving", async () => {
    const w = watched();
    for (let i = 0; i < 5; i++) {
      await w.request();
      w.tick();
    }
    assert.equal(w.collections.length, 0);
  });

  await t.step("does not collect before the first request", () => {
    const w = watched();
    w.tick();
    w.tick();
    assert.equal(w.collections.length, 0);
  });

  await t.step("waits while an event stream is being written, and collects once it ends", async () => {
    const w = watched();
    await w.request();
    // A stream whose upstream has sent a batch and is still thinking.
    const { promise: rest, resolve } = Promise.withResolvers<void>();
    async function* events(): AsyncGenerator<StreamEvent[]> {
      yield [{ type: "ping" }];
      await rest;
    }
    const body = sseStream(events()).getReader();
    await body.read();
    for (let i = 0; i < 4; i++) w.tick();
    assert.equal(w.collections.length, 0);
    resolve();
    while (!(await body.read()).done) { /* drain */ }
    w.tick();
    assert.equal(w.collections.length, 1);
  });

  await t.step("stop() stops the timer", () => {
    const w = watched();
    w.idle.stop();
    assert.ok(w.stopped());
  });

  await t.step("without V8's gc (no --expose-gc) the handler is passed through untouched", () => {
    const handler = () => Promise.resolve(new Response("ok"));
    assert.equal(collectWhenIdle(handler).fetch, handler);
  });
});
