/**
 * The Anthropic pass-through backend end to end: the official SDK -> a real relayx (Deno.serve on
 * 127.0.0.1) -> a mock upstream speaking Anthropic's wire format.
 */
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createAnthropicBackend } from "../../../src/backends/anthropic/anthropic_backend.ts";
import type { AnthropicProviderName } from "../../../src/translate/anthropic/providers.ts";
import {
  message,
  type MockAnthropic,
  type RecordedRequest,
  startMockAnthropic,
  streamEvents,
} from "../../support/mock_anthropic.ts";
import { startRelay, type TestRelay } from "../../support/relay.ts";

const KEY = "relayx-test-secret";
const LIMITS = { upstreamConnectMs: 1000, upstreamHeadersMs: 2000, upstreamIdleMs: 2000 };

function setup(
  provider: AnthropicProviderName = "anthropic",
  model?: string,
): { mock: MockAnthropic; relay: TestRelay } & AsyncDisposable {
  const mock = startMockAnthropic();
  const backend = createAnthropicBackend(
    { kind: "anthropic", baseUrl: mock.url, apiKey: KEY, model },
    { provider, limits: LIMITS },
  );
  const relay = startRelay(backend);
  return {
    mock,
    relay,
    async [Symbol.asyncDispose]() {
      await relay.close();
      await mock.close();
    },
  };
}

function nth(mock: MockAnthropic, i: number): RecordedRequest {
  const req = mock.requests[i];
  assert.ok(req, `the upstream got no request #${i}`);
  return req;
}

const HI: Anthropic.MessageParam[] = [{ role: "user", content: "Hi" }];

Deno.test("anthropic backend: a non-stream message passes through, with the backend's key and model", async () => {
  await using s = setup("generic", "glm-4.6");
  s.mock.enqueue(message([{ type: "text", text: "Hello there" }]));
  const msg = await s.relay.client.messages.create({
    model: "claude-sonnet-4-6",
    max_tokens: 100,
    messages: HI,
  });
  assert.deepEqual(msg.content, [{ type: "text", text: "Hello there" }]);
  assert.equal(msg.model, "claude-sonnet-4-6");
  assert.equal(msg.usage.input_tokens, 21);
  const seen = nth(s.mock, 0);
  assert.equal(seen.path, "/v1/messages");
  assert.equal(seen.body?.model, "glm-4.6");
  assert.equal(seen.headers.get("x-api-key"), KEY);
  assert.equal(seen.headers.get("authorization"), `Bearer ${KEY}`);
  assert.equal(seen.headers.get("anthropic-version"), "2023-06-01");
});

Deno.test("anthropic backend: the client's key never reaches the upstream; Anthropic gets x-api-key only", async () => {
  await using s = setup("anthropic");
  const client = new Anthropic({ baseURL: s.relay.url, apiKey: "sk-ant-client-key", maxRetries: 0 });
  await client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 100, messages: HI });
  const seen = nth(s.mock, 0);
  assert.equal(seen.headers.get("x-api-key"), KEY);
  assert.equal(seen.headers.get("authorization"), null);
  assert.equal(seen.body?.model, "claude-sonnet-4-6");
});

Deno.test("anthropic backend: a stream arrives whole through the SDK", async () => {
  await using s = setup();
  s.mock.enqueue({ kind: "stream", events: streamEvents([{ type: "text", text: "Streamed hello" }]) });
  const stream = s.relay.client.messages.stream({
    model: "claude-sonnet-4-6",
    max_tokens: 100,
    messages: HI,
  });
  const msg = await stream.finalMessage();
  assert.deepEqual(msg.content, [{ type: "text", text: "Streamed hello" }]);
  assert.equal(msg.stop_reason, "end_turn");
  assert.equal(msg.usage.output_tokens, 7);
  assert.equal(nth(s.mock, 0).body?.stream, true);
});

