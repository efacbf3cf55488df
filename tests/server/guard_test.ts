import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createApp } from "../../src/app.ts";
import { DEFAULT_LIMITS, type Limits } from "../../src/limits.ts";
import { type RelayServer, serveRelay, usesGuard } from "../../src/server/serve_relay.ts";
import { type FakeBackend, fakeBackend } from "../support/fakes.ts";

const encoder = new TextEncoder();

function guarded(
  limits: Partial<Limits>,
  backend: FakeBackend = fakeBackend(),
): RelayServer & AsyncDisposable {
  const all: Limits = {
    ...DEFAULT_LIMITS,
    guard: "on",
    headerReadMs: 200,
    keepAliveMs: 300,
    bodyReadMs: 200,
    maxHeaderBytes: 2048,
    ...limits,
  };
  const app = createApp({ backend, limits: all });
  const server = serveRelay(app.fetch, { hostname: "127.0.0.1", port: 0, limits: all });
  assert.equal(server.guarded, true);
  return { ...server, [Symbol.asyncDispose]: () => server.shutdown() };
}

/** A raw client connection: what it received, and whether the server closed it. */
async function connect(server: RelayServer) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  let received = "";
  let closedAt = 0;
  const started = performance.now();
  const reading = (async () => {
    const buffer = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      received += new TextDecoder().decode(buffer.subarray(0, n));
    }
    closedAt = performance.now() - started;
  })();
  return {
    send: (text: string) => conn.write(encoder.encode(text)).catch(() => 0),
    received: () => received,
    /** Milliseconds from connect to the server's close, or 0 while it is open. */
    closedAt: () => closedAt,
    closed: async (within: number) => {
      const timer = new Promise((r) => setTimeout(r, within));
      await Promise.race([reading, timer]);
      return closedAt > 0;
    },
    close: () => {
      try {
        conn.close();
      } catch { /* closed */ }
      return reading;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HEALTH = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

Deno.test("the connection guard", async (t) => {
  await t.step(
    "closes a connection whose headers trickle in slower than headerReadMs, with a 408",
    async () => {
      await using server = guarded({});
      const c = await connect(server);
      await c.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
      // One byte every 50 ms: never a whole head, always some progress (the slowloris shape).
      for (let i = 0; i < 60 && !c.closedAt(); i++) {
        await c.send("a");
        await sleep(50);
      }
      assert.ok(await c.closed(1000), "the slow connection is still open after 3 s");
      assert.match(c.received(), /^HTTP\/1\.1 408 /);
      assert.match(c.received(), /"type":"invalid_request_error"/);
      await c.close();
    },
  );

  await t.step("closes a connection that sends nothing after headerReadMs", async () => {
    await using server = guarded({});
    const c = await connect(server);
    assert.ok(await c.closed(3000));
    assert.equal(c.received(), "");
  });

  await t.step("closes an idle keep-alive connection after keepAliveMs", async () => {
    await using server = guarded({});
    const c = await connect(server);
    await c.send(HEALTH);
    assert.ok(await c.closed(3000), "the idle connection is still open after 3 s");
    assert.match(c.received(), /^HTTP\/1\.1 200 /);
    assert.ok(c.closedAt() >= 250, `closed after ${c.closedAt()} ms, before keepAliveMs`);
  });

  await t.step("keeps a connection whose request is in flight past keepAliveMs", async () => {
    const backend = fakeBackend();
    const reply = backend.reply;
    backend.complete = () => sleep(800).then(() => reply instanceof Error ? Promise.reject(reply) : reply);
    await using server = guarded({}, backend);
    const body = JSON.stringify({
      model: "claude-opus-5-5",
      max_tokens: 5,
      messages: [{ role: "user", content: "Hi" }],
    });
    const c = await connect(server);
    await c.send(
      "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
        `content-length: ${body.length}\r\n\r\n${body}`,
    );
    await sleep(1000);
    assert.match(c.received(), /^HTTP\/1\.1 200 /);
    assert.match(c.received(), /"text":"Hello"/);
    assert.ok(await c.closed(3000));
  });

  await t.step("answers a request head over maxHeaderBytes with a 431", async () => {
    await using server = guarded({});
    const c = await connect(server);
    await c.send(`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"b".repeat(3000)}\r\n\r\n`);
    assert.ok(await c.closed(3000));
    assert.match(c.received(), /^HTTP\/1\.1 431 /);
    assert.match(c.received(), /exceed 2048 bytes/);
  });

  await t.step("keeps at most maxConnections open; the next waits until one closes", async () => {
    await using server = guarded({ maxConnections: 2, headerReadMs: 10_000, keepAliveMs: 10_000 });
    const a = await connect(server);
    const b = await connect(server);
    await a.send("GET /health HTTP/1.1\r\n");
    await b.send("GET /health HTTP/1.1\r\n");
    const c = await connect(server);
    await c.send(HEALTH);
    await sleep(300);
    assert.equal(c.received(), "", "a third connection was served over the cap");
    await a.close();
    for (let i = 0; i < 100 && !c.received(); i++) await sleep(20);
    assert.match(c.received(), /^HTTP\/1\.1 200 /);
    await b.close();
    await c.close();
  });

  await t.step("closes a connection whose body stalls, after the app's 408", async () => {
    await using server = guarded({ bodyReadMs: 200, keepAliveMs: 10_000 });
    const c = await connect(server);
    await c.send(
      "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
        'content-length: 100\r\n\r\n{"model":',
    );
    assert.ok(await c.closed(3000), "the stalled connection is still open after 3 s");
    assert.match(c.received(), /^HTTP\/1\.1 408 /);
  });

  await t.step("passes chunked request bodies and pipelined requests", async () => {
    await using server = guarded({});
    const body = JSON.stringify({ model: "claude-opus-5-5", messages: [{ role: "user", content: "Hi" }] });
    const c = await connect(server);
    await c.send(
      "POST /v1/messages/count_tokens HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
        `transfer-encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n${HEALTH}`,
    );
    assert.ok(await c.closed(3000));
    const statuses = [...c.received().matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ["200", "200"]);
    assert.match(c.received(), /"input_tokens":42/);
  });

  await t.step("serves the Anthropic SDK, streaming included", async () => {
    await using server = guarded({ headerReadMs: 5000, keepAliveMs: 5000 });
    const client = new Anthropic({
      baseURL: `http://127.0.0.1:${server.addr.port}`,
      apiKey: "dummy",
      maxRetries: 0,
    });
    const params = {
      model: "claude-opus-5-5",
      max_tokens: 10,
      messages: [{ role: "user" as const, content: "Hi" }],
    };
    const message = await client.messages.create(params);
    assert.deepEqual(message.content, [{ type: "text", text: "Hello" }]);
    const streamed = await client.messages.stream(params).finalMessage();
    assert.equal(streamed.stop_reason, "end_turn");
    assert.deepEqual(streamed.content.map((b) => b.type === "text" ? b.text : ""), ["Hello"]);
  });
});

Deno.test("usesGuard() guards every listener beyond loopback unless RELAYX_GUARD=off", () => {
  assert.deepEqual(
    ["127.0.0.1", "localhost", "::1", "0.0.0.0", "192.168.1.5", "::"].map((h) => usesGuard(h, "auto")),
    [false, false, false, true, true, true],
  );
  assert.equal(usesGuard("127.0.0.1", "on"), true);
  assert.equal(usesGuard("0.0.0.0", "off"), false);
});
