/**
 * The stream side of relayx's web search: the upstream rounds as one Anthropic stream. One
 * `message_start` (the first round's), the model's blocks renumbered so that indexes stay contiguous
 * across rounds, the model's calls of the search function held back and replaced by a `server_tool_use`
 * block (its input as one `input_json_delta`) and a `web_search_tool_result` block (whole in its
 * `content_block_start`), and one `message_delta` and `message_stop` at the end, with every round's
 * usage added up.
 *
 * @module
 */
import type {
  BlockDelta,
  ContentBlock,
  DeltaUsage,
  MessagesRequest,
  StartBlock,
  StopReason,
  StreamEvent,
  Usage,
} from "../anthropic/types.ts";
import type { Backend } from "../backends/backend.ts";
import { addUsage, type DoneSearch, nextMessages, type SearchRun, zeroUsage } from "./_search_run.ts";

/** A block of the upstream's answer as it streams, rebuilt for the next round's history. */
type Building =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string }
  | { type: "tool_use"; id: string; name: string; json: string; search: boolean };

/** One upstream round: its blocks, where each went, and how it ended. */
class Round {
  readonly blocks = new Map<number, Building>();
  /** Upstream index -> client index, for the blocks the client sees. */
  readonly indexes = new Map<number, number>();
  usage: Usage = zeroUsage();
  stop: StopReason | null = null;
  stopSequence: string | null = null;

  start(index: number, block: StartBlock, searchName: string): void {
    switch (block.type) {
      case "text":
        this.blocks.set(index, { type: "text", text: "" });
        return;
      case "thinking":
        this.blocks.set(index, { type: "thinking", thinking: "", signature: block.signature });
        return;
      case "redacted_thinking":
        this.blocks.set(index, { type: "redacted_thinking", data: block.data });
        return;
      case "tool_use":
        this.blocks.set(index, {
          type: "tool_use",
          id: block.id,
          name: block.name,
          json: "",
          search: block.name === searchName,
        });
        return;
      case "server_tool_use":
      case "web_search_tool_result":
        // Only relayx makes these; an upstream never streams them to it.
        return;
      default: {
        const never: never = block;
        throw new Error(`Unknown block: ${JSON.stringify(never)}`);
      }
    }
  }

  delta(index: number, delta: BlockDelta): void {
    const b = this.blocks.get(index);
    if (!b) return;
    if (delta.type === "text_delta" && b.type === "text") b.text += delta.text;
    else if (delta.type === "thinking_delta" && b.type === "thinking") b.thinking += delta.thinking;
    // Each signature_delta carries the whole signature and replaces the last, as Anthropic's SDK reads it.
    else if (delta.type === "signature_delta" && b.type === "thinking") b.signature = delta.signature;
    else if (delta.type === "input_json_delta" && b.type === "tool_use") b.json += delta.partial_json;
  }

  end(usage: DeltaUsage): void {
    // The final message_delta carries the real figures; message_start's were an estimate.
    this.usage.output_tokens = usage.output_tokens;
    if (usage.input_tokens !== undefined) this.usage.input_tokens = usage.input_tokens;
    if (usage.cache_read_input_tokens !== undefined) {
      this.usage.cache_read_input_tokens = usage.cache_read_input_tokens;
    }
    if (usage.cache_creation_input_tokens !== undefined) {
      this.usage.cache_creation_input_tokens = usage.cache_creation_input_tokens;
    }
    if (usage.output_tokens_details) this.usage.output_tokens_details = usage.output_tokens_details;
  }

  /** The model's calls of the search function, in order. */
  calls(): Extract<Building, { type: "tool_use" }>[] {
    return [...this.blocks.values()].filter((b) => b.type === "tool_use" && b.search) as Extract<
      Building,
      { type: "tool_use" }
    >[];
  }

  /** True when the model also called one of the client's tools: the client must run it. */
  clientCalls(): boolean {
    return [...this.blocks.values()].some((b) => b.type === "tool_use" && !b.search);
  }

  /** The round's answer as history for the next one. */
  content(): ContentBlock[] {
    return [...this.blocks.entries()].sort(([a], [b]) => a - b).map(([, b]): ContentBlock => {
      if (b.type !== "tool_use") return b;
      return { type: "tool_use", id: b.id, name: b.name, input: parseInput(b.json) };
    });
  }
}

