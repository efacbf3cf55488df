/**
 * The real Claude Code CLI through relayx to the mock Bedrock: every scenario of `_scenarios.ts` on both
 * paths a Claude model can take, the native Messages API (InvokeModel, what `BEDROCK_API=auto` picks for
 * Claude) and Converse (`BEDROCK_API=converse`).
 */
import { createBedrockBackend } from "../../src/backends/bedrock/bedrock_backend.ts";
import type { BedrockConfig } from "../../src/config.ts";
import {
  anthropicEvents,
  bedrockError,
  type BedrockOperation,
  chunkEvent,
  converseOutput,
  converseStream,
  inferenceProfile,
  invokeMessage,
  invokeStream,
  type MockBedrockReply,
  type RecordedBedrockRequest,
  startMockBedrock,
} from "../support/mock_bedrock.ts";
import { startRelay } from "../support/relay.ts";
import {
  runScenarios,
  type SentRequest,
  type ToolCall,
  type Turn,
  type Upstream,
  type UpstreamKind,
} from "./_scenarios.ts";

type Json = Record<string, unknown>;

const CREDENTIALS = { accessKeyId: "AKIDRELAYXTEST", secretAccessKey: "relayx-test-secret" };
const OPUS_PROFILE = "us.anthropic.claude-opus-5-5";
const HAIKU_PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const PROFILES = [
  inferenceProfile(OPUS_PROFILE),
  inferenceProfile("global.anthropic.claude-sonnet-5-5"),
  inferenceProfile(HAIKU_PROFILE),
  inferenceProfile("us.amazon.nova-pro-v1:0"),
];
const DATA_PLANE = new Set<BedrockOperation | null>([
  "converse",
  "converse-stream",
  "invoke",
  "invoke-with-response-stream",
]);
const STREAM_ERROR = {
  modelStreamErrorException: {
    message: "Model stream error: the model failed while generating.",
    originalStatusCode: 500,
  },
};

function rec(v: unknown): Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v as Json : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The native Anthropic stream events of optional thinking, text and tool calls. */
function nativeEvents(
  turn: { calls: ToolCall[]; text?: string; thinking?: { text: string; signature: string } },
): Json[] {
  const events: Json[] = [{
    type: "message_start",
    message: {
      id: "msg_bdrk_e2e",
      type: "message",
      role: "assistant",
      model: "claude-opus-5-5",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 40, output_tokens: 1 },
    },
  }];
  let i = 0;
  const block = (start: Json, deltas: Json[]) => {
    events.push({ type: "content_block_start", index: i, content_block: start });
    for (const delta of deltas) events.push({ type: "content_block_delta", index: i, delta });
    events.push({ type: "content_block_stop", index: i++ });
  };
  if (turn.thinking) {
    block({ type: "thinking", thinking: "", signature: "" }, [
      { type: "thinking_delta", thinking: turn.thinking.text },
      { type: "signature_delta", signature: turn.thinking.signature },
    ]);
  }
  if (turn.text) block({ type: "text", text: "" }, [{ type: "text_delta", text: turn.text }]);
  for (const call of turn.calls) {
    const json = JSON.stringify(call.input);
    const half = Math.floor(json.length / 2);
    block({ type: "tool_use", id: call.id, name: call.name, input: {} }, [
      { type: "input_json_delta", partial_json: json.slice(0, half) },
      { type: "input_json_delta", partial_json: json.slice(half) },
    ]);
  }
  events.push(
    {
      type: "message_delta",
      delta: { stop_reason: turn.calls.length ? "tool_use" : "end_turn", stop_sequence: null },
      usage: { output_tokens: 30 },
    },
    { type: "message_stop" },
  );
  return events;
}

function replier(api: "invoke" | "converse"): (turn: Turn) => MockBedrockReply {
  const streamOp: BedrockOperation = api === "invoke" ? "invoke-with-response-stream" : "converse-stream";
  const nonStreamOp: BedrockOperation = api === "invoke" ? "invoke" : "converse";
  return (turn) => {
    switch (turn.kind) {
      case "text": {
        const stream = api === "invoke"
          ? invokeStream(anthropicEvents(turn.text, { pieces: turn.pieces }))
          : converseStream(turn.text, { pieces: turn.pieces });
        return turn.splitBytes ? { ...stream, split: "bytes", splitSize: turn.splitBytes } : stream;
      }
      case "tools":
        return api === "invoke" ? invokeStream(nativeEvents(turn)) : converseStream(turn.text ?? "", {
          reasoning: turn.thinking?.text,
          signature: turn.thinking?.signature,
          toolUses: turn.calls.map((c) => ({ toolUseId: c.id, name: c.name, input: c.input })),
          inputPieces: 4,
        });
      case "rate_limit":
        return bedrockError("ThrottlingException", undefined, {
          headers: { "retry-after": turn.retryAfter },
          operation: streamOp,
        });
      case "overflow":
        return bedrockError("ValidationException", "Input is too long for requested model.", {
          operation: streamOp,
        });
      case "broken_stream": {
        // invoke: message_start and content_block_start, then `after` text deltas; converse: messageStart.
        const events = api === "invoke"
          ? anthropicEvents(turn.text).slice(0, 2 + turn.after).map(chunkEvent)
          : converseStream(turn.text).events.slice(0, 1 + turn.after);
        return {
          kind: "stream",
          events: [...events, STREAM_ERROR],
          operation: streamOp,
          ...(turn.oneRead ? { split: "none" as const } : {}),
        };
      }
      case "non_stream":
        return api === "invoke" ? invokeMessage(turn.text) : converseOutput(turn.text);
      case "non_stream_error":
        return bedrockError("InternalServerException", undefined, { operation: nonStreamOp });
      default: {
        const never: never = turn;
        throw new Error(`Unknown turn: ${JSON.stringify(never)}`);
      }
    }
  };
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  return list(content).map(rec).filter((b) => typeof b.text === "string").map((b) => String(b.text)).join("");
}

