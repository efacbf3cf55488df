/**
 * Bedrock ConverseStream events -> Anthropic stream events (protocol.md 6.5, 9.4).
 *
 * Events are the one-key objects the SDK's `response.stream` yields (`{contentBlockDelta: {...}}`), or the
 * same objects built from the raw event stream (`{[eventType]: JSON.parse(payload)}`, bytes as base64).
 * Text and reasoning blocks have no `contentBlockStart` on Bedrock: a delta on a new `contentBlockIndex`
 * opens them. Usage arrives in `metadata` after `messageStop`, so the final `message_delta` waits for it.
 *
 * @module
 */
import type { DeltaUsage, StopReason, StreamEvent } from "../../anthropic/types.ts";
import { type StreamTranslator, translateEvents } from "../stream_translator.ts";
import { BlockSequencer } from "../_blocks.ts";
import { encodeSignature } from "../signature.ts";
import { bytesToBase64 } from "../_encoding.ts";
import { rec } from "../_json.ts";
import {
  type BedrockStreamOptions,
  type BedrockStreamState,
  bedrockStreamTranslator,
  messageStart,
  streamEndedBefore,
} from "./_bedrock_stream.ts";
import { bedrockReadErrors, streamExceptionToError } from "./bedrock_errors.ts";
import { bytesField, converseStopReason, converseUsage } from "./from_converse.ts";

// Kept importable from here, where they lived before the Invoke stream shared them.
export { type BedrockStreamOptions, messageStart } from "./_bedrock_stream.ts";

type Rec = Record<string, unknown>;

const EXCEPTIONS = new Set([
  "internalServerException",
  "modelStreamErrorException",
  "validationException",
  "throttlingException",
  "serviceUnavailableException",
]);

class ConverseStreamState implements BedrockStreamState {
  // Reasoning models other than Claude (DeepSeek-R1, gpt-oss, Qwen) send no signature; relayx's own tag
  // keeps such a block from ever going back to Bedrock as a real one.
  readonly seq = new BlockSequencer({ unsignedThinking: encodeSignature("bedrock", {}) });
  readonly opts: BedrockStreamOptions;
  started = false;
  stop: { stop_reason: StopReason; stop_sequence: string | null } | undefined;
  usage: DeltaUsage | undefined;
  done = false;
  /** Characters generated, for an output estimate when Bedrock sends no usage. */
  chars = 0;
  /** Redacted reasoning split over several deltas, by contentBlockIndex. */
  redacted: Map<number, Uint8Array[]> | undefined;

  constructor(opts: BedrockStreamOptions) {
    this.opts = opts;
  }