Deno.test("anthropic backend: tool use, streamed, then the tool result goes back", async () => {
  await using s = setup();
  const tools: Anthropic.Tool[] = [{
    name: "Read",
    input_schema: { type: "object", properties: { file_path: { type: "string" } } },
  }];
  s.mock.enqueue({
    kind: "stream",
    events: streamEvents([
      { type: "text", text: "Reading." },
      { type: "tool_use", id: "toolu_up_1", name: "Read", input: { file_path: "a.txt" } },
    ], "tool_use"),
  });
  const first = await s.relay.client.messages.stream({
    model: "claude-sonnet-4-6",
    max_tokens: 100,
    messages: HI,
    tools,
  })
    .finalMessage();
  assert.equal(first.stop_reason, "tool_use");
  const use = first.content[1];
  assert.ok(use?.type === "tool_use");
  assert.deepEqual([use.id, use.name, use.input], ["toolu_up_1", "Read", { file_path: "a.txt" }]);
  await s.relay.client.messages.create({
    model: "claude-sonnet-4-6",
    max_tokens: 100,
    tools,
    messages: [...HI, { role: "assistant", content: first.content }, {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "toolu_up_1", content: "file body" }],
    }],
  });
  const sent = nth(s.mock, 1).body?.messages as { content: { type: string; tool_use_id?: string }[] }[];
  assert.equal(sent[2]?.content[0]?.tool_use_id, "toolu_up_1");
});

Deno.test("anthropic backend: the upstream's thinking signature goes back unchanged on the next turn", async () => {
  await using s = setup("zai");
  const signature = "EqoBCkYIBxgCKkDupstream+signature/==";
  s.mock.enqueue({
    kind: "stream",
    events: streamEvents([{ type: "thinking", thinking: "Let me think.", signature }, {
      type: "text",
      text: "42",
    }]),
  });
  const thinking = { type: "enabled" as const, budget_tokens: 2000 };
  const first = await s.relay.client.messages.stream({
    model: "claude-sonnet-4-6",
    max_tokens: 4000,
    thinking,
    messages: HI,
  }).finalMessage();
  assert.deepEqual(first.content[0], { type: "thinking", thinking: "Let me think.", signature });
  await s.relay.client.messages.create({
    model: "claude-sonnet-4-6",
    max_tokens: 4000,
    thinking,
    messages: [...HI, { role: "assistant", content: first.content }, { role: "user", content: "And?" }],
  });
  const sent = nth(s.mock, 1).body?.messages as { content: unknown[] }[];
  assert.deepEqual(sent[1]?.content[0], { type: "thinking", thinking: "Let me think.", signature });
});

Deno.test("anthropic backend: upstream error envelopes keep their type, status and retry-after", async (t) => {
  await using s = setup();
  const cases = [
    {
      status: 400,
      type: "invalid_request_error",
      message: "messages.0: bad",
      cls: Anthropic.BadRequestError,
    },
    {
      status: 401,
      type: "authentication_error",
      message: "invalid x-api-key",
      cls: Anthropic.AuthenticationError,
    },
    {
      status: 429,
      type: "rate_limit_error",
      message: "Slow down",
      cls: Anthropic.RateLimitError,
      retryAfter: "7",
    },
    { status: 500, type: "api_error", message: "Internal server error", cls: Anthropic.InternalServerError },
    { status: 529, type: "overloaded_error", message: "Overloaded", cls: Anthropic.InternalServerError },
  ];
  for (const c of cases) {
    await t.step(`${c.status} ${c.type}`, async () => {
      for (const stream of [false, true]) {
        s.mock.enqueue({
          kind: "error",
          status: c.status,
          type: c.type,
          message: c.message,
          retryAfter: c.retryAfter,
        });
        const err = await s.relay.client.messages.create({
          model: "claude-sonnet-4-6",
          max_tokens: 100,
          messages: HI,
          stream,
        }).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof c.cls, String(err));
        assert.equal(err.status, c.status);
        const body = err.error as { error: { type: string; message: string } };
        assert.equal(body.error.type, c.type);
        assert.equal(body.error.message, c.message);
        if (c.retryAfter) assert.equal(err.headers.get("retry-after"), c.retryAfter);
      }
    });
  }
});

