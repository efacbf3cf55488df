import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createApp } from "../src/app.ts";
import { RelayError } from "../src/errors.ts";
import { sequentialIds } from "../src/ids.ts";
import type { RequestLog } from "../src/log.ts";
import { fakeBackend, textMessage } from "./support/fakes.ts";

const body = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    model: "claude-opus-5-5",
    max_tokens: 100,
    messages: [{ role: "user", content: "Hi" }],
    ...extra,
  });

function setup(opts: { apiKey?: string } = {}) {
  const backend = fakeBackend();
  const logs: RequestLog[] = [];
  const app = createApp({ backend, ids: sequentialIds(), log: (e) => logs.push(e), apiKey: opts.apiKey });
  const post = (path: string, init: RequestInit = {}) =>
    app.request(path, { method: "POST", headers: { "content-type": "application/json" }, ...init });
  const sdk = new Anthropic({
    apiKey: opts.apiKey ?? "dummy",
    baseURL: "http://relay.test",
    maxRetries: 0,
    fetch: (url: string | URL | Request, init?: RequestInit) =>
      Promise.resolve(app.fetch(new Request(url, init))),
  });
  return { app, backend, logs, post, sdk };
}

async function envelope(res: Response) {
  const json = await res.json();
  assert.equal(json.type, "error");
  assert.match(json.request_id, /^req_/);
  assert.equal(res.headers.get("request-id"), json.request_id);
  return json.error as { type: string; message: string };
}

Deno.test("createApp() answers errors in the Anthropic envelope", async (t) => {
  await t.step("malformed JSON is a 400 naming the body", async () => {
    const { post } = setup();
    const res = await post("/v1/messages", { body: "{nope" });
    assert.equal(res.status, 400);
    const err = await envelope(res);
    assert.equal(err.type, "invalid_request_error");
    assert.match(err.message, /^body: Invalid JSON/);
  });

  await t.step("a missing field is a 400 naming its path", async () => {
    const { post } = setup();
    const res = await post("/v1/messages", { body: JSON.stringify({ model: "m", messages: [] }) });
    assert.equal(res.status, 400);
    assert.match((await envelope(res)).message, /^(max_tokens|messages)/);
  });

  await t.step("an empty messages array is a 400 naming messages", async () => {
    const { post } = setup();
    const res = await post("/v1/messages", { body: body({ messages: [] }) });
    assert.equal(res.status, 400);
    assert.match((await envelope(res)).message, /^messages: /);
  });

  await t.step("a bad content block is a 400 naming messages.N.content.M", async () => {
    const { post } = setup();
    const res = await post("/v1/messages", {
      body: body({
        messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: 42 }] }],
      }),
    });
    assert.equal(res.status, 400);
    assert.match((await envelope(res)).message, /^messages\.0\.content\.1/);
  });

  await t.step("a wrongly typed max_tokens is a 400 naming max_tokens", async () => {
    const { post } = setup();
    const res = await post("/v1/messages", { body: body({ max_tokens: "lots" }) });
    assert.equal(res.status, 400);
    assert.match((await envelope(res)).message, /^max_tokens: /);
  });

  await t.step("a body over 32 MB is a 413", async () => {
    const { post } = setup();
    const res = await post("/v1/messages", {
      body: "x",
      headers: { "content-length": String(33 * 1024 * 1024), "content-type": "application/json" },
    });
    assert.equal(res.status, 413);
    assert.equal((await envelope(res)).type, "request_too_large");
  });

  await t.step("an unknown route is a 404 not_found_error", async () => {
    const { app } = setup();
    const res = await app.request("/v1/complete", { method: "POST" });
    assert.equal(res.status, 404);
    assert.equal((await envelope(res)).type, "not_found_error");
  });

  await t.step("a request from a web page's origin is refused", async () => {
    const { post, backend } = setup();
    const res = await post("/v1/messages", {
      body: body(),
      headers: { origin: "https://evil.example", "content-type": "text/plain" },
    });
    assert.equal(res.status, 403);
    assert.equal(backend.calls.length, 0);
  });

  await t.step("with RELAYX_API_KEY set, a wrong key is a 401 and the right one passes", async () => {
    const { post } = setup({ apiKey: "sekrit" });
    const bad = await post("/v1/messages", { body: body(), headers: { "x-api-key": "nope" } });
    assert.equal(bad.status, 401);
    const err = await envelope(bad);
    assert.equal(err.type, "authentication_error");
    assert.doesNotMatch(err.message, /sekrit/);
    const good = await post("/v1/messages", {
      body: body(),
      headers: { authorization: "Bearer sekrit", "content-type": "application/json" },
    });
    assert.equal(good.status, 200);
  });

  await t.step("backend errors keep their status, type and retry headers", async () => {
    const { post, backend } = setup();
    backend.reply = new RelayError("rate_limit_error", "Slow down", { retryAfter: "7" });
    const res = await post("/v1/messages", { body: body() });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "7");
    assert.deepEqual(await envelope(res), { type: "rate_limit_error", message: "Slow down" });
  });

  await t.step("an unexpected failure is a 500 api_error that hides internals", async () => {
    const { post, backend, logs } = setup();
    backend.reply = new TypeError("secret internals");
    const res = await post("/v1/messages", { body: body() });
    assert.equal(res.status, 500);
    const err = await envelope(res);
    assert.equal(err.type, "api_error");
    assert.doesNotMatch(err.message, /secret internals/);
    assert.equal(logs.length, 1);
  });
});

