/**
 * Bedrock InvokeModel(WithResponseStream) output for Claude -> Anthropic events and messages.
 *
 * The chunks already are Anthropic stream events; what changes: the requested model name and relayx's
 * message id are reported, aliased tool names are restored, blocks relayx cannot represent (server-tool
 * results) are skipped with the indexes renumbered so they stay contiguous, unknown delta kinds are
 * dropped, and Bedrock's `amazon-bedrock-invocationMetrics` (which rides on `message_stop`, after the
 * `message_delta`) fills the usage figures the `message_delta` lacks. So the `message_delta` is held until
 * `message_stop`.
 *
 * @module
 */
import type { BlockDelta, DeltaUsage, StartBlock, StopReason, StreamEvent } from "../../anthropic/types.ts";
import { errorTypeForStatus, isErrorType, RelayError } from "../../errors.ts";
import { num, rec, str } from "../_json.ts";
import { messageStartEvent } from "../message.ts";
import { type StreamTranslator, translateEvents } from "../stream_translator.ts";
import {
  type BedrockStreamOptions,
  type BedrockStreamState,
  bedrockStreamTranslator,
  messageStart,
  streamEndedBefore,
} from "./_bedrock_stream.ts";
import { bedrockReadErrors } from "./bedrock_errors.ts";
import { invokeStopReason } from "./from_invoke.ts";

// Kept importable from here, where it lived before the response translator got its own module.
export { fromInvokeResponse } from "./from_invoke.ts";

type Rec = Record<string, unknown>;

function delta(d: Rec): BlockDelta | undefined {
  switch (d.type) {
    case "text_delta":
      return { type: "text_delta", text: str(d.text) ?? "" };
    case "input_json_delta":
      return { type: "input_json_delta", partial_json: str(d.partial_json) ?? "" };
    case "thinking_delta":
      return { type: "thinking_delta", thinking: str(d.thinking) ?? "" };
    case "signature_delta":
      return { type: "signature_delta", signature: str(d.signature) ?? "" };
    default:
      // citations_delta and future kinds: relayx declares no citations.
      return undefined;
  }
}

class InvokeStreamState implements BedrockStreamState {
  readonly opts: BedrockStreamOptions;
  started = false;
  done = false;
  /** Upstream block index -> relayx index; -1 for skipped blocks. */
  readonly indexes: number[] = [];
  next = 0;
  open: number | undefined;
  held: { delta: { stop_reason: StopReason; stop_sequence: string | null }; usage: Rec } | undefined;

  constructor(opts: BedrockStreamOptions) {
    this.opts = opts;
  }

  startMessage(m: Rec | undefined, out: StreamEvent[]): void {
    if (this.started) return;
    this.started = true;
    const u = rec(m?.usage);
    out.push(
      u
        ? messageStartEvent(this.opts, {
          input_tokens: num(u.input_tokens) ?? this.opts.inputEstimate,
          output_tokens: num(u.output_tokens) ?? 1,
          cache_creation_input_tokens: num(u.cache_creation_input_tokens) ?? 0,
          cache_read_input_tokens: num(u.cache_read_input_tokens) ?? 0,
        })
        : messageStart(this.opts),
    );
  }

  blockStart(c: Rec, out: StreamEvent[]): void {
    const upstream = num(c.index) ?? this.indexes.length;
    const cb = rec(c.content_block) ?? {};
    let block: StartBlock | undefined;
    let first: BlockDelta | undefined;
    switch (cb.type) {
      case "text": {
        block = { type: "text", text: "" };
        const text = str(cb.text);
        if (text) first = { type: "text_delta", text };
        break;
      }
      case "thinking": {
        block = { type: "thinking", thinking: "", signature: "" };
        const thinking = str(cb.thinking);
        if (thinking) first = { type: "thinking_delta", thinking };
        break;
      }
      case "redacted_thinking":
        block = { type: "redacted_thinking", data: str(cb.data) ?? "" };
        break;
      case "tool_use":
        block = {
          type: "tool_use",
          id: str(cb.id) || this.opts.ids.toolUseId(),
          name: this.opts.names.fromUpstream(str(cb.name) ?? ""),
          input: {},
        };
        break;
      default:
        this.opts.warn(`content: Bedrock block type ${JSON.stringify(cb.type)} has no relayx form; dropped`);
        this.indexes[upstream] = -1;
        return;
    }
    this.closeOpen(out);
    const index = this.next++;
    this.indexes[upstream] = index;
    this.open = index;
    out.push({ type: "content_block_start", index, content_block: block });
    if (first) out.push({ type: "content_block_delta", index, delta: first });
  }

  closeOpen(out: StreamEvent[]): void {
    if (this.open === undefined) return;
    out.push({ type: "content_block_stop", index: this.open });
    this.open = undefined;
  }