Deno.test("anthropic backend: an upstream error that quotes the key is redacted", async () => {
  await using s = setup();
  s.mock.enqueue({ kind: "error", status: 401, type: "authentication_error", message: `bad key ${KEY}` });
  const res = await fetch(`${s.relay.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 10, messages: HI }),
  });
  const text = await res.text();
  assert.equal(res.status, 401);
  assert.ok(!text.includes(KEY), text);
});

Deno.test("anthropic backend: a stream cut mid-message ends with an error event", async () => {
  await using s = setup();
  const events = streamEvents([{ type: "text", text: "Half a sent" }]).slice(0, 4);
  s.mock.enqueue({ kind: "stream", events, cut: true });
  const res = await fetch(`${s.relay.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 10, messages: HI, stream: true }),
  });
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.ok(text.includes("Half a sent"), text);
  assert.match(text, /event: error\ndata: \{"type":"error"/);
  assert.ok(!text.includes("message_stop"), text);
});

Deno.test("anthropic backend: a stream that ends early (no cut) ends with an error event too", async () => {
  await using s = setup();
  s.mock.enqueue({ kind: "stream", events: streamEvents([{ type: "text", text: "Half" }]).slice(0, 4) });
  const err = await s.relay.client.messages.stream({
    model: "claude-sonnet-4-6",
    max_tokens: 10,
    messages: HI,
  })
    .finalMessage().then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof Error, String(err));
});

Deno.test("anthropic backend: betas go to Anthropic; elsewhere they are dropped and logged once", async (t) => {
  const beta = "interleaved-thinking-2025-05-14";
  const betas = [beta];
  await t.step("anthropic", async () => {
    await using s = setup("anthropic");
    await s.relay.client.beta.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 10,
      messages: HI,
      betas,
    });
    assert.equal(nth(s.mock, 0).headers.get("anthropic-beta"), beta);
  });
  await t.step("ollama", async () => {
    await using s = setup("ollama");
    for (let i = 0; i < 2; i++) {
      await s.relay.client.beta.messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 10,
        messages: HI,
        betas,
      });
    }
    assert.equal(nth(s.mock, 0).headers.get("anthropic-beta"), null);
    const warned = s.relay.logs.map((l) => (l.warnings ?? []).filter((w) => w.includes(beta)).length);
    assert.deepEqual(warned, [1, 0]);
  });
});

Deno.test("anthropic backend: count_tokens asks Anthropic, and relayx counts elsewhere", async (t) => {
  const body = { model: "claude-sonnet-4-6", messages: HI };
  await t.step("anthropic", async () => {
    await using s = setup("anthropic");
    const count = await s.relay.client.messages.countTokens(body);
    assert.equal(count.input_tokens, 42);
    assert.equal(nth(s.mock, 0).path, "/v1/messages/count_tokens");
    assert.equal(nth(s.mock, 0).body?.max_tokens, undefined);
  });
  await t.step("generic", async () => {
    await using s = setup("generic");
    const count = await s.relay.client.messages.countTokens(body);
    assert.ok(count.input_tokens > 0 && count.input_tokens !== 42);
    assert.equal(s.mock.requests.length, 0);
  });
});

Deno.test("anthropic backend: models come from the upstream's list, or are the configured model", async () => {
  {
    await using s = setup("anthropic");
    const page = await s.relay.client.models.list();
    assert.deepEqual(page.data.map((m) => m.id), ["claude-sonnet-4-5", "claude-haiku-4-5"]);
  }
  {
    await using s = setup("deepseek", "deepseek-chat");
    const page = await s.relay.client.models.list();
    assert.deepEqual(page.data.map((m) => m.id), ["deepseek-chat"]);
  }
});

