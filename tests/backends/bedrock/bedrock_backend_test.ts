import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createApp } from "../../../src/app.ts";
import type { Backend } from "../../../src/backends/backend.ts";
import {
  type BedrockBackendOptions,
  createBedrockBackend,
} from "../../../src/backends/bedrock/bedrock_backend.ts";
import type { BedrockConfig } from "../../../src/config.ts";
import type { BedrockApi } from "../../../src/translate/bedrock/bedrock_models.ts";
import { parseConfig } from "../../../src/config.ts";
import { sequentialIds } from "../../../src/ids.ts";
import { estimateInputTokens } from "../../../src/tokens.ts";
import {
  anthropicEvents,
  bedrockError,
  bedrockUsage,
  converseOutput,
  converseStream,
  countTokensReply,
  inferenceProfile,
  invokeMessage,
  invokeStream,
  type MockBedrock,
  type RecordedBedrockRequest,
  startMockBedrock,
} from "../../support/mock_bedrock.ts";

const PROFILES = [
  inferenceProfile("us.anthropic.claude-opus-5-5"),
  inferenceProfile("global.anthropic.claude-opus-5-5"),
  inferenceProfile("global.anthropic.claude-sonnet-5-5"),
  inferenceProfile("us.anthropic.claude-haiku-4-5-20251001-v1:0"),
  inferenceProfile("us.amazon.nova-pro-v1:0"),
];
const CREDENTIALS = { accessKeyId: "AKIDRELAYXTEST", secretAccessKey: "relayx-test-secret" };
const OPUS = "claude-opus-5-5";
const PNG_1PX =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const PDF = btoa("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");
const WEATHER_TOOL = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] },
};

interface Setup extends AsyncDisposable {
  mock: MockBedrock;
  backend: Backend;
  sdk: Anthropic;
  post(path: string, body: unknown): Promise<Response>;
  last(): RecordedBedrockRequest;
}

async function setup(
  api: BedrockConfig["api"],
  config: Partial<BedrockConfig> = {},
  options: BedrockBackendOptions = {},
): Promise<Setup> {
  const mock = await startMockBedrock({ profiles: PROFILES, accessKeyId: CREDENTIALS.accessKeyId });
  const backend = await createBedrockBackend(
    { kind: "bedrock", profileExplicit: false, region: "us-east-1", api, ...config },
    { endpoint: mock.url, controlEndpoint: mock.url, credentials: CREDENTIALS, env: {}, ...options },
  );
  const app = createApp({ backend, ids: sequentialIds() });
  const sdk = new Anthropic({
    apiKey: "dummy",
    baseURL: "http://relay.test",
    maxRetries: 0,
    fetch: (url: string | URL | Request, init?: RequestInit) =>
      Promise.resolve(app.fetch(new Request(url, init))),
  });
  return {
    mock,
    backend,
    sdk,
    post: (path, body) =>
      Promise.resolve(app.request(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      })),
    last: () => {
      const data = mock.requests.filter((r) => r.operation !== "list-inference-profiles");
      const r = data.at(-1);
      assert.ok(r, "the mock received no data-plane request");
      return r;
    },
    [Symbol.asyncDispose]: () => mock.close(),
  };
}

type Json = Record<string, unknown>;

function rec(value: unknown): Json {
  assert.ok(typeof value === "object" && value !== null, `expected an object, got ${JSON.stringify(value)}`);
  return value as Json;
}

function arr(value: unknown): unknown[] {
  assert.ok(Array.isArray(value), `expected an array, got ${JSON.stringify(value)}`);
  return value;
}