  hold(c: Rec): void {
    const d = rec(c.delta) ?? {};
    this.held = {
      delta: {
        stop_reason: invokeStopReason(d.stop_reason, this.opts.warn) ?? "end_turn",
        stop_sequence: typeof d.stop_sequence === "string" ? d.stop_sequence : null,
      },
      usage: rec(c.usage) ?? {},
    };
  }

  finish(metrics: Rec | undefined, out: StreamEvent[]): void {
    this.closeOpen(out);
    const u = this.held?.usage ?? {};
    const m = metrics ?? {};
    // Bedrock's metrics fill only what the message_delta did not say.
    const usage: DeltaUsage = { output_tokens: num(u.output_tokens) ?? num(m.outputTokenCount) ?? 0 };
    const input = num(u.input_tokens) ?? num(m.inputTokenCount);
    if (input !== undefined) usage.input_tokens = input;
    const write = num(u.cache_creation_input_tokens) ?? num(m.cacheWriteInputTokenCount);
    if (write !== undefined) usage.cache_creation_input_tokens = write;
    const read = num(u.cache_read_input_tokens) ?? num(m.cacheReadInputTokenCount);
    if (read !== undefined) usage.cache_read_input_tokens = read;
    const delta = this.held?.delta ?? { stop_reason: "end_turn", stop_sequence: null };
    out.push({ type: "message_delta", delta, usage }, { type: "message_stop" });
    this.done = true;
  }

  end(out: StreamEvent[]): void {
    if (!this.held) throw streamEndedBefore("message_delta");
    this.finish(undefined, out);
  }

  handle(chunk: unknown, out: StreamEvent[]): void {
    const c = rec(chunk);
    if (!c) return;
    switch (c.type) {
      case "content_block_delta": {
        const index = this.indexes[num(c.index) ?? -1];
        if (index === undefined || index < 0) return;
        const d = delta(rec(c.delta) ?? {});
        if (d) out.push({ type: "content_block_delta", index, delta: d });
        return;
      }
      case "message_start":
        return this.startMessage(rec(c.message), out);
      case "content_block_start":
        this.startMessage(undefined, out);
        return this.blockStart(c, out);
      case "content_block_stop": {
        const index = this.indexes[num(c.index) ?? -1];
        if (index !== undefined && index >= 0 && index === this.open) this.closeOpen(out);
        return;
      }
      case "message_delta":
        this.startMessage(undefined, out);
        this.closeOpen(out);
        return this.hold(c);
      case "message_stop":
        this.startMessage(undefined, out);
        return this.finish(rec(c["amazon-bedrock-invocationMetrics"]), out);
      case "ping":
        if (this.started) out.push({ type: "ping" });
        return;
      case "error": {
        const e = rec(c.error) ?? {};
        const type = isErrorType(e.type) ? e.type : errorTypeForStatus(500);
        throw new RelayError(type, str(e.message) || "Bedrock stream error");
      }
      default:
        return;
    }
  }
}

/**
 * Translates the chunks of an InvokeModelWithResponseStream call on Claude (each the parsed JSON of one
 * `chunk.bytes`) into Anthropic stream events with an exact grammar.
 *
 * @throws {RelayError} for an `error` chunk, an SDK error, or a stream that ends before `message_delta`.
 * @example
 * ```ts
 * // Each chunk is the parsed JSON of one `chunk.bytes` (or what `invokeEvents` decodes from the raw body).
 * async function* upstream() {
 *   yield { type: "message_start", message: { usage: { input_tokens: 12, output_tokens: 1 } } };
 *   yield { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } };
 *   yield { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello" } };
 *   yield { type: "content_block_stop", index: 0 };
 *   yield { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 3 } };
 *   yield { type: "message_stop" };
 * }
 * const events = fromInvokeStream(upstream(), {
 *   model: "claude-sonnet-4-5",
 *   messageId: "msg_1",
 *   ids: { messageId: () => "msg_2", toolUseId: () => "toolu_1" },
 *   names: { toUpstream: (name) => name, fromUpstream: (name) => name },
 *   warn: console.warn,
 *   inputEstimate: 12,
 * });
 * for await (const event of events) console.log(event.type); // message_start, content_block_start, ...
 * ```
 */
export function fromInvokeStream(
  chunks: AsyncIterable<unknown>,
  opts: BedrockStreamOptions,
): AsyncGenerator<StreamEvent> {
  return translateEvents(chunks, invokeStreamTranslator(opts), bedrockReadErrors(opts));
}

/** The synchronous translator behind {@linkcode fromInvokeStream}, for drivers that batch. */
export function invokeStreamTranslator(opts: BedrockStreamOptions): StreamTranslator {
  return bedrockStreamTranslator(new InvokeStreamState(opts));
}