function sent(r: RecordedBedrockRequest): SentRequest {
  const body = rec(r.body);
  const results = new Map<string, string>();
  const resultImages: SentRequest["resultImages"] = [];
  const calls: string[] = [];
  const thinking: SentRequest["thinking"] = [];
  const converse = r.operation === "converse" || r.operation === "converse-stream";
  for (const m of list(body.messages).map(rec)) {
    for (const b of list(m.content).map(rec)) {
      if (converse) {
        if (b.toolUse) calls.push(String(rec(b.toolUse).toolUseId));
        const reasoning = rec(rec(b.reasoningContent).reasoningText);
        if (b.reasoningContent) {
          thinking.push({ text: String(reasoning.text), signature: String(reasoning.signature) });
        }
        if (b.toolResult) {
          const result = rec(b.toolResult);
          results.set(String(result.toolUseId), textOf(result.content));
          for (const c of list(result.content).map(rec)) {
            const image = rec(c.image);
            if (c.image) {
              resultImages.push({
                mediaType: `image/${image.format}`,
                data: String(rec(image.source).bytes),
              });
            }
          }
        }
        continue;
      }
      if (b.type === "tool_use") calls.push(String(b.id));
      if (b.type === "thinking") thinking.push({ text: String(b.thinking), signature: String(b.signature) });
      if (b.type === "tool_result") {
        results.set(String(b.tool_use_id), textOf(b.content));
        for (const c of list(b.content).map(rec)) {
          const source = rec(c.source);
          if (c.type === "image") {
            resultImages.push({ mediaType: String(source.media_type), data: String(source.data) });
          }
        }
      }
    }
  }
  const tools = converse
    ? list(rec(body.toolConfig).tools).map(rec).filter((t) => t.toolSpec).map((t) =>
      String(rec(t.toolSpec).name)
    )
    : list(body.tools).map((t) => String(rec(t).name));
  return {
    model: String(r.modelId),
    via: String(r.operation),
    tools,
    calls,
    results,
    resultImages,
    thinking,
    json: JSON.stringify(body),
  };
}

function kind(api: "invoke" | "converse"): UpstreamKind {
  // "auto" is the default, and takes the native path for Claude; "converse" forces Converse.
  const configured: BedrockConfig["api"] = api === "invoke" ? "auto" : "converse";
  const reply = replier(api);
  return {
    name: api === "invoke" ? "Bedrock, native Messages path (InvokeModel)" : "Bedrock, Converse path",
    model: OPUS_PROFILE,
    smallModel: HAIKU_PROFILE,
    passThrough: "amazon.nova-pro-v1:0",
    via: api === "invoke"
      ? { stream: "invoke-with-response-stream", nonStream: "invoke", passThrough: "converse-stream" }
      : { stream: "converse-stream", nonStream: "converse", passThrough: "converse-stream" },
    signedThinking: true,
    callId: (name) => (api === "invoke" ? `toolu_bdrk_${name}` : `tooluse_${name}`),
    async open(): Promise<Upstream> {
      const mock = await startMockBedrock({ profiles: PROFILES, accessKeyId: CREDENTIALS.accessKeyId });
      const backend = await createBedrockBackend(
        {
          kind: "bedrock",
          profileExplicit: false,
          region: "us-east-1",
          api: configured,
          smallModelId: HAIKU_PROFILE,
        },
        { endpoint: mock.url, controlEndpoint: mock.url, credentials: CREDENTIALS, env: {} },
      );
      const relay = startRelay(backend);
      return {
        url: relay.url,
        enqueue: (...turns) => mock.enqueue(...turns.map(reply)),
        pending: () => mock.pending(),
        requests: () => mock.requests.filter((r) => DATA_PLANE.has(r.operation)).map(sent),
        logs: () => relay.logs,
        async [Symbol.asyncDispose]() {
          await relay.close();
          await mock.close();
        },
      };
    },
  };
}

for (const api of ["invoke", "converse"] as const) {
  const upstream = kind(api);
  Deno.test(`Claude Code CLI through relayx to ${upstream.name}`, (t) => runScenarios(t, upstream));
}