function parseInput(json: string): unknown {
  if (json.trim() === "") return {};
  try {
    return JSON.parse(json);
  } catch {
    return {};
  }
}

/** The events of one upstream event, for the client; the round records what it needs. */
function translate(event: StreamEvent, round: Round, run: SearchRun, next: { index: number }): StreamEvent[] {
  switch (event.type) {
    case "message_start":
      round.usage.input_tokens = event.message.usage.input_tokens;
      round.usage.cache_read_input_tokens = event.message.usage.cache_read_input_tokens;
      round.usage.cache_creation_input_tokens = event.message.usage.cache_creation_input_tokens;
      return [];
    case "content_block_start": {
      round.start(event.index, event.content_block, run.spec.name);
      const b = round.blocks.get(event.index);
      if (b?.type === "tool_use" && b.search) return [];
      const index = next.index++;
      round.indexes.set(event.index, index);
      return [{ ...event, index }];
    }
    case "content_block_delta": {
      round.delta(event.index, event.delta);
      const index = round.indexes.get(event.index);
      return index === undefined ? [] : [{ ...event, index }];
    }
    case "content_block_stop": {
      const index = round.indexes.get(event.index);
      return index === undefined ? [] : [{ ...event, index }];
    }
    case "message_delta":
      round.stop = event.delta.stop_reason;
      round.stopSequence = event.delta.stop_sequence;
      round.end(event.usage);
      return [];
    case "message_stop":
      return [];
    case "ping":
    case "error":
      return [event];
    default: {
      const never: never = event;
      throw new Error(`Unknown event: ${JSON.stringify(never)}`);
    }
  }
}

function searchEvents(done: DoneSearch, next: { index: number }): StreamEvent[] {
  const use = next.index++;
  const result = next.index++;
  return [
    {
      type: "content_block_start",
      index: use,
      content_block: { type: "server_tool_use", id: done.use.id, name: done.use.name, input: {} },
    },
    {
      type: "content_block_delta",
      index: use,
      delta: { type: "input_json_delta", partial_json: JSON.stringify(done.use.input) },
    },
    { type: "content_block_stop", index: use },
    { type: "content_block_start", index: result, content_block: done.result },
    { type: "content_block_stop", index: result },
  ];
}

function finish(
  stop: StopReason | null,
  stopSequence: string | null,
  usage: Usage,
  run: SearchRun,
): StreamEvent[] {
  const { service_tier: _, ...figures } = usage;
  return [
    {
      type: "message_delta",
      delta: { stop_reason: stop, stop_sequence: stopSequence },
      usage: { ...figures, server_tool_use: { web_search_requests: run.requests } },
    },
    { type: "message_stop" },
  ];
}

/**
 * The stream of an answer whose model may search: each upstream round's events translated as they come,
 * the searches run between rounds. Returning it early returns the round's upstream stream, which aborts
 * the upstream call; a search in progress ends with the call's signal.
 */
export async function* searchStream(
  backend: Backend,
  request: MessagesRequest,
  run: SearchRun,
): AsyncGenerator<StreamEvent[]> {
  const usage = zeroUsage();
  const next = { index: 0 };
  let messages = request.messages;
  let started = false;
  for (;;) {
    const round = new Round();
    for await (const batch of backend.stream(run.roundRequest(request, messages), run.ctx)) {
      const out: StreamEvent[] = [];
      for (const event of batch) {
        if (event.type === "message_start" && !started) {
          started = true;
          out.push(event);
        }
        out.push(...translate(event, round, run, next));
        if (event.type === "error") {
          yield out;
          return;
        }
      }
      if (out.length > 0) yield out;
    }
    addUsage(usage, round.usage);
    const calls = round.calls();
    const done: DoneSearch[] = [];
    for (const call of calls) {
      const search = await run.search(call.id, parseInput(call.json));
      done.push(search);
      yield searchEvents(search, next);
    }
    const clientCalls = round.clientCalls();
    if (calls.length === 0 || clientCalls || !run.mayContinue) {
      const stop = calls.length === 0 || clientCalls ? round.stop : "end_turn";
      yield finish(stop, round.stopSequence, usage, run);
      return;
    }
    messages = nextMessages(messages, round.content(), done);
  }
}