/** The native Anthropic events of an answer with optional thinking, text and tool calls. */
function invokeEvents(opts: {
  thinking?: { text: string; signature: string };
  text?: string;
  tools?: { id: string; name: string; input: unknown }[];
  usage?: Json;
}): Json[] {
  const usage = opts.usage ?? { input_tokens: 20, output_tokens: 9 };
  const events: Json[] = [{
    type: "message_start",
    message: {
      id: "msg_bdrk_1",
      type: "message",
      role: "assistant",
      model: "claude-opus-5-5",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  }];
  let i = 0;
  if (opts.thinking) {
    events.push(
      {
        type: "content_block_start",
        index: i,
        content_block: { type: "thinking", thinking: "", signature: "" },
      },
      {
        type: "content_block_delta",
        index: i,
        delta: { type: "thinking_delta", thinking: opts.thinking.text },
      },
      {
        type: "content_block_delta",
        index: i,
        delta: { type: "signature_delta", signature: opts.thinking.signature },
      },
      { type: "content_block_stop", index: i++ },
    );
  }
  if (opts.text) {
    events.push(
      { type: "content_block_start", index: i, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: i, delta: { type: "text_delta", text: opts.text } },
      { type: "content_block_stop", index: i++ },
    );
  }
  for (const t of opts.tools ?? []) {
    const json = JSON.stringify(t.input);
    const half = Math.floor(json.length / 2);
    events.push(
      {
        type: "content_block_start",
        index: i,
        content_block: { type: "tool_use", id: t.id, name: t.name, input: {} },
      },
      {
        type: "content_block_delta",
        index: i,
        delta: { type: "input_json_delta", partial_json: json.slice(0, half) },
      },
      {
        type: "content_block_delta",
        index: i,
        delta: { type: "input_json_delta", partial_json: json.slice(half) },
      },
      { type: "content_block_stop", index: i++ },
    );
  }
  events.push(
    {
      type: "message_delta",
      delta: { stop_reason: opts.tools?.length ? "tool_use" : "end_turn", stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    },
    { type: "message_stop" },
  );
  return events;
}

async function errorOf(res: Response): Promise<{ type: string; message: string }> {
  const json = await res.json();
  assert.equal(json.type, "error", JSON.stringify(json));
  return json.error;
}

const APIS: BedrockApi[] = ["converse", "invoke"];

for (const api of APIS) {
  Deno.test(`createBedrockBackend() on the ${api} path answers the Anthropic SDK`, async (t) => {
    await using s = await setup(api);
    const { mock, sdk } = s;

    await t.step("a non-stream text answer, the Claude name resolved to the account's profile", async () => {
      mock.enqueue(api === "converse" ? converseOutput("Hello!") : invokeMessage("Hello!"));
      const message = await sdk.messages.create({
        model: OPUS,
        max_tokens: 200,
        system: "Be brief.",
        messages: [{ role: "user", content: "Hi" }],
      });
      assert.equal(message.model, OPUS);
      assert.deepEqual(message.content, [{ type: "text", text: "Hello!" }]);
      assert.equal(message.stop_reason, "end_turn");
      const req = s.last();
      assert.equal(req.operation, api === "converse" ? "converse" : "invoke");
      assert.equal(req.modelId, "us.anthropic.claude-opus-5-5");
      assert.equal(req.auth.kind, "sigv4");
      assert.equal(req.auth.kind === "sigv4" && req.auth.accessKeyId, CREDENTIALS.accessKeyId);
      const body = rec(req.body);
      if (api === "converse") {
        assert.deepEqual(arr(body.messages)[0], { role: "user", content: [{ text: "Hi" }] });
        assert.deepEqual(body.system, [{ text: "Be brief." }]);
      } else {
        assert.equal(body.anthropic_version, "bedrock-2023-05-31");
        assert.equal(body.max_tokens, 200);
        assert.deepEqual(arr(body.messages)[0], { role: "user", content: [{ type: "text", text: "Hi" }] });
      }
    });

    await t.step("a streamed answer with parallel tool calls", async () => {
      const tools = [
        { id: "tooluse_a1", name: "get_weather", input: { city: "Paris" } },
        { id: "tooluse_b2", name: "get_weather", input: { city: "Tokyo" } },
      ];
      mock.enqueue(
        api === "converse"
          ? converseStream("Checking both.", {
            toolUses: tools.map((x) => ({ toolUseId: x.id, name: x.name, input: x.input })),
            usage: bedrockUsage(30, 12),
          })
          : invokeStream(
            invokeEvents({ text: "Checking both.", tools, usage: { input_tokens: 30, output_tokens: 12 } }),
          ),
      );
      const message = await sdk.messages.stream({
        model: OPUS,
        max_tokens: 500,
        tools: [WEATHER_TOOL],
        messages: [{ role: "user", content: "Weather in Paris and Tokyo?" }],
      }).finalMessage();
      assert.equal(message.stop_reason, "tool_use");
      assert.deepEqual(message.content, [
        { type: "text", text: "Checking both." },
        { type: "tool_use", id: "tooluse_a1", name: "get_weather", input: { city: "Paris" } },
        { type: "tool_use", id: "tooluse_b2", name: "get_weather", input: { city: "Tokyo" } },
      ]);
      assert.equal(message.usage.input_tokens, 30);
      assert.equal(message.usage.output_tokens, 12);
      assert.equal(
        s.last().operation,
        api === "converse" ? "converse-stream" : "invoke-with-response-stream",
      );
    });

    await t.step("thinking with its signature survives a tool call round trip", async () => {
      const signature = "EqQBCkgIARABGAIiQL-signature-from-bedrock";
      mock.enqueue(
        api === "converse"
          ? converseStream("", {
            reasoning: "The user wants the weather.",
            signature,
            toolUses: [{ toolUseId: "tooluse_w1", name: "get_weather", input: { city: "Oslo" } }],
          })
          : invokeStream(invokeEvents({
            thinking: { text: "The user wants the weather.", signature },
            tools: [{ id: "tooluse_w1", name: "get_weather", input: { city: "Oslo" } }],
          })),
      );
      const question = { role: "user" as const, content: "Weather in Oslo?" };
      const first = await sdk.messages.stream({
        model: OPUS,
        max_tokens: 4000,
        thinking: { type: "adaptive" },
        tools: [WEATHER_TOOL],
        messages: [question],
      }).finalMessage();
      const thinking = first.content[0];
      assert.equal(thinking?.type, "thinking");
      assert.equal(thinking?.type === "thinking" && thinking.signature, signature);
      assert.equal(first.content[1]?.type, "tool_use");

      mock.enqueue(
        api === "converse"
          ? converseStream("It is sunny in Oslo.")
          : invokeStream(invokeEvents({ text: "It is sunny in Oslo." })),
      );
      const second = await sdk.messages.stream({
        model: OPUS,
        max_tokens: 4000,
        thinking: { type: "adaptive" },
        tools: [WEATHER_TOOL],
        messages: [
          question,
          { role: "assistant", content: first.content },
          {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: "tooluse_w1", content: "Sunny, 21 C" }],
          },
        ],
      }).finalMessage();
      assert.deepEqual(second.content, [{ type: "text", text: "It is sunny in Oslo." }]);
      const sent = arr(rec(s.last().body).messages);
      const assistant = rec(sent[1]);
      assert.equal(assistant.role, "assistant");
      const blocks = arr(assistant.content).map(rec);
      if (api === "converse") {
        assert.deepEqual(blocks[0], {
          reasoningContent: { reasoningText: { text: "The user wants the weather.", signature } },
        });
        assert.deepEqual(rec(blocks[1]).toolUse, {
          toolUseId: "tooluse_w1",
          name: "get_weather",
          input: { city: "Oslo" },
        });
        assert.equal(rec(rec(arr(rec(sent[2]).content)[0]).toolResult).toolUseId, "tooluse_w1");
      } else {
        assert.deepEqual(blocks[0], { type: "thinking", thinking: "The user wants the weather.", signature });
        assert.equal(blocks[1]?.type, "tool_use");
        assert.equal(rec(arr(rec(sent[2]).content)[0]).tool_use_id, "tooluse_w1");
      }
    });

    await t.step("answers larger than 64 KB arrive whole, streamed or not", async () => {
      // Beyond one HTTP/2 flow-control window and many network reads: exercises the frame reassembly.
      const words = Array.from({ length: 20_000 }, (_, i) => `w${i}`);
      const long = words.join(" ");
      mock.enqueue(api === "converse" ? converseOutput(long) : invokeMessage(long));
      const message = await sdk.messages.create({
        model: OPUS,
        max_tokens: 8000,
        messages: [{ role: "user", content: "Count" }],
      });
      assert.equal(message.content[0]?.type === "text" && message.content[0].text, long);

      const pieces = words.map((w, i) => (i === 0 ? w : ` ${w}`)).slice(0, 4000);
      const stream = api === "converse"
        ? converseStream(pieces.join(""), { pieces })
        : invokeStream(anthropicEvents(pieces.join(""), { pieces }));
      mock.enqueue({ ...stream, split: "none" });
      const streamed = await sdk.messages.stream({
        model: OPUS,
        max_tokens: 8000,
        messages: [{ role: "user", content: "Count" }],
      }).finalMessage();
      assert.equal(streamed.content[0]?.type === "text" && streamed.content[0].text, pieces.join(""));
    });

    await t.step("event-stream frames cut into single bytes are reassembled", async () => {
      const stream = api === "converse"
        ? converseStream("Ünïcödé ✓ split", { pieces: 3 })
        : invokeStream(anthropicEvents("Ünïcödé ✓ split", { pieces: 3 }));
      mock.enqueue({ ...stream, split: "every-byte" });
      const message = await sdk.messages.stream({
        model: OPUS,
        max_tokens: 100,
        messages: [{ role: "user", content: "Hi" }],
      }).finalMessage();
      assert.deepEqual(message.content, [{ type: "text", text: "Ünïcödé ✓ split" }]);
    });

    await t.step("an image goes upstream as image bytes", async () => {
      await sdk.messages.create({
        model: OPUS,
        max_tokens: 100,
        messages: [{
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1PX } },
            { type: "text", text: "What is this?" },
          ],
        }],
      });
      const content = arr(rec(arr(rec(s.last().body).messages)[0]).content).map(rec);
      if (api === "converse") {
        assert.deepEqual(content[0], { image: { format: "png", source: { bytes: PNG_1PX } } });
      } else {
        assert.deepEqual(content[0], {
          type: "image",
          source: { type: "base64", media_type: "image/png", data: PNG_1PX },
        });
      }
    });

    await t.step("a PDF goes upstream as a document", async () => {
      await sdk.messages.create({
        model: OPUS,
        max_tokens: 100,
        messages: [{
          role: "user",
          content: [
            {
              type: "document",
              source: { type: "base64", media_type: "application/pdf", data: PDF },
              title: "Report",
            },
            { type: "text", text: "Summarise it." },
          ],
        }],
      });
      const content = arr(rec(arr(rec(s.last().body).messages)[0]).content).map(rec);
      const doc = content.find((b) => api === "converse" ? "document" in b : b.type === "document");
      assert.ok(doc, JSON.stringify(content));
      if (api === "converse") {
        const d = rec(doc.document);
        assert.equal(d.format, "pdf");
        assert.equal(rec(d.source).bytes, PDF);
        assert.equal(typeof d.name, "string");
      } else {
        assert.deepEqual(doc.source, { type: "base64", media_type: "application/pdf", data: PDF });
      }
    });

    await t.step("cache read and write tokens are reported in usage (stream and not)", async () => {
      const cached = {
        input_tokens: 12,
        output_tokens: 5,
        cache_read_input_tokens: 1000,
        cache_creation_input_tokens: 20,
      };
      mock.enqueue(
        api === "converse"
          ? converseOutput("cached", { usage: bedrockUsage(12, 5, { cacheRead: 1000, cacheWrite: 20 }) })
          : invokeMessage("cached", { usage: cached }),
      );
      const message = await sdk.messages.create({
        model: OPUS,
        max_tokens: 100,
        messages: [{ role: "user", content: "Hi" }],
      });
      assert.equal(message.usage.input_tokens, 12);
      assert.equal(message.usage.output_tokens, 5);
      assert.equal(message.usage.cache_read_input_tokens, 1000);
      assert.equal(message.usage.cache_creation_input_tokens, 20);

      mock.enqueue(
        api === "converse"
          ? converseStream("cached", { usage: bedrockUsage(12, 5, { cacheRead: 1000, cacheWrite: 20 }) })
          : invokeStream(anthropicEvents("cached", { usage: cached })),
      );
      const streamed = await sdk.messages.stream({
        model: OPUS,
        max_tokens: 100,
        messages: [{ role: "user", content: "Hi" }],
      }).finalMessage();
      assert.equal(streamed.usage.input_tokens, 12);
      assert.equal(streamed.usage.output_tokens, 5);
      assert.equal(streamed.usage.cache_read_input_tokens, 1000);
      assert.equal(streamed.usage.cache_creation_input_tokens, 20);
    });

    await t.step("count_tokens asks CountTokens with the bare foundation-model id", async () => {
      mock.enqueue(countTokensReply(4321));
      const { input_tokens } = await sdk.messages.countTokens({
        model: OPUS,
        messages: [{ role: "user", content: "How many tokens is this?" }],
        tools: [WEATHER_TOOL],
      });
      assert.equal(input_tokens, 4321);
      const req = s.last();
      assert.equal(req.operation, "count-tokens");
      assert.equal(req.modelId, "anthropic.claude-opus-5-5");
      const input = rec(rec(req.body).input);
      assert.ok(api === "converse" ? "converse" in input : "invokeModel" in input, JSON.stringify(input));
    });

    await t.step("count_tokens falls back to the estimate where CountTokens is unsupported", async () => {
      const request = {
        model: "claude-haiku-4-5",
        messages: [{ role: "user" as const, content: "Count me" }],
      };
      const estimate = estimateInputTokens({
        model: request.model,
        messages: [{ role: "user", content: [{ type: "text", text: "Count me" }] }],
      });
      mock.enqueue(
        bedrockError("ValidationException", "The provided model doesn't support counting tokens.", {
          operation: "count-tokens",
        }),
      );
      const before = mock.requests.length;
      assert.equal((await sdk.messages.countTokens(request)).input_tokens, estimate);
      assert.equal(mock.requests.length, before + 1);
      // Remembered: the next count for that model does not ask again.
      assert.equal((await sdk.messages.countTokens(request)).input_tokens, estimate);
      assert.equal(mock.requests.length, before + 1);
      // Non-Anthropic models have no CountTokens at all.
      const nova = await sdk.messages.countTokens({ ...request, model: "amazon.nova-pro-v1:0" });
      assert.equal(nova.input_tokens, estimate);
      assert.equal(mock.requests.length, before + 1);
    });

    await t.step("Bedrock exceptions become Anthropic errors", async (t) => {
      const body = { model: OPUS, max_tokens: 100, messages: [{ role: "user", content: "Hi" }] };
      const cases: [string, ReturnType<typeof bedrockError>, number, string, RegExp][] = [
        [
          "ThrottlingException -> 429 with retry-after",
          bedrockError("ThrottlingException", undefined, { headers: { "retry-after": "7" } }),
          429,
          "rate_limit_error",
          /Too many requests/,
        ],
        [
          "AccessDeniedException -> 403",
          bedrockError("AccessDeniedException"),
          403,
          "permission_error",
          /access/,
        ],
        [
          "an overflow ValidationException -> 400 prompt is too long",
          bedrockError("ValidationException", "Input is too long for requested model."),
          400,
          "invalid_request_error",
          /^prompt is too long: \d+ tokens > \d+ maximum$/,
        ],
        [
          "ServiceUnavailableException -> 529",
          bedrockError("ServiceUnavailableException"),
          529,
          "overloaded_error",
          /unable to process/,
        ],
        [
          "ExpiredTokenException -> 401 saying how to log in",
          bedrockError("ExpiredTokenException"),
          401,
          "authentication_error",
          /expired.*aws sso login/,
        ],
      ];
      for (const [name, reply, status, type, message] of cases) {
        await t.step(name, async () => {
          for (const stream of [false, true]) {
            mock.enqueue(reply);
            const res = await s.post("/v1/messages", { ...body, stream });
            assert.equal(res.status, status);
            const err = await errorOf(res);
            assert.equal(err.type, type);
            assert.match(err.message, message);
            assert.doesNotMatch(err.message, new RegExp(CREDENTIALS.secretAccessKey));
            if (status === 429) assert.equal(res.headers.get("retry-after"), "7");
            if (status === 401 || status === 403) assert.equal(res.headers.get("x-should-retry"), "false");
          }
        });
      }
    });

    await t.step("an exception inside the event stream becomes an SSE error event", async () => {
      const events = api === "converse"
        ? converseStream("Hello there friend").events.slice(0, 3)
        : invokeStream(anthropicEvents("Hello there friend")).events.slice(0, 3);
      mock.enqueue({
        kind: "stream",
        events: [...events, {
          modelStreamErrorException: { message: "The model stopped", originalStatusCode: 500 },
        }],
      });
      const res = await s.post("/v1/messages", {
        model: OPUS,
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "Hi" }],
      });
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.match(text, /event: message_start/);
      assert.match(text, /event: content_block_delta/);
      assert.match(
        text,
        /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"[^"]*stopped/,
      );
      assert.doesNotMatch(text, /event: message_stop/);
    });

    await t.step("an overflow inside the event stream names believable figures", async () => {
      const events = api === "converse"
        ? converseStream("Hello").events.slice(0, 1)
        : invokeStream(anthropicEvents("Hello")).events.slice(0, 1);
      mock.enqueue({
        kind: "stream",
        events: [...events, { validationException: { message: "Input is too long for requested model." } }],
      });
      const res = await s.post("/v1/messages", {
        model: OPUS,
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "Hi" }],
      });
      const text = await res.text();
      const m = text.match(/prompt is too long: (\d+) tokens > (\d+) maximum/);
      assert.ok(m, text);
      const [tokens, maximum] = [Number(m[1]), Number(m[2])];
      // The model's window, and a gap Claude Code can size its trimming by (not "1 tokens > 0").
      assert.ok(maximum >= 100_000, text);
      assert.ok(tokens - maximum >= maximum / 20, text);
    });

    await t.step("a client that goes away aborts the Bedrock call", async () => {
      const stream = api === "converse"
        ? converseStream("one two three four five")
        : invokeStream(anthropicEvents("one two three four five"));
      mock.enqueue({ ...stream, hangAfter: 3 });
      const res = await s.post("/v1/messages", {
        model: OPUS,
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "Hi" }],
      });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      await reader.read();
      await reader.cancel();
      await mock.nextAbort(5000);
    });
  });
}