Deno.test("anthropic backend: describe names the provider, host and model", async () => {
  const backend = createAnthropicBackend({
    kind: "anthropic",
    baseUrl: "https://api.z.ai/api/anthropic",
    apiKey: KEY,
    model: "glm-4.6",
  });
  assert.equal(await backend.describe(), "anthropic (zai) at api.z.ai, model glm-4.6");
});

async function until(what: string, ok: () => boolean): Promise<void> {
  // A generous bound that only catches a hang; the condition usually holds within milliseconds.
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(ok(), what);
}

Deno.test("anthropic backend: a client that leaves mid-stream cancels the upstream call", async () => {
  await using s = setup();
  s.mock.enqueue({ kind: "hang", events: streamEvents([{ type: "text", text: "Going on" }]).slice(0, 4) });
  const abort = new AbortController();
  const res = await fetch(`${s.relay.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 10, messages: HI, stream: true }),
    signal: abort.signal,
  });
  const reader = res.body!.getReader();
  await reader.read();
  abort.abort();
  await reader.cancel().catch(() => {});
  await until("the upstream call was not cancelled", () => s.mock.aborted === 1);
});

Deno.test("anthropic backend: an upstream that sends no headers in time is a 504 timeout_error", async () => {
  await using mock = startMockAnthropic();
  const backend = createAnthropicBackend({ kind: "anthropic", baseUrl: mock.url, apiKey: KEY }, {
    limits: { upstreamConnectMs: 100, upstreamHeadersMs: 100, upstreamIdleMs: 200 },
  });
  await using relay = startRelay(backend);
  mock.enqueue({ kind: "hang", events: [] });
  const err = await relay.client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 10, messages: HI })
    .then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof Anthropic.APIError, String(err));
  assert.equal(err.status, 504);
  await until("the stalled upstream call was not aborted", () => mock.aborted === 1);
});

Deno.test("anthropic backend: an error event mid-stream reaches the client as the same error event", async () => {
  await using s = setup();
  const events = streamEvents([{ type: "text", text: "Partial" }]).slice(0, 4);
  events.push({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
  s.mock.enqueue({ kind: "stream", events });
  const res = await fetch(`${s.relay.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 10, messages: HI, stream: true }),
  });
  const text = await res.text();
  assert.ok(text.includes("Partial"), text);
  assert.match(
    text,
    /event: error\ndata: \{"type":"error","error":\{"type":"overloaded_error","message":"Overloaded"\}/,
  );
});

Deno.test("anthropic backend: Anthropic itself gets Claude Code's tool search as sent; others get it loaded", async (t) => {
  const { default: toolSearch } = await import("../../testdata/claude_code/request_tool_search.json", {
    with: { type: "json" },
  });
  const send = async (s: { relay: TestRelay; mock: MockAnthropic }) => {
    s.mock.enqueue(message([{ type: "text", text: "ok" }]));
    const res = await fetch(`${s.relay.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...toolSearch, stream: false }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
    return JSON.stringify(nth(s.mock, 0).body);
  };

  await t.step(
    "Anthropic: deferred tools, the placeholder and tool_reference blocks go unchanged",
    async () => {
      await using s = setup("anthropic");
      const body = await send(s);
      assert.match(body, /"defer_loading":true/);
      assert.match(body, /"type":"tool_reference"/);
      assert.match(body, /DeferredToolPlaceholder/);
    },
  );

  await t.step(
    "a server without tool search: the loaded tool as an ordinary one, the reference as text",
    async () => {
      await using s = setup("generic");
      const body = await send(s);
      assert.doesNotMatch(body, /"defer_loading"/);
      assert.doesNotMatch(body, /"type":"tool_reference"/);
      assert.doesNotMatch(body, /DeferredToolPlaceholder/);
      assert.match(body, /"name":"NotebookEdit"/);
      assert.match(body, /Tool NotebookEdit is now available/);
    },
  );
});
