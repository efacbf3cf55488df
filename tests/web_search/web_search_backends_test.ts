/**
 * relayx's web search through every backend kind, end to end: the official SDK sends Claude Code's search
 * request to a real relayx, whose backend talks to a mock upstream (OpenAI-compatible, Bedrock Converse,
 * Bedrock InvokeModel, an Anthropic-format server) and whose searches go to the mock SearXNG. Each kind,
 * stream and not: the client gets Anthropic's blocks, and the upstream's second request carries the call
 * and the results in its own wire format (snapshotted).
 */
import assert from "node:assert/strict";
import type Anthropic from "@anthropic-ai/sdk";
import { createAnthropicBackend } from "../../src/backends/anthropic/anthropic_backend.ts";
import type { Backend } from "../../src/backends/backend.ts";
import { createBedrockBackend } from "../../src/backends/bedrock/bedrock_backend.ts";
import { createOpenAIBackend } from "../../src/backends/openai.ts";
import { createSearchProvider } from "../../src/web_search/create_provider.ts";
import { type WebSearchMode, withWebSearch } from "../../src/web_search/with_web_search.ts";
import { message, startMockAnthropic } from "../support/mock_anthropic.ts";
import {
  bedrockUsage,
  converseOutput,
  converseStream,
  inferenceProfile,
  invokeStream,
  type MockBedrockReply,
  startMockBedrock,
} from "../support/mock_bedrock.ts";
import { completion, textStream, toolCallStream, usage } from "../support/mock_openai.ts";
import { startMockOpenAI } from "../support/mock_openai.ts";
import { type MockSearxng, startMockSearxng } from "../support/mock_searxng.ts";
import { startRelay, type TestRelay } from "../support/relay.ts";

const QUERY = "relayx web search";
const ANSWER = "relayx runs the search itself (https://example.com/relayx).";
const CREDENTIALS = { accessKeyId: "AKIDRELAYXTEST", secretAccessKey: "relayx-test-secret" };
const OPUS_PROFILE = "us.anthropic.claude-opus-5-5";

/** One backend kind: how to start it behind relayx, and how its upstream answers the two rounds. */
interface Kind {
  name: string;
  /** Output tokens of both rounds together, non-stream and stream. */
  outputTokens: [number, number];
  start(
    searxng: MockSearxng,
    stream: boolean,
  ): Promise<{ relay: TestRelay; bodies: () => unknown[] } & AsyncDisposable>;
}

function serve(backend: Backend, searxng: MockSearxng, mode: WebSearchMode = "relayx"): TestRelay {
  const provider = createSearchProvider({ provider: "searxng", url: searxng.url });
  return startRelay(withWebSearch(backend, { provider, mode }));
}

const openai: Kind = {
  name: "OpenAI-compatible",
  outputTokens: [30, 30],
  async start(searxng, stream) {
    const mock = await startMockOpenAI();
    const call = { id: "call_1", name: "web_search", args: { query: QUERY } };
    mock.enqueue(
      ...(stream
        ? [
          toolCallStream([call], { text: "Searching.", usage: usage(100, 10) }),
          textStream(ANSWER, { usage: usage(200, 20) }),
        ]
        : [
          completion({ text: "Searching.", toolCalls: [call], usage: usage(100, 10) }),
          completion({ text: ANSWER, usage: usage(200, 20) }),
        ]),
    );
    const backend = createOpenAIBackend({
      kind: "openai_compatible",
      baseUrl: mock.url,
      apiKey: "sk-test",
      model: "mock-model",
      smallModel: "mock-model",
      provider: "openai",
    });
    const relay = serve(backend, searxng);
    return {
      relay,
      bodies: () => mock.requests.filter((r) => r.path.endsWith("/chat/completions")).map((r) => r.body),
      async [Symbol.asyncDispose]() {
        await relay.close();
        await mock.close();
      },
    };
  },
};

function nativeRound(content: Record<string, unknown>[], stop: string, input: number, output: number) {
  const events: Record<string, unknown>[] = [{
    type: "message_start",
    message: {
      id: "msg_bdrk",
      type: "message",
      role: "assistant",
      model: "claude-opus-5-5",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: input, output_tokens: 1 },
    },
  }];
  content.forEach((b, index) => {
    if (b.type === "text") {
      events.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
      events.push({ type: "content_block_delta", index, delta: { type: "text_delta", text: b.text } });
    } else {
      events.push({ type: "content_block_start", index, content_block: { ...b, input: {} } });
      events.push({
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(b.input) },
      });
    }
    events.push({ type: "content_block_stop", index });
  });
  events.push(
    {
      type: "message_delta",
      delta: { stop_reason: stop, stop_sequence: null },
      usage: { output_tokens: output },
    },
    { type: "message_stop" },
  );
  return events;
}

