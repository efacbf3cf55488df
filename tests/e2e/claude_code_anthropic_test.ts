/**
 * The real Claude Code CLI through relayx's Anthropic pass-through to the Anthropic-format mock (what
 * DeepSeek's, z.ai's or Moonshot's `/anthropic` endpoints and Ollama speak): the write-file scenario, and
 * the thinking scenario, where the upstream's thinking block must come back to it on the next request with
 * its signature byte for byte; and the tool-search scenario, since a deferred tool that ToolSearch loaded
 * once never reached an upstream without Anthropic's tool search (the request was prepared twice). The
 * other scenarios of `_scenarios.ts` pass here too (all of them were run once); they exercise the
 * translating backends' paths, and here would repeat the pass-through's unit tests at the CLI's cost.
 */
import { createAnthropicBackend } from "../../src/backends/anthropic/anthropic_backend.ts";
import {
  message,
  type MockReply,
  startMockAnthropic,
  streamEvents,
  type WireEvent,
} from "../support/mock_anthropic.ts";
import type { RecordedRequest } from "../support/mock_anthropic.ts";
import { startRelay } from "../support/relay.ts";
import { runScenarios, type SentRequest, type Turn, type Upstream, type UpstreamKind } from "./_scenarios.ts";

type Json = Record<string, unknown>;

function rec(v: unknown): Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v as Json : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** `text` in `pieces` fragments, cut between code points. */
function fragments(text: string, pieces: number): string[] {
  const chars = [...text];
  const size = Math.max(1, Math.ceil(chars.length / pieces));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(""));
  return out;
}

/** A streamed text answer whose one text_delta is cut into `pieces` deltas. */
function textEvents(text: string, pieces: number): WireEvent[] {
  return streamEvents([{ type: "text", text }]).flatMap((e) =>
    e.type === "content_block_delta"
      ? fragments(text, pieces).map((piece) => ({ ...e, delta: { type: "text_delta", text: piece } }))
      : [e]
  );
}

function reply(turn: Turn): MockReply {
  switch (turn.kind) {
    case "text":
      // The mock writes one frame per event; `splitBytes` has no counterpart here.
      return { kind: "stream", events: textEvents(turn.text, turn.pieces ?? 1) };
    case "tools":
      return {
        kind: "stream",
        events: streamEvents([
          ...(turn.thinking
            ? [{ type: "thinking", thinking: turn.thinking.text, signature: turn.thinking.signature }]
            : []),
          ...(turn.text ? [{ type: "text", text: turn.text }] : []),
          ...turn.calls.map((c) => ({ type: "tool_use", id: c.id, name: c.name, input: c.input })),
        ], "tool_use"),
      };
    case "rate_limit":
      return {
        kind: "error",
        status: 429,
        type: "rate_limit_error",
        message: "Number of requests has exceeded your rate limit",
        retryAfter: turn.retryAfter,
      };
    case "overflow":
      return {
        kind: "error",
        status: 400,
        type: "invalid_request_error",
        message: "prompt is too long: 250000 tokens > 200000 maximum",
      };
    case "broken_stream": {
      // message_start, ping, content_block_start, then `after` text deltas and Anthropic's error event.
      const events = textEvents(turn.text, turn.after + 2);
      return {
        kind: "stream",
        events: [
          ...events.slice(0, 3 + turn.after),
          { type: "error", error: { type: "api_error", message: "Internal server error" } },
        ],
      };
    }
    case "non_stream":
      return message([{ type: "text", text: turn.text }]);
    case "non_stream_error":
      return { kind: "error", status: 500, type: "api_error", message: "Internal server error" };
    default: {
      const never: never = turn;
      throw new Error(`Unknown turn: ${JSON.stringify(never)}`);
    }
  }
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  return list(content).map(rec).filter((b) => b.type === "text").map((b) => String(b.text)).join("");
}

function sent(r: RecordedRequest): SentRequest {
  const body = rec(r.body);
  const results = new Map<string, string>();
  const resultImages: SentRequest["resultImages"] = [];
  const calls: string[] = [];
  const thinking: SentRequest["thinking"] = [];
  for (const m of list(body.messages).map(rec)) {
    for (const b of list(m.content).map(rec)) {
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
  return {
    model: String(body.model),
    via: body.stream === true ? "messages stream" : "messages",
    tools: list(body.tools).map((t) => String(rec(t).name)),
    calls,
    results,
    resultImages,
    thinking,
    json: JSON.stringify(body),
  };
}

function open(): Promise<Upstream> {
  const mock = startMockAnthropic();
  const relay = startRelay(
    createAnthropicBackend({ kind: "anthropic", baseUrl: mock.url, apiKey: "sk-test" }),
  );
  let queued = 0;
  const messages = () => mock.requests.filter((r) => r.path === "/v1/messages");
  return Promise.resolve({
    url: relay.url,
    enqueue: (...turns) => {
      queued += turns.length;
      mock.enqueue(...turns.map(reply));
    },
    // Every Messages request takes the next queued reply, if any.
    pending: () => Math.max(0, queued - messages().length),
    requests: () => messages().map(sent),
    logs: () => relay.logs,
    async [Symbol.asyncDispose]() {
      await relay.close();
      await mock.close();
    },
  });
}

const ANTHROPIC: UpstreamKind = {
  name: "an Anthropic-format upstream (pass-through)",
  // No `model` in the backend's configuration: the client's model goes upstream unchanged.
  model: "claude-opus-5-5",
  smallModel: "claude-haiku-4-5",
  passThrough: "glm-4.6",
  via: { stream: "messages stream", nonStream: "messages", passThrough: "messages stream" },
  signedThinking: true,
  callId: (name) => `toolu_${name}`,
  open,
};

Deno.test(
  `Claude Code CLI through relayx to ${ANTHROPIC.name}`,
  (t) => runScenarios(t, ANTHROPIC, ["2", "4", "6"]),
);