Deno.test("createBedrockBackend() routes by model and lists what it maps", async (t) => {
  await using s = await setup("auto", { smallModelId: "us.amazon.nova-pro-v1:0" });
  const { mock, sdk, backend } = s;

  await t.step("auto: Claude goes through InvokeModel, other models through Converse", async () => {
    await sdk.messages.create({
      model: "claude-sonnet-5-5",
      max_tokens: 50,
      messages: [{ role: "user", content: "Hi" }],
    });
    assert.equal(s.last().operation, "invoke");
    assert.equal(s.last().modelId, "global.anthropic.claude-sonnet-5-5");
    await sdk.messages.create({
      model: "amazon.nova-pro-v1:0",
      max_tokens: 50,
      messages: [{ role: "user", content: "Hi" }],
    });
    assert.equal(s.last().operation, "converse");
    assert.equal(s.last().modelId, "amazon.nova-pro-v1:0");
  });

  await t.step("haiku names go to BEDROCK_SMALL_MODEL_ID", async () => {
    await sdk.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 50,
      messages: [{ role: "user", content: "Hi" }],
    });
    assert.equal(s.last().modelId, "us.amazon.nova-pro-v1:0");
    assert.equal(s.last().operation, "converse");
  });

  await t.step("the profile list is fetched once", () => {
    assert.equal(mock.requests.filter((r) => r.operation === "list-inference-profiles").length, 1);
  });

  await t.step("GET /v1/models lists the mapped Claude names", async () => {
    const models = await backend.listModels();
    const opus = models.find((m) => m.id === "claude-opus-5-5");
    assert.equal(opus?.upstream, "us.anthropic.claude-opus-5-5");
    assert.ok(models.some((m) => m.upstream === "us.amazon.nova-pro-v1:0"));
    const page = await sdk.models.list();
    assert.ok(page.data.some((m) => m.id === "claude-opus-5-5"));
  });

  await t.step("describe() names region, credentials and each family's model, never the secret", async () => {
    const line = await backend.describe();
    assert.match(line, /us-east-1/);
    assert.match(line, /opus -> us\.anthropic\.claude-opus-5-5/);
    assert.match(line, /sonnet -> global\.anthropic\.claude-sonnet-5-5/);
    assert.match(line, /haiku -> us\.amazon\.nova-pro-v1:0/);
    // Static keys do not carry the account: it comes from the listed profiles' ARNs.
    assert.match(line, /account 123456789012/);
    assert.doesNotMatch(line, new RegExp(`${CREDENTIALS.secretAccessKey}|${CREDENTIALS.accessKeyId}`));
  });
});

