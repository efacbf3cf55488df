/**
 * `POST /v1/messages` at its edges: bodies that stop arriving, upstreams slow to answer, and the shutdown
 * cutoff.
 */
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createApp } from "../../src/app.ts";
import type { StreamEvent } from "../../src/anthropic/types.ts";
import type { CallContext } from "../../src/backends/backend.ts";
import { RelayError } from "../../src/errors.ts";
import type { Limits } from "../../src/limits.ts";
import type { RequestLog } from "../../src/log.ts";
import { fakeBackend, textEvents } from "../support/fakes.ts";

const body = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    model: "claude-opus-5-5",
    max_tokens: 10,
    messages: [{ role: "user", content: "Hi" }],
    ...extra,
  });

function setup(limits: Partial<Limits> = {}) {
  const backend = fakeBackend();
  const logs: RequestLog[] = [];
  const cutoff = new AbortController();
  const app = createApp({ backend, log: (e) => logs.push(e), limits, cutoff: cutoff.signal });
  const post = (init: RequestInit) =>
    Promise.resolve(
      app.request("/v1/messages", {
        method: "POST",
        headers: { "content-type": "application/json" },
        ...init,
      }),
    );
  return { app, backend, logs, cutoff, post };
}

/** A request body that sends `head` and then nothing, or fails when `fail` is set. */
function trickle(head: string, fail?: Error): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(head));
      if (fail) controller.error(fail);
    },
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A stream whose first batch comes only when `release` resolves. */
function heldStream(release: Promise<void>, ctxs: CallContext[] = []) {
  return async function* (_request: unknown, ctx: CallContext): AsyncGenerator<StreamEvent[]> {
    ctxs.push(ctx);
    await release;
    for (const event of textEvents(["Hel", "lo"])) yield [event];
  };
}

Deno.test("a body that stops arriving is the client's fault, never a 500", async (t) => {
  await t.step("a body that stalls is a 408 after bodyReadMs, logged as a 408", async () => {
    const { post, logs } = setup({ bodyReadMs: 100 });
    const res = await post({ body: trickle('{"model":'), ...{ duplex: "half" } });
    assert.equal(res.status, 408);
    const json = await res.json();
    assert.equal(json.error.type, "invalid_request_error");
    assert.match(json.error.message, /^body: not complete after 0\.1 s \(received 9 bytes\)/);
    assert.equal(logs[0]?.status, 408);
  });

  await t.step("a connection that breaks mid-body is a 400 naming the body", async () => {
    const { post, logs } = setup();
    const res = await post({
      body: trickle('{"model":', new Error("connection reset")),
      ...{ duplex: "half" },
    });
    assert.equal(res.status, 400);
    assert.match(
      (await res.json()).error.message,
      /^body: the connection broke before the body was complete/,
    );
    assert.equal(logs[0]?.status, 400);
    assert.equal(logs[0]?.error_type, "invalid_request_error");
  });

  await t.step("over a real socket: a client that half-closes mid-body gets a 400", async () => {
    const { app, logs } = setup();
    await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await conn.write(
      new TextEncoder().encode(
        "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
          'content-length: 100\r\n\r\n{"model":',
      ),
    );
    await conn.closeWrite();
    const text = await new Response(conn.readable).text();
    assert.match(text, /^HTTP\/1\.1 400 /);
    assert.match(text, /"type":"invalid_request_error"/);
    assert.equal(logs[0]?.status, 400);
  });
});

