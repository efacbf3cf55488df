import assert from "node:assert/strict";
import type { MessagesRequest, StreamEvent } from "../../src/anthropic/types.ts";
import type { CallContext } from "../../src/backends/backend.ts";
import { type StreamCall, upstreamStream } from "../../src/backends/upstream_stream.ts";
import { type UpstreamLimits, UpstreamWatch } from "../../src/backends/upstream_watch.ts";
import { RelayError } from "../../src/errors.ts";

const LIMITS: UpstreamLimits = { upstreamConnectMs: 50, upstreamHeadersMs: 150, upstreamIdleMs: 200 };
const REQUEST: MessagesRequest = { model: "m", max_tokens: 1, messages: [] };
const PING: StreamEvent[] = [{ type: "ping" }];

function context(): CallContext {
  return {
    model: "m",
    signal: new AbortController().signal,
    requestId: "req_1",
    warn: () => {},
    ids: { messageId: () => "msg_1", toolUseId: () => "toolu_1" },
  };
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** A streaming call whose upstream is the given generator (it gets the watch to touch and abort on). */
function call(
  upstream: (watch: UpstreamWatch) => AsyncGenerator<StreamEvent[]>,
  headersAfterMs = 0,
): StreamCall<null> & { signal?: AbortSignal } {
  const c: StreamCall<null> & { signal?: AbortSignal } = {
    limits: LIMITS,
    label: "The test upstream",
    prepare: () => null,
    open: async (_input, _request, _ctx, watch) => {
      c.signal = watch.signal;
      await wait(headersAfterMs, watch.signal);
      return upstream(watch);
    },
    mapError: (err) => err instanceof RelayError ? err : new RelayError("api_error", String(err)),
  };
  return c;
}

Deno.test("upstreamStream() times out an upstream that stalls, and only then", async (t) => {
  await t.step(
    "no response headers in connect + headers time: a 504 before any batch, call aborted",
    async () => {
      const c = call(async function* () {
        yield PING;
      }, 10_000);
      const started = performance.now();
      await assert.rejects(
        upstreamStream(c, REQUEST, context()).next(),
        (err: RelayError) => err.status === 504 && /no response headers within 0\.2 s/.test(err.message),
      );
      assert.ok(performance.now() - started < 2000);
      assert.equal(c.signal?.aborted, true);
    },
  );

  await t.step("silent for the idle time while a batch is awaited: a 504 after the first batch", async () => {
    const c = call(async function* (watch) {
      yield PING;
      await wait(10_000, watch.signal);
    });
    const stream = upstreamStream(c, REQUEST, context());
    assert.deepEqual((await stream.next()).value, PING);
    await assert.rejects(
      stream.next(),
      (err: RelayError) => err.type === "timeout_error" && /sent nothing for 0\.2 s/.test(err.message),
    );
    assert.equal(c.signal?.aborted, true);
  });

  await t.step("network reads that complete no batch still count as life", async () => {
    const c = call(async function* (watch) {
      // Five reads 100 ms apart (SSE comments, say) before the next batch: 500 ms without a batch.
      for (let i = 0; i < 5; i++) {
        await wait(100, watch.signal);
        watch.touch();
      }
      yield PING;
    });
    const batches = await Array.fromAsync(upstreamStream(c, REQUEST, context()));
    assert.deepEqual(batches, [PING]);
  });

  await t.step("a client that reads slowly is not an upstream stall", async () => {
    const c = call(async function* () {
      yield PING;
      yield PING;
      yield PING;
    });
    const batches: StreamEvent[][] = [];
    for await (const batch of upstreamStream(c, REQUEST, context())) {
      batches.push(batch);
      await wait(300); // longer than the idle timeout, between reads
    }
    assert.equal(batches.length, 3);
    assert.equal(c.signal?.aborted, false);
  });

  await t.step("a client that leaves aborts the call, with its own error rather than a timeout", async () => {
    const leave = new AbortController();
    const c = call(async function* (watch) {
      yield PING;
      await wait(10_000, watch.signal);
    });
    const stream = upstreamStream(c, REQUEST, { ...context(), signal: leave.signal });
    await stream.next();
    const pending = stream.next();
    leave.abort(new RelayError("api_error", "Client disconnected", { status: 499 }));
    await assert.rejects(pending, (err: RelayError) => err.status === 499);
  });
});

Deno.test("UpstreamWatch times out a body that stalls after its headers, read as one wait", async (t) => {
  await t.step("the wait began at the headers: nothing for the idle time aborts the call", async () => {
    const watch = new UpstreamWatch(new AbortController().signal, LIMITS, "The test upstream");
    watch.headersIn();
    watch.reading();
    await assert.rejects(wait(10_000, watch.signal), (err: RelayError) => /sent nothing/.test(err.message));
    assert.equal(watch.error?.status, 504);
    watch.end(false);
  });

  await t.step("between waits, time does not count", async () => {
    const watch = new UpstreamWatch(new AbortController().signal, LIMITS, "The test upstream");
    watch.headersIn();
    await wait(300);
    assert.equal(watch.signal.aborted, false);
    watch.end(false);
  });
});
