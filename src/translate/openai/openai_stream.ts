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
 * @module
 */
import type { StreamEvent, Usage } from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import { BlockSequencer } from "../_blocks.ts";
import {
  detailsText,
  type FromOpenAIOptions,
  isRecord,
  stopReasonFromOpenAI,
  thoughtSignatureOf,
  usageFromOpenAI,
} from "./from_openai.ts";
import { fromOpenAIErrorChunk } from "./openai_errors.ts";
import { type CarriedReasoning, encodeSignature } from "../signature.ts";
import { safeIdentifier } from "../tool_names.ts";
import { type StreamTranslator, translateEvents } from "../stream_translator.ts";
import { OPENAI_DONE } from "./openai_sse.ts";

/** Tracks whether a JSON text streamed in fragments is complete (brackets balanced, no open string). */
class JsonBalance {
  #depth = 0;
  #inString = false;
  #escape = false;
  #started = false;

  feed(s: string): void {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (c === 92 /* \ */) this.#escape = true;
        else if (c === 34 /* " */) this.#inString = false;
      } else if (c === 34) this.#inString = true;
      else if (c === 123 /* { */ || c === 91 /* [ */) {
        this.#depth++;
        this.#started = true;
      } else if (c === 125 /* } */ || c === 93 /* ] */) this.#depth--;
    }
  }

  get complete(): boolean {
    return this.#started && this.#depth <= 0 && !this.#inString;
  }
}

interface Call {
  key: number | string;
  upstreamId?: string;
  /** The Anthropic id, fixed when the call is started. */
  id?: string;
  name?: string;
  /** Arguments received but not yet sent. */
  args: string;
  state: "pending" | "open" | "closed";
  json: JsonBalance;
  signature?: string;
}

/** Data the next thinking block's signature carries. */
interface Carry {
  reasoning: string[];
  details: Record<string, unknown>[];
}

const OPEN_TAGS = ["<think>", "<thought>"] as const;
const CLOSE_OF: Record<(typeof OPEN_TAGS)[number], string> = {
  "<think>": "</think>",
  "<thought>": "</thought>",
};

/** Appends OpenRouter `reasoning_details` fragments, merging consecutive pieces of the same item. */
function mergeDetails(into: Record<string, unknown>[], items: unknown[]): void {
  for (const item of items) {
    if (!isRecord(item)) continue;
    const last = into[into.length - 1];
    if (last !== undefined && last.type === item.type && last.index === item.index) {
      for (const [k, v] of Object.entries(item)) {
        const prev = last[k];
        if (
          (k === "text" || k === "summary" || k === "data") && typeof v === "string" &&
          typeof prev === "string"
        ) {
          last[k] = prev + v;
        } else if (v !== null && v !== undefined) last[k] = v;
      }
    } else into.push({ ...item });
  }
}

class OpenAIStreamTranslator {
  readonly #opts: FromOpenAIOptions;
  readonly #seq = new BlockSequencer();
  readonly #show: boolean;
  /** Reasoning text goes into signatures (DeepSeek/vLLM when the client does not see it). */
  readonly #carryText: boolean;
  /** Reasoning held out of sight (display "off") in case a tool call needs it carried. */
  readonly #holdText: boolean;
  started = false;

  #finish: unknown;
  #usage: Usage | undefined;
  #refusal = false;
  #chars = 0;

  readonly #calls: Call[] = [];
  readonly #byKey = new Map<number | string, Call>();
  #openCall: Call | undefined;
  #bufferCalls: boolean;
  #carrierDone = false;
  readonly #usedIds = new Set<string>();
  /** Text (or reasoning) that arrived while a tool call's arguments were incomplete. */
  readonly #late: { thinking: boolean; text: string }[] = [];
  #finishing = false;

  #segment: Carry = { reasoning: [], details: [] };
  #held: Carry = { reasoning: [], details: [] };
  #signatures: Record<string, string> = {};
  #signatureCount = 0;

  // Inline <think> state machine: "start" until the content shows whether it opens with a tag.
  #mode: "start" | "think" | "text" = "start";
  #head = "";
  #close = "";
  #tail = "";
  #thinkFresh = false;
  #thinkSpace = "";
  #textFresh = false;

  constructor(opts: FromOpenAIOptions) {
    this.#opts = opts;
    const display = opts.thinkingDisplay;
    const style = opts.provider.reasoning;
    this.#show = display !== "off";
    this.#carryText = display === "omitted" && (style === "deepseek" || style === "vllm");
    this.#holdText = display === "off" && style === "deepseek";
    this.#bufferCalls = style === "gemini";
  }

