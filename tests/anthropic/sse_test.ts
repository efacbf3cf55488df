import assert from "node:assert/strict";
import { frameEvent, sseStream } from "../../src/anthropic/sse.ts";
import type { StreamEvent } from "../../src/anthropic/types.ts";
import { RelayError } from "../../src/errors.ts";

async function collect(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

Deno.test("frameEvent() writes event and data lines and a blank line", () => {
  assert.equal(
    frameEvent({ type: "content_block_delta", index: 2, delta: { type: "text_delta", text: "a\nb" } }),
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"a\\nb"}}\n\n',
  );
});

Deno.test("sseStream()", async (t) => {
  await t.step("frames every event in order, the first one included", async () => {
    async function* events(): AsyncGenerator<StreamEvent[]> {
      yield [{ type: "message_stop" }];
    }
    const ends: unknown[] = [];
    const text = await collect(
      sseStream(events(), { first: [{ type: "ping" }], onEnd: (e) => ends.push(e) }),
    );
    assert.equal(
      text,
      'event: ping\ndata: {"type":"ping"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
    );
    assert.deepEqual(ends, [undefined]);
  });

  await t.step("turns a failure into a final error event", async () => {
    async function* events(): AsyncGenerator<StreamEvent[]> {
      yield [{ type: "ping" }];
      throw new RelayError("overloaded_error", "Busy");
    }
    const ends: (RelayError | undefined)[] = [];
    const text = await collect(sseStream(events(), { onEnd: (e) => ends.push(e) }));
    assert.ok(
      text.endsWith(
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Busy"}}\n\n',
      ),
    );
    assert.equal(ends[0]?.type, "overloaded_error");
  });

  await t.step("hides unexpected exceptions behind api_error", async () => {
    async function* events(): AsyncGenerator<StreamEvent[]> {
      yield* [];
      throw new Error("internal detail");
    }
    const text = await collect(sseStream(events()));
    assert.ok(text.includes('"type":"api_error"'));
    assert.ok(!text.includes("internal detail"));
  });

  await t.step("pings while the upstream is silent", async () => {
    async function* events(): AsyncGenerator<StreamEvent[]> {
      await new Promise((r) => setTimeout(r, 120));
      yield [{ type: "message_stop" }];
    }
    const text = await collect(sseStream(events(), { pingMs: 30 }));
    assert.ok(text.startsWith('event: ping\ndata: {"type":"ping"}\n\n'));
    assert.ok(text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
  });

  await t.step("cancelling reports a disconnect and returns the iterator", async () => {
    let returned = false;
    async function* events(): AsyncGenerator<StreamEvent[]> {
      try {
        while (true) {
          yield [{ type: "ping" }];
          await new Promise((r) => setTimeout(r, 5));
        }
      } finally {
        returned = true;
      }
    }
    const ends: (RelayError | undefined)[] = [];
    const reader = sseStream(events(), { onEnd: (e) => ends.push(e) }).getReader();
    await reader.read();
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(ends[0]?.status, 499);
    assert.ok(returned);
  });
});

Deno.test("sseStream() writes each batch of events as one chunk", async () => {
  async function* batches(): AsyncGenerator<StreamEvent[]> {
    yield [{ type: "ping" }, { type: "message_stop" }];
  }
  const reader = sseStream(batches()).getReader();
  const { value } = await reader.read();
  assert.equal(
    new TextDecoder().decode(value),
    'event: ping\ndata: {"type":"ping"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
  );
  assert.equal((await reader.read()).done, true);
});

Deno.test("sseStream() with a pending first result and an abort signal", async (t) => {
  await t.step("starts with a ping, then frames the pending result first", async () => {
    const iterator = (async function* (): AsyncGenerator<StreamEvent[]> {
      yield [{ type: "message_stop" }];
    })();
    const pending = iterator.next();
    const text = await collect(sseStream(iterator, { pending }));
    assert.equal(
      text,
      'event: ping\ndata: {"type":"ping"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
    );
  });

  await t.step("an iterable that ends without any batch is an error event", async () => {
    const iterator = (async function* (): AsyncGenerator<StreamEvent[]> {})();
    const text = await collect(sseStream(iterator, { pending: iterator.next() }));
    assert.match(text, /event: error\ndata: .*"api_error".*"Upstream returned an empty stream"/);
  });

  await t.step("an abort ends the stream at once with its reason and returns the iterator", async () => {
    let returned = false;
    async function* events(): AsyncGenerator<StreamEvent[]> {
      try {
        yield [{ type: "ping" }];
        yield [{ type: "message_stop" }];
      } finally {
        returned = true;
      }
    }
    const abort = new AbortController();
    const ends: (RelayError | undefined)[] = [];
    const reader = sseStream(events(), { signal: abort.signal, onEnd: (e) => ends.push(e) }).getReader();
    await reader.read();
    abort.abort(new RelayError("overloaded_error", "Shutting down"));
    const rest = await collect(
      new ReadableStream({
        pull: async (c) => {
          const r = await reader.read();
          if (r.done) c.close();
          else c.enqueue(r.value);
        },
      }),
    );
    assert.equal(
      rest,
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Shutting down"}}\n\n',
    );
    assert.equal(ends[0]?.type, "overloaded_error");
    await new Promise((r) => setTimeout(r, 10));
    // Suspended at its yield (nothing pulled since), the generator runs its finally at once.
    assert.equal(returned, true);
  });
});

Deno.test("frameEvent's template for deltas gives exactly JSON.stringify's bytes, and only for that shape", () => {
  const generic = (event: unknown) =>
    `event: ${(event as { type: string }).type}\ndata: ${JSON.stringify(event)}\n\n`;
  const texts = [
    "",
    "Hi",
    'quote " backslash \\ newline \n tab \t',
    "naïve ✓ 日本 👋🏽",
    "\u2028\u2029",
    "\ud800 lone",
  ];
  const events: unknown[] = [];
  for (const text of texts) {
    events.push({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } });
    events.push({
      type: "content_block_delta",
      index: 12,
      delta: { type: "input_json_delta", partial_json: text },
    });
  }
  // Shapes the template must leave to JSON.stringify: extra or reordered keys, and other deltas.
  events.push(
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "a", extra: 1 } },
    { type: "content_block_delta", index: 0, delta: { text: "a", type: "text_delta" } },
    { index: 0, type: "content_block_delta", delta: { type: "text_delta", text: "a" } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "a" }, more: true },
    { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "t" } },
    { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "s" } },
  );
  for (const event of events) assert.equal(frameEvent(event as StreamEvent), generic(event));
});
