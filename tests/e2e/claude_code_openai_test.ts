/**
 * The real Claude Code CLI through relayx to the mock OpenAI-compatible upstream: every scenario of
 * `_scenarios.ts`, with provider "openai" (and "deepseek" where reasoning must round-trip).
 */
import { createOpenAIBackend } from "../../src/backends/openai.ts";
import {
  completion,
  type MockOpenAIReply,
  openAIError,
  type RecordedOpenAIRequest,
  startMockOpenAI,
  textStream,
  toolCallStream,
} from "../support/mock_openai.ts";
import { startRelay } from "../support/relay.ts";
import { runScenarios, type SentRequest, type Turn, type Upstream, type UpstreamKind } from "./_scenarios.ts";

type Json = Record<string, unknown>;

function rec(v: unknown): Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v as Json : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function reply(turn: Turn): MockOpenAIReply {
  switch (turn.kind) {
    case "text": {
      const stream = textStream(turn.text, { pieces: turn.pieces });
      return turn.splitBytes ? { ...stream, split: "bytes", splitSize: turn.splitBytes } : stream;
    }
    case "tools": {
      const stream = toolCallStream(
        turn.calls.map((c) => ({ id: c.id, name: c.name, args: c.input })),
        { text: turn.text, argPieces: 4 },
      );
      if (!turn.thinking) return stream;
      // DeepSeek streams reasoning_content before the answer; it has no signature.
      const reasoning = turn.thinking.text.match(/\S+\s*/g) ?? [];
      const head = { id: "chatcmpl-mock", object: "chat.completion.chunk", created: 1_764_000_000 };
      return {
        ...stream,
        chunks: [
          ...reasoning.map((piece, i) => ({
            ...head,
            choices: [{
              index: 0,
              delta: i === 0
                ? { role: "assistant", content: null, reasoning_content: piece }
                : { reasoning_content: piece },
              logprobs: null,
              finish_reason: null,
            }],
          })),
          ...stream.chunks,
        ],
      };
    }
    case "rate_limit":
      return openAIError(429, "Rate limit reached for requests", {
        code: "rate_limit_exceeded",
        headers: { "retry-after": turn.retryAfter },
      });
    case "overflow":
      return openAIError(
        400,
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 250000 tokens. " +
          "Please reduce the length of the messages.",
        { code: "context_length_exceeded", param: "messages" },
      );
    case "broken_stream":
      return {
        ...textStream(turn.text),
        ...(turn.oneRead ? { split: "none" as const } : {}),
        // The first chunk only opens the message; `after` text fragments follow it.
        errorAfter: {
          after: turn.after + 1,
          error: {
            message: "The server had an error while processing your request.",
            type: "server_error",
            code: null,
          },
        },
      };
    case "non_stream":
      return completion({ text: turn.text });
    case "non_stream_error":
      return openAIError(500, "The server had an error while processing your request.");
    default: {
      const never: never = turn;
      throw new Error(`Unknown turn: ${JSON.stringify(never)}`);
    }
  }
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  return list(content).map((p) => rec(p)).filter((p) => p.type === "text").map((p) => String(p.text)).join(
    "",
  );
}

function sent(r: RecordedOpenAIRequest): SentRequest {
  const body = rec(r.body);
  const messages = list(body.messages).map(rec);
  const results = new Map<string, string>();
  const resultImages: SentRequest["resultImages"] = [];
  const calls: string[] = [];
  const thinking: SentRequest["thinking"] = [];
  for (const m of messages) {
    if (m.role === "tool") results.set(String(m.tool_call_id), textOf(m.content));
    if (m.role === "assistant") {
      for (const c of list(m.tool_calls)) calls.push(String(rec(c).id));
      if (typeof m.reasoning_content === "string") thinking.push({ text: m.reasoning_content });
    }
    if (m.role === "user") {
      // Tool messages are text only: relayx sends a tool result's images in the user message after them.
      for (const p of list(m.content).map(rec)) {
        const url = String(rec(p.image_url).url ?? "");
        const data = url.match(/^data:([^;]+);base64,(.*)$/);
        if (p.type === "image_url" && data) resultImages.push({ mediaType: data[1]!, data: data[2]! });
      }
    }
  }
  return {
    model: String(body.model),
    via: body.stream === true ? "chat.completions stream" : "chat.completions",
    tools: list(body.tools).map((t) => String(rec(rec(t).function).name)),
    calls,
    results,
    resultImages,
    thinking,
    json: JSON.stringify(body),
  };
}

async function open(opts: { reasoning?: boolean } = {}): Promise<Upstream> {
  const mock = await startMockOpenAI();
  const relay = startRelay(createOpenAIBackend({
    kind: "openai_compatible",
    apiKey: "sk-test",
    baseUrl: mock.url,
    // DeepSeek's thinking mode wants reasoning_content back on every assistant tool-call message.
    model: opts.reasoning ? "deepseek-reasoner" : "gpt-4.1",
    smallModel: "gpt-4.1-mini",
    provider: opts.reasoning ? "deepseek" : "openai",
  }));
  return {
    url: relay.url,
    enqueue: (...turns) => mock.enqueue(...turns.map(reply)),
    pending: () => mock.pending(),
    requests: () => mock.requests.filter((r) => r.path.endsWith("/chat/completions")).map(sent),
    logs: () => relay.logs,
    async [Symbol.asyncDispose]() {
      await relay.close();
      await mock.close();
    },
  };
}

const OPENAI: UpstreamKind = {
  name: "an OpenAI-compatible upstream",
  model: "gpt-4.1",
  smallModel: "gpt-4.1-mini",
  passThrough: "qwen3-coder",
  via: {
    stream: "chat.completions stream",
    nonStream: "chat.completions",
    passThrough: "chat.completions stream",
  },
  signedThinking: false,
  callId: (name) => `call_${name}`,
  open,
};

Deno.test(`Claude Code CLI through relayx to ${OPENAI.name}`, (t) => runScenarios(t, OPENAI));