  flushRedacted(index: number, out: StreamEvent[]): void {
    const parts = this.redacted?.get(index);
    if (!parts) return;
    this.redacted?.delete(index);
    let bytes = parts[0] ?? new Uint8Array();
    if (parts.length > 1) {
      bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        bytes.set(p, at);
        at += p.length;
      }
    }
    this.seq.redacted(bytesToBase64(bytes), out);
  }

  flushAllRedacted(out: StreamEvent[]): void {
    if (!this.redacted) return;
    for (const index of [...this.redacted.keys()]) this.flushRedacted(index, out);
  }

  delta(d: Rec, out: StreamEvent[]): void {
    const index = typeof d.contentBlockIndex === "number" ? d.contentBlockIndex : 0;
    const delta = rec(d.delta);
    if (!delta) return;
    const { seq } = this;
    if (typeof delta.text === "string") {
      // An empty first delta must not open a block: an empty text block would come back in the history.
      if (delta.text !== "" || (seq.open === "text" && seq.openKey === index)) {
        this.chars += delta.text.length;
        seq.text(delta.text, out, index);
      }
      return;
    }
    const toolUse = rec(delta.toolUse);
    if (toolUse) {
      const input = toolUse.input;
      if (typeof input === "string" && seq.open === "tool_use" && seq.openKey === index) {
        this.chars += input.length;
        seq.toolArgs(input, out);
      }
      return;
    }
    const reasoning = rec(delta.reasoningContent);
    if (reasoning) {
      if (typeof reasoning.text === "string") {
        if (reasoning.text !== "" || (seq.open === "thinking" && seq.openKey === index)) {
          this.chars += reasoning.text.length;
          seq.thinking(reasoning.text, out, index);
        }
      } else if (typeof reasoning.signature === "string") {
        seq.signature(reasoning.signature, out, index);
      } else if (reasoning.redactedContent !== undefined) {
        const bytes = bytesField(reasoning.redactedContent);
        if (!bytes) return;
        this.redacted ??= new Map();
        const parts = this.redacted.get(index);
        if (parts) parts.push(bytes);
        else this.redacted.set(index, [bytes]);
      }
    }
    // citation, image and toolResult deltas have no Anthropic stream form; they are ignored.
  }

  start(s: Rec, out: StreamEvent[]): void {
    const toolUse = rec(rec(s.start)?.toolUse);
    if (!toolUse) return;
    const index = typeof s.contentBlockIndex === "number" ? s.contentBlockIndex : 0;
    const id = typeof toolUse.toolUseId === "string" && toolUse.toolUseId !== ""
      ? toolUse.toolUseId
      : this.opts.ids.toolUseId();
    const name = this.opts.names.fromUpstream(typeof toolUse.name === "string" ? toolUse.name : "");
    this.flushAllRedacted(out);
    this.seq.toolStart(id, name, out, index);
  }

  stopBlock(s: Rec, out: StreamEvent[]): void {
    const index = typeof s.contentBlockIndex === "number" ? s.contentBlockIndex : 0;
    this.flushRedacted(index, out);
    if (this.seq.openKey === index) this.seq.close(out);
  }

  finish(out: StreamEvent[]): void {
    this.flushAllRedacted(out);
    this.seq.close(out);
    const stop = this.stop ?? { stop_reason: "end_turn", stop_sequence: null };
    let usage = this.usage;
    if (!usage) {
      this.opts.warn("usage: Bedrock sent no usage metadata; output tokens estimated");
      usage = { output_tokens: Math.ceil(this.chars / 4), input_tokens: this.opts.inputEstimate };
    }
    out.push({ type: "message_delta", delta: stop, usage });
    out.push({ type: "message_stop" });
    this.done = true;
  }

  end(out: StreamEvent[]): void {
    if (!this.stop) throw streamEndedBefore("messageStop");
    this.finish(out);
  }

  /** Handles one upstream event, pushing Anthropic events into `out`. */
  handle(event: unknown, out: StreamEvent[]): void {
    const e = rec(event);
    if (!e) return;
    let d = rec(e.contentBlockDelta);
    if (!d) {
      for (const key in e) {
        if (EXCEPTIONS.has(key) || key.endsWith("Exception")) {
          throw streamExceptionToError(key, e[key], {
            estimate: this.opts.inputEstimate,
            window: this.opts.contextWindow ?? 0,
          });
        }
      }
    }
    if (!this.started) {
      this.started = true;
      out.push(messageStart(this.opts));
    }
    if (d) return this.delta(d, out);
    if ((d = rec(e.contentBlockStart))) return this.start(d, out);
    if ((d = rec(e.contentBlockStop))) return this.stopBlock(d, out);
    if ((d = rec(e.messageStop))) {
      this.flushAllRedacted(out);
      this.seq.close(out);
      this.stop = converseStopReason(d.stopReason, d.additionalModelResponseFields, this.opts.warn);
      if (this.usage) this.finish(out);
      return;
    }
    if ((d = rec(e.metadata))) {
      const u = converseUsage(d.usage);
      this.usage = {
        output_tokens: u.output_tokens,
        input_tokens: u.input_tokens,
        cache_creation_input_tokens: u.cache_creation_input_tokens,
        cache_read_input_tokens: u.cache_read_input_tokens,
      };
      if (this.stop) this.finish(out);
    }
    // messageStart carries only the role; message_start was sent above.
  }
}

/**
 * Translates a Bedrock ConverseStream into Anthropic stream events with an exact grammar: one
 * `message_start`, blocks with contiguous indexes each opened and stopped, one `message_delta` (with
 * Bedrock's usage, cache tokens included) and a final `message_stop`.
 *
 * @throws {RelayError} for exception members and SDK errors (before the first event: nothing was sent),
 * and when the stream ends before `messageStop`.
 * @example
 * ```ts
 * // What the SDK's `response.stream` yields (or `converseEvents` decodes from the raw body).
 * async function* upstream() {
 *   yield { messageStart: { role: "assistant" } };
 *   yield { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "Hello" } } };
 *   yield { contentBlockStop: { contentBlockIndex: 0 } };
 *   yield { messageStop: { stopReason: "end_turn" } };
 *   yield { metadata: { usage: { inputTokens: 12, outputTokens: 3 } } };
 * }
 * const events = fromConverseStream(upstream(), {
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
export function fromConverseStream(
  events: AsyncIterable<unknown>,
  opts: BedrockStreamOptions,
): AsyncGenerator<StreamEvent> {
  return translateEvents(events, converseStreamTranslator(opts), bedrockReadErrors(opts));
}

/** The synchronous translator behind {@linkcode fromConverseStream}, for drivers that batch. */
export function converseStreamTranslator(opts: BedrockStreamOptions): StreamTranslator {
  return bedrockStreamTranslator(new ConverseStreamState(opts));
}