Deno.test("createBedrockBackend() falls back to naming rules when profiles cannot be listed", async () => {
  await using s = await setup("converse", { region: "eu-west-1" });
  s.mock.enqueue(bedrockError("AccessDeniedException", "not authorized: bedrock:ListInferenceProfiles", {
    operation: "list-inference-profiles",
  }));
  await s.sdk.messages.create({ model: OPUS, max_tokens: 50, messages: [{ role: "user", content: "Hi" }] });
  assert.equal(s.last().modelId, "eu.anthropic.claude-opus-5-5");
  assert.match(await s.backend.describe(), /naming rules/);
});

Deno.test("createBedrockBackend() names the configuration file's endpoint host in describe()", async () => {
  await using mock = await startMockBedrock({ profiles: PROFILES, accessKeyId: CREDENTIALS.accessKeyId });
  const backend = await createBedrockBackend(
    { kind: "bedrock", profileExplicit: false, region: "us-east-1", api: "auto", endpoint: mock.url },
    { controlEndpoint: mock.url, credentials: CREDENTIALS, env: {} },
  );
  const line = await backend.describe();
  assert.match(line, new RegExp(`Bedrock us-east-1 at ${new URL(mock.url).host},`));
  assert.doesNotMatch(line, /amazonaws\.com/);
});

