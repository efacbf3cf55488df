/**
 * OpenAI Chat Completions chunks -> Anthropic stream events (protocol.md 9.4, OpenAI table).
 *
 * Upstreams interleave reasoning, text and tool-call fragments freely; Anthropic needs blocks opened and
 * closed in order with contiguous indexes, so everything goes through {@linkcode BlockSequencer}. Per chunk
 * the work is proportional to the chunk: no regex or JSON parse over accumulated text.
 *
 * Choices made here (each documented where it happens):
 * - Every thinking block gets a relayx signature before it closes; it carries provider data (DeepSeek
 *   reasoning, OpenRouter `reasoning_details`, Gemini thought signatures) when there is some to carry.
 * - Gemini tool calls are buffered until the stream ends. They arrive whole (so nothing is delayed in
 *   practice), and their thought signatures (possibly in a later delta) must ride in a thinking block that
 *   comes before the tool_use blocks. A signature that still arrives after a tool_use block was sent
 *   (other providers relaying Gemini) goes into a trailing thinking block, which the grammar allows.
 * - A tool call is only closed when its arguments are complete JSON. If another call (or text) starts
 *   while the open call's arguments are incomplete, the newcomer is buffered and emitted at the end, so an
 *   interleaving upstream can never split a call's arguments across blocks.
 *
 * Helpers: `_tool_call_assembly.ts` (tool calls), `_think_tags.ts` (inline `<think>` reasoning),
 * `_reasoning_carry.ts` (what signatures carry), `_openai_usage.ts` (usage and stop reason).
 *
 * @module
 */
import type { StreamEvent, Usage } from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import { BlockSequencer } from "../_blocks.ts";
import { isRecord } from "../_json.ts";
import { messageStartEvent } from "../message.ts";
import { encodeSignature } from "../signature.ts";
import { type StreamTranslator, translateEvents } from "../stream_translator.ts";
import type { FromOpenAIOptions } from "./from_openai.ts";
import { fromOpenAIErrorChunk } from "./openai_errors.ts";
import { OPENAI_DONE } from "./openai_sse.ts";
import { estimatedUsage, messageDeltaEvent, stopReasonFromOpenAI, usageFromOpenAI } from "./_openai_usage.ts";
import { detailsText, ReasoningCarry } from "./_reasoning_carry.ts";
import { type ThinkTagSink, ThinkTagStream } from "./_think_tags.ts";
import { type ToolBlockHost, ToolCallAssembly } from "./_tool_call_assembly.ts";

/** One stream's state: reasoning, text and tool-call fragments in, blocks out in order. */
class OpenAIStreamTranslator implements ThinkTagSink, ToolBlockHost {
  readonly #opts: FromOpenAIOptions;
  readonly #seq = new BlockSequencer();
  readonly #show: boolean;
  /** Reasoning text goes into signatures (DeepSeek/vLLM when the client does not see it). */
  readonly #carryText: boolean;
  /** Reasoning held out of sight (display "off") in case a tool call needs it carried. */
  readonly #holdText: boolean;
  readonly #carry = new ReasoningCarry();
  readonly #tools: ToolCallAssembly;
  readonly #think: ThinkTagStream;
  started = false;

  #finish: unknown;
  #usage: Usage | undefined;
  #refusal = false;
  /** Characters of text and reasoning received (for a usage estimate). */
  #chars = 0;
  #carrierDone = false;
  /** Text (or reasoning) that arrived while a tool call's arguments were incomplete. */
  readonly #late: { thinking: boolean; text: string }[] = [];
  #finishing = false;

  constructor(opts: FromOpenAIOptions) {
    this.#opts = opts;
    const display = opts.thinkingDisplay;
    const style = opts.provider.reasoning;
    this.#show = display !== "off";
    this.#carryText = display === "omitted" && (style === "deepseek" || style === "vllm");
    this.#holdText = display === "off" && style === "deepseek";
    this.#tools = new ToolCallAssembly(opts, this.#seq, this.#carry, this, style === "gemini");
    this.#think = new ThinkTagStream(this);
  }

  /** True once the upstream said why it stopped (a `finish_reason`). */
  get finished(): boolean {
    return this.#finish !== undefined && this.#finish !== null;
  }

