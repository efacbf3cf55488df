/**
 * Claude Code's probes, through the app over real backends and mock upstreams that record requests:
 * the connectivity check (`HEAD /api/hello`), the cache pre-warm (`max_tokens: 0`, answered by relayx on
 * every backend but the Anthropic pass-through, which forwards it), and the one-token model check.
 */
import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import type { MessagesRequest } from "../../src/anthropic/types.ts";
import { createAnthropicBackend } from "../../src/backends/anthropic/anthropic_backend.ts";
import type { Backend } from "../../src/backends/backend.ts";
import { createBedrockBackend } from "../../src/backends/bedrock/bedrock_backend.ts";
import { createOpenAIBackend } from "../../src/backends/openai.ts";
import type { RequestLog } from "../../src/log.ts";
import { createRedactor } from "../../src/redact.ts";
import { createRouter } from "../../src/routing/router.ts";
import { estimateInputTokens } from "../../src/tokens.ts";
import { fakeBackend } from "../support/fakes.ts";
import { message, startMockAnthropic } from "../support/mock_anthropic.ts";
import { invokeMessage, startMockBedrock } from "../support/mock_bedrock.ts";
import { completion, startMockOpenAI } from "../support/mock_openai.ts";

const CREDENTIALS = { accessKeyId: "AKIDRELAYXTEST", secretAccessKey: "relayx-test-secret" };

/** A pre-warm as Claude Code sends it: the conversation so far, a system prompt, tools, no output. */
const PREWARM = {
  model: "claude-sonnet-4-5",
  max_tokens: 0,
  system: [{ type: "text", text: "You are Claude Code, Anthropic's official CLI for Claude." }],
  tools: [{ name: "Read", description: "Reads a file", input_schema: { type: "object", properties: {} } }],
  messages: [{ role: "user", content: [{ type: "text", text: "Summarise README.md, please." }] }],
};