function invokeReply(
  content: Record<string, unknown>[],
  stop: string,
  input: number,
  output: number,
  stream: boolean,
): MockBedrockReply {
  if (stream) return invokeStream(nativeRound(content, stop, input, output));
  return {
    kind: "json",
    operation: "invoke",
    body: {
      id: "msg_bdrk",
      type: "message",
      role: "assistant",
      model: "claude-opus-5-5",
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage: { input_tokens: input, output_tokens: output },
    },
  };
}

function bedrock(api: "invoke" | "converse"): Kind {
  return {
    name: api === "invoke" ? "Bedrock InvokeModel" : "Bedrock Converse",
    outputTokens: [30, 30],
    async start(searxng, stream) {
      const mock = await startMockBedrock({
        profiles: [inferenceProfile(OPUS_PROFILE)],
        accessKeyId: CREDENTIALS.accessKeyId,
      });
      const call = { type: "tool_use", id: "toolu_bdrk_1", name: "web_search", input: { query: QUERY } };
      if (api === "invoke") {
        mock.enqueue(
          invokeReply([{ type: "text", text: "Searching." }, call], "tool_use", 100, 10, stream),
          invokeReply([{ type: "text", text: ANSWER }], "end_turn", 200, 20, stream),
        );
      } else {
        const toolUse = { toolUseId: "tooluse_1", name: "web_search", input: { query: QUERY } };
        mock.enqueue(
          ...(stream
            ? [
              converseStream("Searching.", { toolUses: [toolUse], usage: bedrockUsage(100, 10) }),
              converseStream(ANSWER, { usage: bedrockUsage(200, 20) }),
            ]
            : [
              converseOutput("", {
                content: [{ text: "Searching." }, { toolUse }],
                usage: bedrockUsage(100, 10),
              }),
              converseOutput(ANSWER, { usage: bedrockUsage(200, 20) }),
            ]),
        );
      }
      const backend = await createBedrockBackend(
        {
          kind: "bedrock",
          profileExplicit: false,
          region: "us-east-1",
          api: api === "invoke" ? "auto" : "converse",
        },
        { endpoint: mock.url, controlEndpoint: mock.url, credentials: CREDENTIALS, env: {} },
      );
      const relay = serve(backend, searxng);
      const data = new Set(["converse", "converse-stream", "invoke", "invoke-with-response-stream"]);
      return {
        relay,
        bodies: () => mock.requests.filter((r) => data.has(String(r.operation))).map((r) => r.body),
        async [Symbol.asyncDispose]() {
          await relay.close();
          await mock.close();
        },
      };
    },
  };
}

const anthropic: Kind = {
  name: "Anthropic-format (a server without server tools)",
  // The mock's rounds report 5 each, 7 each when streamed.
  outputTokens: [10, 14],
  start(searxng) {
    const mock = startMockAnthropic();
    mock.enqueue(
      message([
        { type: "text", text: "Searching." },
        { type: "tool_use", id: "toolu_up_1", name: "web_search", input: { query: QUERY } },
      ], "tool_use"),
      message([{ type: "text", text: ANSWER }]),
    );
    const backend = createAnthropicBackend({ kind: "anthropic", baseUrl: mock.url, apiKey: "sk-test" });
    const relay = serve(backend, searxng);
    return Promise.resolve({
      relay,
      bodies: () => mock.requests.filter((r) => r.path === "/v1/messages").map((r) => r.body),
      async [Symbol.asyncDispose]() {
        await relay.close();
        await mock.close();
      },
    });
  },
};

const SEARCH_TOOL = { type: "web_search_20250305", name: "web_search", max_uses: 8 } as const;

function searchParams(): Anthropic.MessageCreateParamsNonStreaming {
  return {
    model: "claude-opus-5-5",
    max_tokens: 4096,
    tools: [SEARCH_TOOL],
    messages: [{ role: "user", content: `Perform a web search for the query: ${QUERY}` }],
  };
}

// Ids relayx makes at random, and the upstream's, out of the snapshots.
function stable(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value)
      .replace(/srvtoolu_[A-Za-z0-9]+/g, "srvtoolu_ID")
      .replace(/"msg_[A-Za-z0-9_]+"/g, '"msg_ID"'),
  );
}

type Block = { type: string; [key: string]: unknown };

async function blocksOf(relay: TestRelay, stream: boolean): Promise<{ blocks: Block[]; usage: unknown }> {
  if (!stream) {
    const m = await relay.client.messages.create(searchParams());
    return { blocks: m.content as unknown as Block[], usage: m.usage };
  }
  const s = relay.client.messages.stream(searchParams());
  const m = await s.finalMessage();
  return { blocks: m.content as unknown as Block[], usage: m.usage };
}