// ---- The real server as a subprocess: the README's cases, with exactly the flags the README gives. ----

interface Server extends AsyncDisposable {
  url: string;
  banner: string;
  sdk: Anthropic;
}

function denoDir(): string {
  return Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
}

function freePort(): number {
  // config rejects SERVER_PORT=0, so a port is picked here (the tiny race with other listeners is harmless).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function startServer(flags: string[], env: Record<string, string>): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, "main.ts"],
    cwd: new URL("../../../", import.meta.url),
    clearEnv: true,
    // DENO_DIR keeps the module cache of this run (HOME is an empty directory in these tests).
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      DENO_DIR: denoDir(),
      LLM_BACKEND: "bedrock",
      SERVER_PORT: String(freePort()),
      LOG_FORMAT: "off",
      NO_COLOR: "1",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const deadline = Date.now() + 60_000;
  while (!/listening on (http:\/\/\S+)/.test(out)) {
    const { value, done } = await lines.read();
    if (done || Date.now() > deadline) {
      try {
        child.kill();
      } catch { /* already exited */ }
      const err = await new Response(child.stderr).text();
      throw new Error(`relayx did not start: ${out}\n${err}`);
    }
    out += value;
  }
  const url = out.match(/listening on (http:\/\/\S+)/)![1]!;
  // Keep draining so that the child never blocks on a full pipe.
  const drain = (async () => {
    while (!(await lines.read()).done) { /* discard */ }
  })();
  const stderr = new Response(child.stderr).text();
  return {
    url,
    banner: out,
    sdk: new Anthropic({ apiKey: "dummy", baseURL: url, maxRetries: 0 }),
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      await drain.catch(() => {});
      await stderr;
    },
  };
}