Deno.test("an upstream slow to answer gets the client a 200 and pings, not silence", async (t) => {
  await t.step(
    "the 200 and a ping arrive before the upstream's first byte; the SDK reads the answer",
    async () => {
      const { app, backend } = setup({ pingMs: 50 });
      const release = Promise.withResolvers<void>();
      backend.stream = heldStream(release.promise);
      const sdk = new Anthropic({
        apiKey: "dummy",
        baseURL: "http://localhost",
        maxRetries: 0,
        fetch: async (url: string | URL | Request, init?: RequestInit) => {
          const res = await app.fetch(new Request(url, init));
          // The response came while the upstream is still silent; let it answer now.
          release.resolve();
          return res;
        },
      });
      const timeout = sleep(3000).then(() => "no response while the upstream was silent");
      const stream = sdk.messages.stream({
        model: "claude-opus-5-5",
        max_tokens: 10,
        messages: [{ role: "user", content: "Hi" }],
      });
      const final = await Promise.race([stream.finalMessage(), timeout]);
      assert.notEqual(typeof final, "string", String(final));
      assert.equal(typeof final === "string" ? "" : final.stop_reason, "end_turn");
    },
  );

  await t.step("the committed stream starts with a ping and ends with message_stop", async () => {
    const { post, backend } = setup({ pingMs: 50 });
    backend.stream = heldStream(sleep(200));
    const res = await post({ body: body({ stream: true }) });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(text.startsWith('event: ping\ndata: {"type":"ping"}\n\n'), text.slice(0, 80));
    assert.ok(text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
  });

  await t.step("an upstream timeout before the first ping is an HTTP 504 timeout_error", async () => {
    const { post, backend } = setup({ pingMs: 5000 });
    backend.events = [new RelayError("timeout_error", "Upstream did not answer within 0.2 s")];
    const res = await post({ body: body({ stream: true }) });
    assert.equal(res.status, 504);
    assert.deepEqual((await res.json()).error, {
      type: "timeout_error",
      message: "Upstream did not answer within 0.2 s",
    });
  });

  await t.step("an upstream timeout after the 200 was committed is an error event", async () => {
    const { post, backend, logs } = setup({ pingMs: 30 });
    backend.delayMs = 150;
    backend.events = [new RelayError("timeout_error", "Upstream did not answer within 0.15 s")];
    const res = await post({ body: body({ stream: true }) });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(
      text.endsWith(
        'event: error\ndata: {"type":"error","error":{"type":"timeout_error",' +
          '"message":"Upstream did not answer within 0.15 s"}}\n\n',
      ),
      text,
    );
    assert.equal(logs[0]?.status, 504);
  });

  await t.step("an upstream that ends without a byte after the commit is an error event", async () => {
    const { post, backend } = setup({ pingMs: 30 });
    backend.stream = async function* () {
      await sleep(100);
      yield* [];
    };
    const res = await post({ body: body({ stream: true }) });
    assert.match(await res.text(), /event: error\ndata: .*"Upstream returned an empty stream"/);
  });
});

Deno.test("the shutdown cutoff ends requests in flight with overloaded_error", async (t) => {
  await t.step("a stream ends with an overloaded_error event and its upstream call is aborted", async () => {
    const { post, backend, cutoff, logs } = setup();
    backend.delayMs = 50;
    backend.events = textEvents(Array.from({ length: 100 }, () => "x"));
    const res = await post({ body: body({ stream: true }) });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    await reader.read();
    cutoff.abort(new RelayError("overloaded_error", "relayx is shutting down; retry the request"));
    let text = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
    assert.ok(
      text.endsWith(
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",' +
          '"message":"relayx is shutting down; retry the request"}}\n\n',
      ),
    );
    await backend.aborted.promise;
    assert.equal(backend.calls[0]?.ctx.signal.aborted, true);
    assert.equal(logs[0]?.status, 529);
  });

  await t.step(
    "a non-stream request whose upstream has not answered is a 529, its call aborted",
    async () => {
      const { post, backend, cutoff } = setup();
      backend.complete = (_request, ctx) => {
        backend.calls.push({ request: _request, ctx });
        return new Promise(() => {});
      };
      const pending = post({ body: body() });
      await sleep(50);
      cutoff.abort();
      const res = await pending;
      assert.equal(res.status, 529);
      assert.equal((await res.json()).error.type, "overloaded_error");
      assert.equal(backend.calls[0]?.ctx.signal.aborted, true);
    },
  );

  await t.step("a request arriving after the cutoff is a 529 at once", async () => {
    const { post, cutoff, backend } = setup();
    cutoff.abort();
    const res = await post({ body: body({ stream: true }) });
    assert.equal(res.status, 529);
    await res.body?.cancel();
    assert.equal(backend.calls[0]?.ctx.signal.aborted, true);
  });
});