for (const kind of [openai, bedrock("converse"), bedrock("invoke"), anthropic]) {
  Deno.test(`web search through relayx on ${kind.name}`, async (t) => {
    for (const stream of [false, true]) {
      await t.step(stream ? "stream" : "non-stream", async () => {
        await using searxng = startMockSearxng();
        await using upstream = await kind.start(searxng, stream);
        const { blocks, usage } = await blocksOf(upstream.relay, stream);
        assert.deepEqual(searxng.queries, [QUERY]);
        assert.deepEqual(blocks.map((b) => b.type), [
          "text",
          "server_tool_use",
          "web_search_tool_result",
          "text",
        ]);
        assert.deepEqual(blocks[1]?.input, { query: QUERY });
        assert.equal(blocks[2]?.tool_use_id, blocks[1]?.id);
        const results = blocks[2]?.content as { url: string; title: string }[];
        assert.equal(results[0]?.url, "https://example.com/relayx");
        assert.equal(blocks[3]?.text, ANSWER);
        const u = usage as { server_tool_use?: unknown; output_tokens: number };
        assert.deepEqual(u.server_tool_use, { web_search_requests: 1 });
        assert.equal(u.output_tokens, kind.outputTokens[stream ? 1 : 0]);
        const bodies = upstream.bodies();
        assert.equal(bodies.length, 2);
        const second = JSON.stringify(bodies[1]);
        assert.doesNotMatch(JSON.stringify(bodies), /web_search_20250305/, "never a server tool upstream");
        assert.match(second, /https:\/\/example\.com\/relayx/);
        assert.match(second, /relayx speaks the Anthropic Messages API/);
        await t.assertSnapshot(stable({ client: blocks, upstream: bodies[1] }));
        const log = upstream.relay.logs.at(-1);
        assert.equal(log?.status, 200);
      });
    }

    await t.step("a later turn: the search blocks it sends back reach the upstream as text", async () => {
      await using searxng = startMockSearxng();
      await using upstream = await kind.start(searxng, false);
      const { blocks } = await blocksOf(upstream.relay, false);
      await upstream.relay.client.messages.create({
        model: "claude-opus-5-5",
        max_tokens: 1024,
        messages: [
          { role: "user", content: `Perform a web search for the query: ${QUERY}` },
          { role: "assistant", content: blocks as unknown as Anthropic.ContentBlockParam[] },
          { role: "user", content: "Thanks. Summarise it." },
        ],
      });
      const later = JSON.stringify(upstream.bodies().at(-1));
      assert.match(later, /\[Web search: \\"relayx web search\\"\]/);
      assert.match(later, /relayx speaks the Anthropic Messages API/);
      assert.match(later, /https:\/\/example\.com\/relayx/);
      assert.doesNotMatch(later, /srvtoolu_|web_search_tool_result|encrypted_content/);
    });
  });
}

Deno.test("web search on an Anthropic upstream that runs server tools: the tool and tool_choice go to it as sent", async () => {
  await using searxng = startMockSearxng();
  const mock = startMockAnthropic();
  const backend = createAnthropicBackend(
    { kind: "anthropic", baseUrl: mock.url, apiKey: "sk-test" },
    { provider: "anthropic" },
  );
  await using relay = serve(backend, searxng, "upstream");
  await relay.client.messages.create({
    ...searchParams(),
    tool_choice: { type: "tool", name: "web_search" },
  });
  await mock.close();
  assert.deepEqual(searxng.queries, []);
  const body = mock.requests.find((r) => r.path === "/v1/messages")?.body;
  assert.deepEqual(body?.tools, [SEARCH_TOOL]);
  assert.deepEqual(body?.tool_choice, { type: "tool", name: "web_search" });
});