Deno.test("main.ts serves Bedrock with environment keys and only --allow-net --allow-env", async () => {
  await using mock = await startMockBedrock({ profiles: PROFILES, accessKeyId: "AKIDFROMENV" });
  const home = await Deno.makeTempDir();
  try {
    await using server = await startServer(["--allow-net", "--allow-env"], {
      HOME: home,
      AWS_ACCESS_KEY_ID: "AKIDFROMENV",
      AWS_SECRET_ACCESS_KEY: "secret-from-env",
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: mock.url,
      AWS_ENDPOINT_URL_BEDROCK: mock.url,
    });
    assert.match(server.banner, /auth environment keys/);
    assert.doesNotMatch(server.banner, /secret-from-env|AKIDFROMENV|WARNING/);
    mock.enqueue(invokeStream(anthropicEvents("Hello from Bedrock", { pieces: 3 })));
    const message = await server.sdk.messages.stream({
      model: OPUS,
      max_tokens: 100,
      messages: [{ role: "user", content: "Hi" }],
    }).finalMessage();
    assert.deepEqual(message.content, [{ type: "text", text: "Hello from Bedrock" }]);
    const req = mock.requests.find((r) => r.operation === "invoke-with-response-stream");
    assert.equal(req?.modelId, "us.anthropic.claude-opus-5-5");
    assert.equal(req?.auth.kind === "sigv4" && req.auth.accessKeyId, "AKIDFROMENV");

    // Answers over 64 KB (one HTTP/2 flow-control window), from an upstream in another process.
    const long = Array.from({ length: 20_000 }, (_, i) => `w${i}`).join(" ");
    mock.enqueue(invokeMessage(long));
    const big = await server.sdk.messages.create({
      model: OPUS,
      max_tokens: 8000,
      messages: [{ role: "user", content: "Count" }],
    });
    assert.equal(big.content[0]?.type === "text" && big.content[0].text, long);
    const pieces = long.split(" ").slice(0, 4000).map((w, i) => (i === 0 ? w : ` ${w}`));
    mock.enqueue({ ...invokeStream(anthropicEvents(pieces.join(""), { pieces })), split: "none" });
    const streamed = await server.sdk.messages.stream({
      model: OPUS,
      max_tokens: 8000,
      messages: [{ role: "user", content: "Count" }],
    }).finalMessage();
    assert.equal(streamed.content[0]?.type === "text" && streamed.content[0].text, pieces.join(""));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("main.ts sends a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK) as a bearer token, unsigned", async () => {
  await using mock = await startMockBedrock({ profiles: PROFILES, bearerToken: "bedrock-api-key-test" });
  const home = await Deno.makeTempDir();
  try {
    await using server = await startServer(["--allow-net", "--allow-env"], {
      HOME: home,
      AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key-test",
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: mock.url,
      AWS_ENDPOINT_URL_BEDROCK: mock.url,
    });
    assert.match(server.banner, /Bedrock API key \(AWS_BEARER_TOKEN_BEDROCK\)/);
    assert.doesNotMatch(server.banner, /bedrock-api-key-test/);
    const message = await server.sdk.messages.create({
      model: OPUS,
      max_tokens: 100,
      messages: [{ role: "user", content: "Hi" }],
    });
    assert.equal(message.content[0]?.type, "text");
    const req = mock.requests.find((r) => r.operation === "invoke");
    assert.deepEqual(req?.auth, { kind: "bearer", token: "bedrock-api-key-test" });
    assert.equal(req?.headers["x-amz-date"], undefined);
    assert.equal(req?.headers["x-amz-security-token"], undefined);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("main.ts uses the saml profile from ~/.aws and names it when its keys expire", async () => {
  await using mock = await startMockBedrock({ profiles: PROFILES, accessKeyId: "AKIDFROMSAML" });
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${home}/.aws`);
    await Deno.writeTextFile(
      `${home}/.aws/credentials`,
      "[saml]\naws_access_key_id = AKIDFROMSAML\naws_secret_access_key = saml-secret\naws_session_token = saml-token\n",
    );
    await using server = await startServer(["--allow-net", "--allow-env", `--allow-read=${home}/.aws`], {
      HOME: home,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: mock.url,
      AWS_ENDPOINT_URL_BEDROCK: mock.url,
    });
    assert.match(server.banner, /profile "saml"/);
    const ok = await server.sdk.messages.create({
      model: OPUS,
      max_tokens: 50,
      messages: [{ role: "user", content: "Hi" }],
    });
    assert.equal(ok.content[0]?.type, "text");
    const req = mock.requests.find((r) => r.operation === "invoke");
    assert.equal(req?.auth.kind === "sigv4" && req.auth.accessKeyId, "AKIDFROMSAML");

    mock.enqueue(bedrockError("ExpiredTokenException"));
    const res = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: OPUS, max_tokens: 50, messages: [{ role: "user", content: "Hi" }] }),
    });
    assert.equal(res.status, 401);
    const err = await errorOf(res);
    assert.equal(err.type, "authentication_error");
    assert.match(err.message, /profile "saml"/);
    assert.match(err.message, /aws sso login --profile saml/);
    assert.doesNotMatch(err.message, /saml-secret|saml-token/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

async function writeSsoProfile(
  home: string,
  token: { accessToken: string; expiresAt: string },
): Promise<void> {
  await Deno.mkdir(`${home}/.aws/sso/cache`, { recursive: true });
  await Deno.writeTextFile(
    `${home}/.aws/config`,
    [
      "[profile dev]",
      "sso_session = corp",
      "sso_account_id = 111122223333",
      "sso_role_name = Developer",
      "region = us-east-1",
      "",
      "[sso-session corp]",
      "sso_start_url = https://corp.awsapps.com/start",
      "sso_region = us-east-1",
      "sso_registration_scopes = sso:account:access",
      "",
    ].join("\n"),
  );
  // The SDK names the cache file after the SHA-1 of the session name.
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode("corp"));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.writeTextFile(
    `${home}/.aws/sso/cache/${hex}.json`,
    JSON.stringify({ startUrl: "https://corp.awsapps.com/start", region: "us-east-1", ...token }),
  );
}

Deno.test("main.ts signs with SSO role credentials from a valid `aws sso login`", async () => {
  await using mock = await startMockBedrock({ profiles: PROFILES, accessKeyId: "ASIAFROMSSO" });
  // The SSO portal's GetRoleCredentials, as the SDK's SSO client calls it.
  const seen: { token: string | null; account: string | null }[] = [];
  await using portal = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    seen.push({
      token: req.headers.get("x-amz-sso_bearer_token"),
      account: url.searchParams.get("account_id"),
    });
    return Response.json({
      roleCredentials: {
        accessKeyId: "ASIAFROMSSO",
        secretAccessKey: "sso-role-secret",
        sessionToken: "sso-role-session",
        expiration: Date.now() + 3600_000,
      },
    });
  });
  const home = await Deno.makeTempDir();
  try {
    await writeSsoProfile(home, {
      accessToken: "valid-sso-access-token",
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    await using server = await startServer(
      ["--allow-net", "--allow-env", `--allow-read=${home}/.aws`, `--allow-write=${home}/.aws/sso/cache`],
      {
        HOME: home,
        AWS_PROFILE: "dev",
        AWS_ENDPOINT_URL_SSO: `http://127.0.0.1:${portal.addr.port}`,
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME: mock.url,
        AWS_ENDPOINT_URL_BEDROCK: mock.url,
      },
    );
    assert.match(server.banner, /profile "dev" \(AWS_PROFILE\): SSO/);
    assert.doesNotMatch(server.banner, /WARNING|sso-role-secret|valid-sso-access-token/);
    const message = await server.sdk.messages.create({
      model: OPUS,
      max_tokens: 50,
      messages: [{ role: "user", content: "Hi" }],
    });
    assert.equal(message.content[0]?.type, "text");
    assert.deepEqual(seen[0], { token: "valid-sso-access-token", account: "111122223333" });
    const req = mock.requests.find((r) => r.operation === "invoke");
    assert.equal(req?.auth.kind === "sigv4" && req.auth.accessKeyId, "ASIAFROMSSO");
    assert.equal(req?.headers["x-amz-security-token"], "sso-role-session");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("main.ts with an expired SSO login warns at start and answers 401 naming the profile", async () => {
  await using mock = await startMockBedrock({ profiles: PROFILES });
  const home = await Deno.makeTempDir();
  try {
    await writeSsoProfile(home, {
      accessToken: "expired-sso-access-token",
      expiresAt: "2020-01-01T00:00:00Z",
    });
    await using server = await startServer(
      ["--allow-net", "--allow-env", `--allow-read=${home}/.aws`, `--allow-write=${home}/.aws/sso/cache`],
      {
        HOME: home,
        AWS_PROFILE: "dev",
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME: mock.url,
        AWS_ENDPOINT_URL_BEDROCK: mock.url,
      },
    );
    assert.match(server.banner, /profile "dev" \(AWS_PROFILE\)/);
    assert.match(server.banner, /WARNING: no usable AWS credentials.*aws sso login --profile dev/);
    const res = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: OPUS, max_tokens: 50, messages: [{ role: "user", content: "Hi" }] }),
    });
    assert.equal(res.status, 401);
    const err = await errorOf(res);
    assert.equal(err.type, "authentication_error");
    assert.match(err.message, /profile "dev"/);
    assert.match(err.message, /aws sso login --profile dev/);
    assert.doesNotMatch(err.message, /expired-sso-access-token/);
    assert.equal(mock.requests.filter((r) => r.operation === "invoke").length, 0);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

// ---- Real Bedrock: runs only with RELAYX_REAL_BEDROCK=1 and AWS credentials in the environment. ----

const REAL = Deno.env.get("RELAYX_REAL_BEDROCK") === "1";

Deno.test({
  name: "createBedrockBackend() against real Bedrock (RELAYX_REAL_BEDROCK=1)",
  ignore: !REAL,
  async fn() {
    const config = parseConfig({ ...Deno.env.toObject(), LLM_BACKEND: "bedrock" }).backends
      .bedrock as BedrockConfig;
    const backend = await createBedrockBackend(config);
    console.log(await backend.describe());
    const app = createApp({ backend });
    const sdk = new Anthropic({
      apiKey: "dummy",
      baseURL: "http://relay.test",
      maxRetries: 0,
      fetch: (url: string | URL | Request, init?: RequestInit) =>
        Promise.resolve(app.fetch(new Request(url, init))),
    });
    const model = Deno.env.get("RELAYX_REAL_MODEL") ?? "claude-haiku-4-5";
    const message = await sdk.messages.stream({
      model,
      max_tokens: 50,
      messages: [{ role: "user", content: "Reply with the single word: pong" }],
    }).finalMessage();
    assert.match(JSON.stringify(message.content), /pong/i);
    assert.ok(message.usage.output_tokens > 0);
    const counted = await sdk.messages.countTokens({ model, messages: [{ role: "user", content: "Hello" }] });
    assert.ok(counted.input_tokens > 0);
  },
});
