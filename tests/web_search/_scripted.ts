/**
 * A backend that answers each upstream round from a script, and the checks the web search tests share:
 * the call context, Anthropic's stream grammar, and the events of scripted rounds.
 */
import assert from "node:assert/strict";
import type {
  MessageResponse,
  MessagesRequest,
  ResponseBlock,
  StreamEvent,
  Tool,
} from "../../src/anthropic/types.ts";
import type { Backend, CallContext } from "../../src/backends/backend.ts";
import { sequentialIds } from "../../src/ids.ts";
import { webSearchSpec } from "../../src/web_search/web_search_tool.ts";

/** A backend whose rounds answer from `rounds`, one per call, recording each request. */
export interface ScriptedBackend extends Backend {
  requests: MessagesRequest[];
  rounds: MessageResponse[];
}

/** Usage of one round. */
export function roundUsage(input: number, output: number): MessageResponse["usage"] {
  return {
    input_tokens: input,
    output_tokens: output,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

/** A round's answer. */
export function answer(
  content: ResponseBlock[],
  stop: MessageResponse["stop_reason"],
  usage = roundUsage(100, 10),
): MessageResponse {
  return {
    id: "msg_up",
    type: "message",
    role: "assistant",
    model: "upstream-model",
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage,
  };
}

/** A round in which the model calls the search function. */
export function searchCall(query: string, id = "call_1", text = "Let me search."): MessageResponse {
  return answer([
    { type: "text", text },
    { type: "tool_use", id, name: "web_search", input: { query } },
  ], "tool_use");
}

/** A round in which the model answers. */
export function finalText(text: string): MessageResponse {
  return answer([{ type: "text", text }], "end_turn", roundUsage(200, 20));
}

/** The events a streaming upstream sends for a round's answer (tool input in two pieces). */
export function roundEvents(m: MessageResponse): StreamEvent[] {
  const events: StreamEvent[] = [{
    type: "message_start",
    message: {
      ...m,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...m.usage, output_tokens: 1 },
    },
  }];
  m.content.forEach((b, index) => {
    if (b.type === "text") {
      events.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
      events.push({ type: "content_block_delta", index, delta: { type: "text_delta", text: b.text } });
    } else if (b.type === "tool_use") {
      events.push({
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id: b.id, name: b.name, input: {} },
      });
      const json = JSON.stringify(b.input);
      const half = Math.floor(json.length / 2);
      for (const partial_json of [json.slice(0, half), json.slice(half)]) {
        events.push({
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json },
        });
      }
    } else throw new Error(`not scripted: ${b.type}`);
    events.push({ type: "content_block_stop", index });
  });
  events.push({
    type: "message_delta",
    delta: { stop_reason: m.stop_reason, stop_sequence: null },
    usage: { output_tokens: m.usage.output_tokens, input_tokens: m.usage.input_tokens },
  });
  events.push({ type: "message_stop" });
  return events;
}

/** Creates the scripted backend. */
export function scriptedBackend(rounds: MessageResponse[]): ScriptedBackend {
  const backend: ScriptedBackend = {
    kind: "openai_compatible",
    requests: [],
    rounds: [...rounds],
    resolveModel: (model) => Promise.resolve(model),
    complete(request) {
      backend.requests.push(request);
      const next = backend.rounds.shift();
      return next ? Promise.resolve(next) : Promise.reject(new Error("no more scripted rounds"));
    },
    async *stream(request) {
      backend.requests.push(request);
      const next = backend.rounds.shift();
      if (!next) throw new Error("no more scripted rounds");
      // Two batches per round: the route and the loop must cope with any batching.
      const events = roundEvents(next);
      yield events.slice(0, 3);
      yield events.slice(3);
    },
    countTokens: () => Promise.resolve(undefined),
    listModels: () => Promise.resolve([]),
    describe: () => Promise.resolve("scripted"),
  };
  return backend;
}

/** The web search tool as Claude Code sends it. */
export const CLAUDE_CODE_SEARCH_TOOL: Tool = { type: "web_search_20250305", name: "web_search", max_uses: 8 };

/** A call context with the request's web search tool, and the warnings it got. */
export function searchContext(
  tool: Tool = CLAUDE_CODE_SEARCH_TOOL,
  signal = new AbortController().signal,
): CallContext & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    model: "upstream-model",
    signal,
    requestId: "req_test",
    warn: (w) => warnings.push(w),
    ids: sequentialIds(),
    webSearch: webSearchSpec([tool]),
    warnings,
  };
}

/** Claude Code's search request. */
export function searchRequest(query = "relayx", stream = false): MessagesRequest {
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 128000,
    stream,
    messages: [{
      role: "user",
      content: [{ type: "text", text: `Perform a web search for the query: ${query}` }],
    }],
  };
}

/** Every event of a stream. */
export async function collect(stream: AsyncIterable<StreamEvent[]>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const batch of stream) {
    assert.ok(batch.length > 0, "no empty batch");
    out.push(...batch);
  }
  return out;
}

/**
 * Checks Anthropic's stream grammar: one message_start first, blocks opened and closed in turn with
 * indexes 0, 1, 2 ..., one message_delta then message_stop last.
 */
export function assertGrammar(events: StreamEvent[]): void {
  const kinds = events.filter((e) => e.type !== "ping");
  assert.equal(kinds[0]?.type, "message_start");
  assert.equal(kinds.filter((e) => e.type === "message_start").length, 1, "one message_start");
  assert.equal(kinds.at(-1)?.type, "message_stop");
  assert.equal(kinds.at(-2)?.type, "message_delta");
  assert.equal(kinds.filter((e) => e.type === "message_delta").length, 1, "one message_delta");
  let open: number | undefined;
  let next = 0;
  for (const e of kinds) {
    if (e.type === "content_block_start") {
      assert.equal(open, undefined, `block ${e.index} opens while ${open} is open`);
      assert.equal(e.index, next, "contiguous indexes");
      open = e.index;
      next++;
    } else if (e.type === "content_block_delta") assert.equal(e.index, open);
    else if (e.type === "content_block_stop") {
      assert.equal(e.index, open);
      open = undefined;
    }
  }
  assert.equal(open, undefined);
}

/** The content blocks a stream's events make, as a non-stream answer would hold them. */
export function blocksOf(events: StreamEvent[]): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  const json: string[] = [];
  for (const e of events) {
    if (e.type === "content_block_start") {
      blocks[e.index] = { ...e.content_block };
      json[e.index] = "";
    } else if (e.type === "content_block_delta") {
      const b = blocks[e.index]!;
      if (e.delta.type === "text_delta") b.text = String(b.text) + e.delta.text;
      if (e.delta.type === "input_json_delta") json[e.index] += e.delta.partial_json;
    } else if (e.type === "content_block_stop" && json[e.index]) {
      blocks[e.index]!.input = JSON.parse(json[e.index]!);
    }
  }
  return blocks;
}