  start(out: StreamEvent[]): void {
    this.started = true;
    out.push(messageStartEvent(this.#opts, {
      input_tokens: this.#opts.inputEstimate,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 1,
    }));
  }

  chunk(chunk: Record<string, unknown>, out: StreamEvent[]): void {
    if (chunk.usage !== undefined && chunk.usage !== null) {
      this.#usage = usageFromOpenAI(chunk.usage) ?? this.#usage;
    }
    const choices = chunk.choices;
    if (!Array.isArray(choices)) return;
    for (const choice of choices) {
      // n > 1 is never requested; only the first choice is the answer.
      if (!isRecord(choice) || (typeof choice.index === "number" && choice.index !== 0)) continue;
      const delta = choice.delta;
      if (isRecord(delta)) this.#delta(delta, out);
      if (typeof choice.finish_reason === "string") this.#finish = choice.finish_reason;
    }
  }

  #delta(delta: Record<string, unknown>, out: StreamEvent[]): void {
    // Providers name reasoning differently; a delta carrying several names carries the same text.
    const reasoning = typeof delta.reasoning_content === "string" && delta.reasoning_content !== ""
      ? delta.reasoning_content
      : typeof delta.reasoning === "string"
      ? delta.reasoning
      : undefined;
    const details = Array.isArray(delta.reasoning_details) ? delta.reasoning_details : undefined;
    if (details !== undefined && details.length > 0) {
      this.#carry.addDetails(details, this.#show);
      if (reasoning === undefined) {
        const text = detailsText(details);
        if (text !== "") this.reasoning(text, out);
      }
    }
    if (reasoning !== undefined && reasoning !== "") this.reasoning(reasoning, out);

    const content = delta.content;
    if (typeof content === "string" && content !== "") {
      const extra = delta.extra_content;
      const thought = isRecord(extra) && isRecord(extra.google) && extra.google.thought === true;
      if (thought) this.#geminiThought(content, out);
      else this.#think.content(content, out);
    }
    if (typeof delta.refusal === "string" && delta.refusal !== "") {
      this.#refusal = true;
      this.text(delta.refusal, out);
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const tc of delta.tool_calls) if (isRecord(tc)) this.#tools.fragment(tc, out);
    }
  }

  // ---- reasoning and text ----

  /** Reasoning text: a thinking delta, or (display "off") only counted and maybe held. */
  reasoning(text: string, out: StreamEvent[]): void {
    if (!this.#show) {
      this.#chars += text.length;
      if (this.#holdText) this.#carry.holdReasoning(text);
      return;
    }
    if (this.#deferForOpenCall()) {
      this.#late.push({ thinking: true, text });
      return;
    }
    this.#chars += text.length;
    if (this.#carryText) this.#carry.addReasoning(text);
    if (this.#seq.open === "tool_use") this.#closeCurrent(out);
    this.#seq.thinking(this.#opts.thinkingDisplay === "summarized" ? text : "", out);
  }

  /** Answer text: a text delta. */
  text(text: string, out: StreamEvent[]): void {
    if (text === "") return;
    if (this.#deferForOpenCall()) {
      this.#late.push({ thinking: false, text });
      return;
    }
    this.#chars += text.length;
    if (this.#seq.open !== "text") this.#closeCurrent(out);
    this.#seq.text(text, out);
  }

  /** True while a tool call is open with incomplete arguments: opening anything else would cut it. */
  #deferForOpenCall(): boolean {
    return !this.#finishing && this.#tools.openIncomplete;
  }

  /** Gemini thought summaries: content flagged `extra_content.google.thought`, maybe wrapped in tags. */
  #geminiThought(content: string, out: StreamEvent[]): void {
    let text = content;
    if (text.startsWith("<thought>")) text = text.slice(9);
    if (text.endsWith("</thought>")) text = text.slice(0, -10);
    this.#think.reasoningArrived();
    this.reasoning(text, out);
  }

  // ---- blocks ----

  /** Makes way for a tool_use block. */
  beforeToolBlock(out: StreamEvent[]): void {
    if (!this.#carrierDone) {
      // The first tool call: whatever must travel with this turn rides in a thinking block before it.
      this.#carrierDone = true;
      this.#carrier(out, true);
    } else this.#closeCurrent(out);
  }

  /** Closes the open block; a thinking block first gets its signature. */
  #closeCurrent(out: StreamEvent[], withHeld = false): void {
    if (this.#seq.open === "thinking") {
      this.#seq.signature(encodeSignature(this.#opts.provider.name, this.#carry.take(withHeld)), out);
    }
    this.#tools.closeOpen();
    this.#seq.close(out);
  }

  /** Closes the open block; then, if data is still waiting to be carried, sends it in its own thinking block. */
  #carrier(out: StreamEvent[], withHeld: boolean): void {
    if (this.#seq.open === "thinking") {
      this.#closeCurrent(out, withHeld);
      return;
    }
    this.#closeCurrent(out);
    if (!this.#carry.waiting(withHeld)) return;
    this.#seq.thinking("", out);
    this.#closeCurrent(out, withHeld);
  }

  finish(out: StreamEvent[]): void {
    this.#finishing = true;
    // Whatever the inline-tag machine still holds.
    this.#think.flush(out);
    this.#tools.finish(out);
    for (const late of this.#late) {
      if (late.thinking) this.reasoning(late.text, out);
      else this.text(late.text, out);
    }
    // Data that arrived after its chance to ride before a tool call: a trailing thinking block.
    // Held reasoning (display "off") matters only to tool-call turns, which have carried it already.
    this.#carrier(out, false);

    const toolCalls = this.#seq.toolCallCount > 0;
    const usage = this.#usage ?? estimatedUsage(this.#opts, this.#chars + this.#tools.argChars);
    out.push(messageDeltaEvent(stopReasonFromOpenAI(this.#finish, toolCalls, this.#refusal), usage));
    out.push({ type: "message_stop" });
  }
}

/**
 * Translates parsed OpenAI Chat Completions stream chunks (see `openAIChunks`) into Anthropic stream
 * events: `message_start` on the first chunk (input tokens estimated), content blocks with contiguous
 * indexes, and at the end one `message_delta` with the stop reason and the upstream's real usage, then
 * `message_stop`.
 *
 * @throws {RelayError} the mapped upstream error for an `{error: ...}` chunk; `api_error` when the stream
 * ends without any chunk.
 *
 * @example
 * ```ts
 * import { openAIChunks, PROVIDERS, toolNameMap } from "@relayx/server/translate";
 *
 * const upstream = new Response(
 *   'data: {"choices":[{"delta":{"reasoning_content":"Easy."}}]}\n\n' +
 *     'data: {"choices":[{"delta":{"content":"Hi!"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
 * ).body!;
 * const events = fromOpenAIStream(openAIChunks(upstream), {
 *   model: "claude-sonnet-4-5",
 *   messageId: "msg_1",
 *   ids: { messageId: () => "msg_1", toolUseId: () => `toolu_${crypto.randomUUID()}` },
 *   names: toolNameMap([]),
 *   provider: PROVIDERS.deepseek,
 *   thinkingDisplay: "summarized",
 *   inputEstimate: 5200,
 *   warn: console.warn,
 * });
 * // message_start, a thinking block, a text block, message_delta, message_stop
 * for await (const event of events) console.log(event.type);
 * ```
 */
export function fromOpenAIStream(
  chunks: AsyncIterable<unknown>,
  opts: FromOpenAIOptions,
): AsyncGenerator<StreamEvent> {
  return translateEvents(chunks, openAIStreamTranslator(opts));
}

/**
 * The synchronous translator behind {@linkcode fromOpenAIStream}: parsed chat-completion chunks in,
 * Anthropic events out, for drivers that batch (see {@linkcode translateBatches}).
 */
export function openAIStreamTranslator(opts: FromOpenAIOptions): StreamTranslator {
  const t = new OpenAIStreamTranslator(opts);
  let done = false;
  let sawDone = false;
  return {
    get done() {
      return done;
    },
    push(chunk: unknown, out: StreamEvent[]): void {
      if (chunk === OPENAI_DONE) {
        sawDone = true;
        return;
      }
      if (!isRecord(chunk)) return;
      if (chunk.error !== undefined && chunk.error !== null) {
        throw fromOpenAIErrorChunk(chunk, {
          estimate: opts.inputEstimate,
          window: opts.contextWindow ?? opts.inputEstimate,
        });
      }
      if (!t.started) t.start(out);
      t.chunk(chunk, out);
    },
    end(out: StreamEvent[]): void {
      if (!t.started) throw new RelayError("api_error", "Upstream closed the stream without a response");
      // A body that stops with neither a finish_reason nor [DONE] was cut off: finishing the message would
      // hand the client a truncated answer, or a tool call with half its arguments, as a complete turn.
      if (!t.finished && !sawDone) {
        throw new RelayError("api_error", "Upstream closed the stream before it finished", {
          shouldRetry: true,
        });
      }
      t.finish(out);
      done = true;
    },
  };
}