  /** True once the upstream said why it stopped (a `finish_reason`). */
  get finished(): boolean {
    return this.#finish !== undefined && this.#finish !== null;
  }

  start(out: StreamEvent[]): void {
    this.started = true;
    out.push({
      type: "message_start",
      message: {
        id: this.#opts.messageId,
        type: "message",
        role: "assistant",
        model: this.#opts.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: this.#opts.inputEstimate,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: 1,
        },
      },
    });
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
      mergeDetails(this.#show ? this.#segment.details : this.#held.details, details);
      if (reasoning === undefined) {
        const text = detailsText(details);
        if (text !== "") this.#reasoning(text, out);
      }
    }
    if (reasoning !== undefined && reasoning !== "") this.#reasoning(reasoning, out);

    const content = delta.content;
    if (typeof content === "string" && content !== "") {
      const extra = delta.extra_content;
      const thought = isRecord(extra) && isRecord(extra.google) && extra.google.thought === true;
      if (thought) this.#geminiThought(content, out);
      else this.#content(content, out);
    }
    if (typeof delta.refusal === "string" && delta.refusal !== "") {
      this.#refusal = true;
      this.#text(delta.refusal, out);
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const tc of delta.tool_calls) if (isRecord(tc)) this.#toolFragment(tc, out);
    }
  }

  // ---- reasoning and text ----

  #reasoning(text: string, out: StreamEvent[]): void {
    if (!this.#show) {
      this.#chars += text.length;
      if (this.#holdText) this.#held.reasoning.push(text);
      return;
    }
    if (this.#deferForOpenCall()) {
      this.#late.push({ thinking: true, text });
      return;
    }
    this.#chars += text.length;
    if (this.#carryText) this.#segment.reasoning.push(text);
    if (this.#seq.open === "tool_use") this.#closeCurrent(out);
    this.#seq.thinking(this.#opts.thinkingDisplay === "summarized" ? text : "", out);
  }

  #text(text: string, out: StreamEvent[]): void {
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
    return !this.#finishing && this.#openCall !== undefined && !this.#openCall.json.complete;
  }

  /** Gemini thought summaries: content flagged `extra_content.google.thought`, maybe wrapped in tags. */
  #geminiThought(content: string, out: StreamEvent[]): void {
    let text = content;
    if (text.startsWith("<thought>")) text = text.slice(9);
    if (text.endsWith("</thought>")) text = text.slice(0, -10);
    if (this.#mode === "start" && this.#head.trim() === "") this.#head = "";
    this.#reasoning(text, out);
  }

  /** Content, through the inline <think> state machine (only a tag at the very start counts). */
  #content(piece: string, out: StreamEvent[]): void {
    switch (this.#mode) {
      case "text":
        if (this.#textFresh) {
          // The blank lines models put after </think> are layout, not answer.
          const trimmed = piece.trimStart();
          if (trimmed === "") return;
          this.#textFresh = false;
          this.#text(trimmed, out);
        } else this.#text(piece, out);
        return;
      case "think":
        this.#thinkPiece(piece, out);
        return;
      case "start": {
        this.#head += piece;
        const head = this.#head.trimStart();
        if (head === "") return;
        for (const tag of OPEN_TAGS) {
          if (head.startsWith(tag)) {
            this.#mode = "think";
            this.#close = CLOSE_OF[tag];
            this.#thinkFresh = true;
            this.#head = "";
            this.#thinkPiece(head.slice(tag.length), out);
            return;
          }
          if (tag.startsWith(head)) return; // could still become the tag: wait for more
        }
        this.#mode = "text";
        this.#head = "";
        this.#text(head, out);
        return;
      }
      default: {
        const never: never = this.#mode;
        throw new Error(`Unknown mode: ${String(never)}`);
      }
    }
  }

  #thinkPiece(piece: string, out: StreamEvent[]): void {
    const s = this.#tail + piece;
    const end = s.indexOf(this.#close);
    if (end >= 0) {
      this.#thinking(s.slice(0, end), out);
      this.#tail = "";
      this.#thinkSpace = "";
      this.#mode = "text";
      this.#textFresh = true;
      const rest = s.slice(end + this.#close.length);
      if (rest !== "") this.#content(rest, out);
      return;
    }
    // Keep back a suffix that may be the start of the closing tag split across chunks.
    let keep = Math.min(this.#close.length - 1, s.length);
    while (keep > 0 && !this.#close.startsWith(s.slice(s.length - keep))) keep--;
    this.#tail = s.slice(s.length - keep);
    this.#thinking(s.slice(0, s.length - keep), out);
  }

  /** Inline reasoning text, trimmed of the whitespace that lines up the tags. */
  #thinking(text: string, out: StreamEvent[]): void {
    let s = text;
    if (this.#thinkFresh) {
      s = s.trimStart();
      if (s === "") return;
      this.#thinkFresh = false;
    }
    const trimmed = s.trimEnd();
    if (trimmed === "") {
      this.#thinkSpace += s;
      return;
    }
    this.#reasoning(this.#thinkSpace + trimmed, out);
    this.#thinkSpace = s.slice(trimmed.length);
  }

  // ---- tool calls ----

  #resolveCall(tc: Record<string, unknown>): Call {
    const id = typeof tc.id === "string" && tc.id !== "" ? tc.id : undefined;
    let call: Call | undefined;
    if (typeof tc.index === "number") {
      call = this.#byKey.get(tc.index);
      // Some servers send every whole call at index 0; a different id there is a new call.
      if (call !== undefined && id !== undefined && call.upstreamId !== undefined && id !== call.upstreamId) {
        call = undefined;
      }
    } else if (id !== undefined) {
      call = this.#calls.find((c) => c.upstreamId === id);
    } else if (!isRecord(tc.function) || typeof tc.function.name !== "string") {
      // No index, no id, no name: a late piece (a thought signature) of the last call.
      call = this.#calls[this.#calls.length - 1];
    }
    if (call !== undefined) return call;
    const key = typeof tc.index === "number" && !this.#byKey.has(tc.index)
      ? tc.index
      : `#${this.#calls.length}`;
    call = { key, args: "", state: "pending", json: new JsonBalance() };
    this.#calls.push(call);
    if (typeof tc.index === "number") this.#byKey.set(tc.index, call);
    return call;
  }

  #toolFragment(tc: Record<string, unknown>, out: StreamEvent[]): void {
    const call = this.#resolveCall(tc);
    const fn = isRecord(tc.function) ? tc.function : undefined;
    if (call.upstreamId === undefined && typeof tc.id === "string" && tc.id !== "") call.upstreamId = tc.id;
    if (call.name === undefined && typeof fn?.name === "string" && fn.name !== "") call.name = fn.name;
    const signature = thoughtSignatureOf(tc);
    if (signature !== undefined) {
      call.signature = signature;
      if (call.id !== undefined) this.#addSignature(call.id, signature);
    }
    const raw = fn?.arguments;
    const args = typeof raw === "string" ? raw : isRecord(raw) ? JSON.stringify(raw) : "";
    this.#chars += args.length;
    switch (call.state) {
      case "open":
        if (args !== "") {
          this.#seq.toolArgs(args, out);
          call.json.feed(args);
        }
        return;
      case "closed":
        if (args.trim() !== "") {
          this.#opts.warn(`Arguments that arrived after a ${call.name} tool call ended were dropped`);
        }
        return;
      case "pending":
        call.args += args;
        this.#tryStart(call, out);
        return;
      default: {
        const never: never = call.state;
        throw new Error(`Unknown call state: ${String(never)}`);
      }
    }
  }

  #tryStart(call: Call, out: StreamEvent[]): void {
    if (this.#bufferCalls || call.name === undefined) return;
    // Calls start in arrival order, and never while the open one is incomplete: either case switches to
    // buffering, and the buffered calls are sent whole at the end.
    const earlierPending = this.#calls.some((c) => c !== call && c.state === "pending");
    if (earlierPending || (this.#openCall !== undefined && !this.#openCall.json.complete)) {
      this.#bufferCalls = true;
      return;
    }
    this.#assignId(call);
    this.#startCall(call, out);
  }

  #assignId(call: Call): void {
    if (call.id !== undefined) return;
    let id = call.upstreamId !== undefined ? safeIdentifier(call.upstreamId) : this.#opts.ids.toolUseId();
    if (this.#usedIds.has(id)) id = this.#opts.ids.toolUseId();
    this.#usedIds.add(id);
    call.id = id;
    if (call.signature !== undefined) this.#addSignature(id, call.signature);
  }

  #addSignature(id: string, signature: string): void {
    if (this.#signatures[id] === undefined) this.#signatureCount++;
    this.#signatures[id] = signature;
  }

  #startCall(call: Call, out: StreamEvent[]): void {
    if (!this.#carrierDone) {
      // The first tool call: whatever must travel with this turn rides in a thinking block before it.
      this.#carrierDone = true;
      this.#carrier(out, true);
    } else this.#closeCurrent(out);
    this.#seq.toolStart(
      call.id ?? this.#opts.ids.toolUseId(),
      this.#opts.names.fromUpstream(call.name ?? ""),
      out,
      call.key,
    );
    call.state = "open";
    this.#openCall = call;
    if (call.args !== "") {
      this.#seq.toolArgs(call.args, out);
      call.json.feed(call.args);
      call.args = "";
    }
  }

  // ---- blocks ----

  /** Closes the open block; a thinking block first gets its signature. */
  #closeCurrent(out: StreamEvent[], withHeld = false): void {
    if (this.#seq.open === "thinking") {
      this.#seq.signature(encodeSignature(this.#opts.provider.name, this.#takeCarry(withHeld)), out);
    }
    if (this.#openCall !== undefined) {
      this.#openCall.state = "closed";
      this.#openCall = undefined;
    }
    this.#seq.close(out);
  }

  /** Closes the open block; then, if data is still waiting to be carried, sends it in its own thinking block. */
  #carrier(out: StreamEvent[], withHeld: boolean): void {
    if (this.#seq.open === "thinking") {
      this.#closeCurrent(out, withHeld);
      return;
    }
    this.#closeCurrent(out);
    const held = withHeld && (this.#held.reasoning.length > 0 || this.#held.details.length > 0);
    const pending = this.#segment.reasoning.length > 0 || this.#segment.details.length > 0 ||
      this.#signatureCount > 0;
    if (!held && !pending) return;
    this.#seq.thinking("", out);
    this.#closeCurrent(out, withHeld);
  }

  #takeCarry(withHeld: boolean): CarriedReasoning {
    const payload: CarriedReasoning = {};
    const reasoning = withHeld
      ? [...this.#segment.reasoning, ...this.#held.reasoning]
      : this.#segment.reasoning;
    const details = withHeld ? [...this.#segment.details, ...this.#held.details] : this.#segment.details;
    if (reasoning.length > 0) payload.reasoning = reasoning.join("");
    if (details.length > 0) payload.details = details;
    if (this.#signatureCount > 0) payload.thoughtSignatures = this.#signatures;
    this.#segment = { reasoning: [], details: [] };
    if (withHeld) this.#held = { reasoning: [], details: [] };
    this.#signatures = {};
    this.#signatureCount = 0;
    return payload;
  }

  finish(out: StreamEvent[]): void {
    this.#finishing = true;
    // Whatever the inline-tag machine still holds.
    if (this.#mode === "start" && this.#head.trim() !== "") this.#text(this.#head, out);
    if (this.#mode === "think" && this.#tail !== "") this.#thinking(this.#tail, out);
    this.#head = "";
    this.#tail = "";

    const buffered = this.#calls.filter((c) => c.state === "pending");
    for (const call of buffered) if (call.name !== undefined) this.#assignId(call);
    for (const call of buffered) {
      if (call.name === undefined) {
        this.#opts.warn("A tool call without a name was dropped");
        continue;
      }
      this.#startCall(call, out);
    }
    for (const late of this.#late) {
      if (late.thinking) this.#reasoning(late.text, out);
      else this.#text(late.text, out);
    }
    // Data that arrived after its chance to ride before a tool call: a trailing thinking block.
    // Held reasoning (display "off") matters only to tool-call turns, which have carried it already.
    this.#carrier(out, false);

    const toolCalls = this.#seq.toolCallCount > 0;
    let usage = this.#usage;
    if (usage === undefined) {
      this.#opts.warn("Upstream reported no token usage: counts are estimates");
      usage = {
        input_tokens: this.#opts.inputEstimate,
        output_tokens: Math.ceil(this.#chars / 4),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      };
    }
    out.push({
      type: "message_delta",
      delta: {
        stop_reason: stopReasonFromOpenAI(this.#finish, toolCalls, this.#refusal),
        stop_sequence: null,
      },
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        output_tokens: usage.output_tokens,
        ...(usage.output_tokens_details ? { output_tokens_details: usage.output_tokens_details } : {}),
      },
    });
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
 * const events = fromOpenAIStream(openAIChunks(response.body!), {
 *   model: "claude-sonnet-4-5", messageId: ids.messageId(), ids, names, provider: PROVIDERS.deepseek,
 *   thinkingDisplay: "summarized", inputEstimate: 5200, warn: ctx.warn,
 * });
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