function appOver(backend: Backend, apiKey?: string) {
  const logs: RequestLog[] = [];
  const app = createApp({ backend, log: (e) => logs.push(e), apiKey });
  const post = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    Promise.resolve(app.request("/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    }));
  return { app, logs, post };
}

/** The SSE events of a stream body, in order. */
// deno-lint-ignore no-explicit-any -- parsed test output, read field by field below
function events(text: string): { type: string; [k: string]: any }[] {
  return [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!));
}

// The estimate relayx puts in `input_tokens`, computed the way the backend sees the request.
const ESTIMATE = estimateInputTokens(PREWARM as unknown as MessagesRequest);

async function assertPrewarmAnswers(post: ReturnType<typeof appOver>["post"], logs: RequestLog[]) {
  const json = await post(PREWARM);
  assert.equal(json.status, 200);
  const msg = await json.json();
  assert.deepEqual(
    { ...msg, id: "" },
    {
      id: "",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [],
      stop_reason: "max_tokens",
      stop_sequence: null,
      usage: {
        input_tokens: ESTIMATE,
        output_tokens: 0,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    },
  );
  assert.match(msg.id, /^msg_/);

  const stream = await post({ ...PREWARM, stream: true });
  assert.equal(stream.status, 200);
  const seen = events(await stream.text());
  assert.deepEqual(seen.map((e) => e.type), ["message_start", "message_delta", "message_stop"]);
  assert.equal(seen[0]?.message.usage.input_tokens, ESTIMATE);
  assert.equal(seen[0]?.message.usage.output_tokens, 0);
  assert.deepEqual(seen[0]?.message.content, []);
  assert.deepEqual(seen[1], {
    type: "message_delta",
    delta: { stop_reason: "max_tokens", stop_sequence: null },
    usage: { output_tokens: 0 },
  });
  // One log line each, as for any request.
  assert.deepEqual(logs.map((l) => [l.status, l.stream, l.input_tokens, l.output_tokens]), [
    [200, false, ESTIMATE, 0],
    [200, true, ESTIMATE, 0],
  ]);
}

Deno.test("Claude Code's connectivity probe: HEAD and GET /api/hello answer 200 without a key", async (t) => {
  const { app, logs } = appOver(fakeBackend(), "relayx-client-key");

  await t.step("HEAD, as the CLI sends it at every interactive start (only a User-Agent)", async () => {
    const res = await app.request("/api/hello", {
      method: "HEAD",
      headers: { host: "127.0.0.1:8082", "user-agent": "Bun/1.4.6", accept: "*/*" },
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "");
    assert.match(res.headers.get("request-id") ?? "", /^req_/);
  });

  await t.step("GET, as its first-run preflight sends it: a small JSON body", async () => {
    const res = await app.request("/api/hello", { headers: { "user-agent": "claude-cli/2.1.332" } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { message: "hello" });
  });

  await t.step("the Host check still applies, and other methods and paths are 404s", async () => {
    const foreign = await app.request("/api/hello", { method: "HEAD", headers: { host: "evil.example" } });
    assert.equal(foreign.status, 403);
    assert.equal((await app.request("/api/hello", { method: "POST" })).status, 404);
    const other = await app.request("/api/oauth/profile", { headers: { "x-api-key": "relayx-client-key" } });
    assert.equal(other.status, 404);
    await other.body?.cancel();
  });

  await t.step("every other route still wants the key", async () => {
    assert.equal((await app.request("/v1/models")).status, 401);
  });

  assert.deepEqual(logs.slice(0, 2).map((l) => [l.method, l.path, l.status]), [
    ["HEAD", "/api/hello", 200],
    ["GET", "/api/hello", 200],
  ]);
});

Deno.test("max_tokens 0 (cache pre-warm) is answered by relayx on the OpenAI-compatible backend", async () => {
  await using mock = await startMockOpenAI();
  const backend = createOpenAIBackend({
    kind: "openai_compatible",
    apiKey: "sk-test",
    baseUrl: mock.url,
    model: "gpt-4.1",
    smallModel: "gpt-4.1-mini",
    provider: "openai",
  });
  const { post, logs } = appOver(backend);
  await assertPrewarmAnswers(post, logs);
  assert.equal(mock.requests.length, 0, "the upstream saw no request");
});

Deno.test("max_tokens 0 (cache pre-warm) is answered by relayx on Bedrock", async () => {
  await using mock = await startMockBedrock();
  const backend = await createBedrockBackend(
    { kind: "bedrock", profileExplicit: false, region: "us-east-1", api: "auto" },
    { endpoint: mock.url, credentials: CREDENTIALS, env: {}, listProfiles: false },
  );
  const { post, logs } = appOver(backend);
  await assertPrewarmAnswers(post, logs);
  assert.equal(mock.requests.length, 0, "the upstream saw no request");
});

Deno.test("max_tokens 0 goes to the upstream through the Anthropic pass-through, which has the real cache", async () => {
  await using mock = startMockAnthropic();
  const backend = createAnthropicBackend({ kind: "anthropic", baseUrl: mock.url, apiKey: "sk-test" });
  mock.enqueue(message([], "max_tokens"));
  const { post } = appOver(backend);
  const res = await post(PREWARM);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).stop_reason, "max_tokens");
  assert.equal(mock.requests.length, 1);
  assert.equal(mock.requests[0]!.body?.max_tokens, 0);
});

Deno.test("max_tokens 0 behind the router: decided by the target the route picks", async () => {
  await using openai = await startMockOpenAI();
  await using anthropic = startMockAnthropic();
  const router = createRouter({
    backends: {
      local: createOpenAIBackend({
        kind: "openai_compatible",
        apiKey: "",
        baseUrl: openai.url,
        model: "qwen3-coder:30b",
        smallModel: "qwen3:4b",
        provider: "ollama",
      }),
      glm: createAnthropicBackend({ kind: "anthropic", baseUrl: anthropic.url, apiKey: "sk-test" }),
    },
    routes: [
      { name: "small", match: { model: ["claude-haiku-*"] }, to: [{ backend: "local" }] },
      { name: "main", match: {}, to: [{ backend: "glm", model: "glm-4.6" }, { backend: "local" }] },
    ],
  });
  const { post, logs } = appOver(router);
  const haiku = await post({ ...PREWARM, model: "claude-haiku-4-5", stream: true });
  assert.deepEqual(events(await haiku.text()).map((e) => e.type), [
    "message_start",
    "message_delta",
    "message_stop",
  ]);
  assert.equal(openai.requests.length, 0, "the OpenAI-compatible target answered it itself");
  assert.equal(logs[0]?.route, "small");
  assert.equal(logs[0]?.target, "local");

  anthropic.enqueue(message([], "max_tokens"));
  const main = await post(PREWARM);
  assert.equal(main.status, 200);
  assert.equal(anthropic.requests.length, 1, "the pass-through target forwarded it");
  assert.equal(anthropic.requests[0]!.body?.max_tokens, 0);
  assert.equal(logs[1]?.target, "glm/glm-4.6");
});

Deno.test("max_tokens 1 (a model check) is raised to the provider's minimum, with a warning", async (t) => {
  await using mock = await startMockOpenAI();
  const check = { model: "claude-sonnet-4-5", max_tokens: 1, messages: [{ role: "user", content: "." }] };

  await t.step("OpenRouter's OpenAI models start at 16 output tokens", async () => {
    const backend = createOpenAIBackend({
      kind: "openai_compatible",
      apiKey: "sk-test",
      baseUrl: mock.url,
      model: "openai/gpt-5",
      smallModel: "openai/gpt-5-mini",
      provider: "openrouter",
    });
    mock.enqueue(completion({ text: "OK" }));
    const res = await appOver(backend).post(check);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).content[0]?.text, "OK");
    const sent = mock.requests.at(-1)!.body as Record<string, unknown>;
    assert.equal(sent.max_completion_tokens ?? sent.max_tokens, 16);
    assert.match(res.headers.get("x-relayx-warnings") ?? "", /max_tokens: 1 is below the .* minimum/);
  });

  await t.step("elsewhere 1 goes through as asked", async () => {
    const backend = createOpenAIBackend({
      kind: "openai_compatible",
      apiKey: "sk-test",
      baseUrl: mock.url,
      model: "gpt-5",
      smallModel: "gpt-5-mini",
      provider: "openai",
    });
    mock.enqueue(completion({ text: "", finishReason: "length" }));
    const res = await appOver(backend).post(check);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).stop_reason, "max_tokens");
    assert.equal((mock.requests.at(-1)!.body as Record<string, unknown>).max_completion_tokens, 1);
    assert.equal(res.headers.get("x-relayx-warnings"), null);
  });
});