Deno.test("count_tokens counts what the upstream gets for the web search tool, without a warning", async (t) => {
  await using searxng = startMockSearxng();
  const count = (relay: TestRelay, tools: unknown[], extra: Record<string, unknown> = {}) =>
    fetch(`${relay.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-opus-5-5",
        tools,
        messages: [{ role: "user", content: `Perform a web search for the query: ${QUERY}` }],
        ...extra,
      }),
    });
  const forced = { tool_choice: { type: "tool", name: "web_search" } };

  for (const mode of ["upstream", "relayx"] as const) {
    await t.step(`Anthropic-format upstream, ${mode} searches`, async () => {
      const mock = startMockAnthropic();
      const backend = createAnthropicBackend(
        { kind: "anthropic", baseUrl: mock.url, apiKey: "sk-test" },
        { provider: "anthropic" },
      );
      await using relay = serve(backend, searxng, mode);
      const res = await count(relay, [SEARCH_TOOL], forced);
      await mock.close();
      assert.deepEqual(await res.json(), { input_tokens: 42 });
      assert.equal(res.headers.get("x-relayx-token-count"), "upstream");
      assert.equal(res.headers.get("x-relayx-warnings"), null);
      const body = mock.requests.find((r) => r.path === "/v1/messages/count_tokens")?.body;
      if (mode === "upstream") {
        assert.deepEqual(body?.tools, [SEARCH_TOOL]);
        assert.deepEqual(body?.tool_choice, forced.tool_choice);
      } else {
        const tools = body?.tools as Record<string, unknown>[];
        assert.deepEqual(tools.map((tool) => [tool.type, tool.name, "input_schema" in tool]), [
          [undefined, "web_search", true],
        ]);
        assert.deepEqual(body?.tool_choice, { type: "any" });
      }
    });
  }

  await t.step("OpenAI-compatible upstream: relayx's count includes the stand-in tool", async () => {
    await using mock = await startMockOpenAI();
    const backend = createOpenAIBackend({
      kind: "openai_compatible",
      baseUrl: mock.url,
      apiKey: "sk-test",
      model: "mock-model",
      smallModel: "mock-model",
      provider: "openai",
    });
    await using relay = serve(backend, searxng);
    const withTool = await count(relay, [SEARCH_TOOL]);
    assert.equal(withTool.headers.get("x-relayx-warnings"), null);
    const without = await count(relay, []);
    const [a, b] = [await withTool.json(), await without.json()];
    assert.ok(
      a.input_tokens > b.input_tokens,
      `${a.input_tokens} counted with the tool, ${b.input_tokens} without`,
    );
  });
});

Deno.test("createRelay() runs searches with the WEB_SEARCH_* provider, and without one says how to enable it", async (t) => {
  const { createRelay } = await import("../../main.ts");
  await using searxng = startMockSearxng();
  await using mock = await startMockOpenAI();
  const env = {
    LLM_BACKEND: "openai_compatible",
    OPENAI_BASE_URL: mock.url,
    OPENAI_API_KEY: "sk-test",
    OPENAI_MODEL: "mock-model",
    LOG_FORMAT: "off",
  };
  const call = { id: "call_1", name: "web_search", args: { query: QUERY } };
  const request = () =>
    new Request("http://127.0.0.1/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k" },
      body: JSON.stringify(searchParams()),
    });

  await t.step("configured: the search runs", async () => {
    mock.enqueue(completion({ toolCalls: [call] }), completion({ text: ANSWER }));
    const relay = await createRelay({ ...env, WEB_SEARCH_PROVIDER: "searxng", WEB_SEARCH_URL: searxng.url });
    const res = await relay.fetch(request());
    const body = await res.json();
    assert.deepEqual(searxng.queries, [QUERY]);
    assert.deepEqual(body.content.map((b: Block) => b.type), [
      "server_tool_use",
      "web_search_tool_result",
      "text",
    ]);
  });

  await t.step("not configured: unavailable, the model answers, the warning names the setting", async () => {
    mock.enqueue(completion({ toolCalls: [call] }), completion({ text: "I could not search." }));
    const relay = await createRelay(env);
    const res = await relay.fetch(request());
    const body = await res.json();
    assert.equal(res.status, 200);
    assert.deepEqual(body.content[1].content, {
      type: "web_search_tool_result_error",
      error_code: "unavailable",
    });
    assert.equal(body.content[2].text, "I could not search.");
    assert.match(res.headers.get("x-relayx-warnings") ?? "", /WEB_SEARCH_PROVIDER/);
    assert.deepEqual(searxng.queries, [QUERY]);
  });
});

Deno.test("a client that leaves mid-search cancels the search, and no further upstream round is made", async (t) => {
  for (const stream of [false, true]) {
    await t.step(stream ? "stream" : "non-stream", async () => {
      await using searxng = startMockSearxng();
      searxng.fail = "hang";
      await using up = await openai.start(searxng, stream);
      const client = new AbortController();
      const pending = fetch(`${up.relay.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "k" },
        body: JSON.stringify({ ...searchParams(), stream }),
        signal: client.signal,
      }).then(async (res) => await res.text());
      while (searxng.queries.length === 0) await new Promise((r) => setTimeout(r, 5));
      client.abort();
      await assert.rejects(pending);
      await searxng.abandoned.promise;
      assert.equal(up.bodies().length, 1);
    });
  }
});