Deno.test("createApp() serves messages, counts, models and health", async (t) => {
  await t.step("a non-stream message goes to the backend with the resolved model", async () => {
    const { sdk, backend, logs } = setup();
    const msg = await sdk.messages.create({
      model: "claude-opus-5-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "Hi" }],
    });
    assert.deepEqual(msg, textMessage("Hello"));
    assert.equal(backend.calls[0]?.ctx.model, "upstream-model");
    assert.deepEqual(backend.calls[0]?.request.messages[0]?.content, [{ type: "text", text: "Hi" }]);
    assert.equal(logs.length, 1);
    assert.equal(logs[0]?.status, 200);
    assert.equal(logs[0]?.upstream_model, "upstream-model");
    assert.equal(logs[0]?.input_tokens, 10);
  });

  await t.step("a stream is framed as SSE and the SDK reassembles it", async () => {
    const { sdk, logs } = setup();
    const final = await sdk.messages.stream({
      model: "claude-opus-5-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "Hi" }],
    }).finalMessage();
    assert.equal(final.content.length, 1);
    const block = final.content[0];
    assert.equal(block?.type === "text" ? block.text : undefined, "Hello");
    assert.equal(final.stop_reason, "end_turn");
    assert.equal(logs.length, 1);
    assert.equal(logs[0]?.output_tokens, 2);
    assert.equal(logs[0]?.stream, true);
  });

  await t.step("a failure before the first event is an HTTP error, not a 200 stream", async () => {
    const { post, backend } = setup();
    backend.events = [new RelayError("overloaded_error", "Upstream overloaded")];
    const res = await post("/v1/messages", { body: body({ stream: true }) });
    assert.equal(res.status, 529);
    assert.equal((await envelope(res)).type, "overloaded_error");
  });

  await t.step("a failure mid-stream ends the stream with an error event", async () => {
    const { post, backend, logs } = setup();
    backend.events = [...backend.events.slice(0, 3), new RelayError("api_error", "Upstream broke")];
    const res = await post("/v1/messages", { body: body({ stream: true }) });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(
      text.endsWith(
        'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"Upstream broke"}}\n\n',
      ),
    );
    assert.ok(!text.includes("message_stop"));
    assert.equal(logs[0]?.error_type, "api_error");
  });

  await t.step("cancelling the response stream returns the backend's iterator", async () => {
    const { post, backend } = setup();
    backend.delayMs = 20;
    const res = await post("/v1/messages", { body: body({ stream: true }) });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await backend.aborted.promise;
    assert.equal(backend.calls[0]?.ctx.signal.aborted, true);
  });

  await t.step("unknown beta flags and top-level fields are accepted", async () => {
    const { post, backend } = setup();
    const res = await post("/v1/messages?beta=true", {
      body: body({ context_management: { edits: [] }, betas: ["made-up-2099-01-01"], speed: "fast" }),
      headers: {
        "anthropic-beta": "brand-new-flag-2030-01-01,claude-code-20250219",
        "content-type": "application/json",
      },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(backend.calls[0]?.request.betas, [
      "made-up-2099-01-01",
      "brand-new-flag-2030-01-01",
      "claude-code-20250219",
    ]);
  });

  await t.step("server tools are dropped with an x-relayx-warnings header", async () => {
    const { post, backend } = setup();
    const res = await post("/v1/messages", {
      body: body({
        tools: [
          { type: "code_execution_20250522", name: "code_execution" },
          { name: "Bash", input_schema: { type: "object" } },
        ],
      }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("x-relayx-warnings") ?? "", /code_execution/);
    assert.deepEqual(backend.calls[0]?.request.tools?.map((t) => t.name), ["Bash"]);
  });

  await t.step(
    "the web search tool goes to the backend in the call context, not among the tools",
    async () => {
      const { post, backend } = setup();
      const res = await post("/v1/messages", {
        body: body({
          tools: [
            { type: "web_search_20250305", name: "web_search", max_uses: 3, allowed_domains: ["deno.com"] },
            { name: "Bash", input_schema: { type: "object" } },
          ],
        }),
      });
      assert.equal(res.status, 200);
      assert.doesNotMatch(res.headers.get("x-relayx-warnings") ?? "", /web_search/);
      assert.deepEqual(backend.calls[0]?.request.tools?.map((t) => t.name), ["Bash"]);
      assert.equal(backend.calls[0]?.ctx.webSearch?.maxUses, 3);
      assert.deepEqual(backend.calls[0]?.ctx.webSearch?.allowedDomains, ["deno.com"]);
    },
  );

  await t.step("count_tokens answers input_tokens", async () => {
    const { sdk } = setup();
    const r = await sdk.messages.countTokens({
      model: "claude-opus-5-5",
      messages: [{ role: "user", content: "Hi" }],
    });
    assert.deepEqual(r, { input_tokens: 42 });
  });

  await t.step("models are listed in Anthropic's shape", async () => {
    const { sdk } = setup();
    const page = await sdk.models.list();
    assert.equal(page.data[0]?.id, "claude-opus-5-5");
    assert.equal(page.data[0]?.type, "model");
  });

  await t.step("health names the backend and nothing secret", async () => {
    const { app } = setup({ apiKey: "sekrit" });
    const res = await app.request("/health");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok", backend: "openai_compatible" });
  });
});

Deno.test("createApp() refuses look-alike loopback origins and bad custom tools with 400s", async (t) => {
  await t.step("a page at 127.attacker.example is not loopback", async () => {
    const { post, backend } = setup();
    for (const origin of ["http://127.attacker.example", "http://127.0.0.1.nip.io"]) {
      const res = await post("/v1/messages", {
        body: body(),
        headers: { origin, "content-type": "text/plain" },
      });
      assert.equal(res.status, 403, origin);
      await res.body?.cancel();
    }
    const local = await post("/v1/messages", {
      body: body(),
      headers: { origin: "http://127.0.0.1:3000", "content-type": "application/json" },
    });
    assert.equal(local.status, 200);
    await local.body?.cancel();
    assert.equal(backend.calls.length, 1);
  });

  await t.step("a custom tool with a null input_schema is a 400 naming it", async () => {
    const { post } = setup();
    const res = await post("/v1/messages", {
      body: body({ tools: [{ type: "custom", name: "x", input_schema: null }] }),
    });
    assert.equal(res.status, 400);
    assert.match((await envelope(res)).message, /^tools\.0\.input_schema: /);
  });
});