Deno.test("x-relayx-warnings is redacted like a log line", async () => {
  const backend = fakeBackend();
  const complete = backend.complete;
  backend.complete = (request, ctx) => {
    ctx.warn("upstream note: key sk-proj-abcdefghijklmnop was rejected; relayx-local-secret too");
    return complete(request, ctx);
  };
  const logs: RequestLog[] = [];
  const app = createApp({
    backend,
    log: (e) => logs.push(e),
    redact: createRedactor(["relayx-local-secret"]),
  });
  const res = await app.request("/v1/messages", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "Hi" }] }),
  });
  await res.body?.cancel();
  assert.equal(
    res.headers.get("x-relayx-warnings"),
    "upstream note: key [redacted] was rejected; [redacted] too",
  );
});

Deno.test("max_tokens 1 with thinking on Bedrock Claude: thinking dropped (its budget needs more), the check answers", async () => {
  await using mock = await startMockBedrock();
  const backend = await createBedrockBackend(
    {
      kind: "bedrock",
      profileExplicit: false,
      region: "us-east-1",
      api: "auto",
      modelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    },
    { endpoint: mock.url, credentials: CREDENTIALS, env: {}, listProfiles: false },
  );
  mock.enqueue(invokeMessage("O", { stopReason: "max_tokens" }));
  const res = await appOver(backend).post({
    model: "claude-sonnet-4-5",
    max_tokens: 1,
    thinking: { type: "enabled", budget_tokens: 1024 },
    messages: [{ role: "user", content: "." }],
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).stop_reason, "max_tokens");
  const sent = mock.requests.at(-1)!.body as Record<string, unknown>;
  assert.equal(sent.max_tokens, 1);
  assert.equal(sent.thinking, undefined);
  assert.match(res.headers.get("x-relayx-warnings") ?? "", /thinking: max_tokens leaves no room/);
});
