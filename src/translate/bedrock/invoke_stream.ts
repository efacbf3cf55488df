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
import type {
  BlockDelta,
  DeltaUsage,
  MessageResponse,
  ResponseBlock,
  StartBlock,
  StopReason,
  StreamEvent,
  Usage,
} from "../../anthropic/types.ts";
import { errorTypeForStatus, RelayError } from "../../errors.ts";
import { stateTranslator, type StreamTranslator, translateEvents } from "../stream_translator.ts";
import { bedrockReadErrors } from "./bedrock_errors.ts";
import { type BedrockStreamOptions, messageStart } from "./converse_stream.ts";
import type { FromBedrockOptions } from "./from_converse.ts";

type Rec = Record<string, unknown>;

function rec(value: unknown): Rec | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value as Rec : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

const STOP_REASONS = new Set<string>([
  "end_turn",
  "max_tokens",
  "stop_sequence",
  "tool_use",
  "pause_turn",
  "refusal",
  "model_context_window_exceeded",
]);

function stopReason(value: unknown, warn: (message: string) => void): StopReason | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" && STOP_REASONS.has(value)) return value as StopReason;
  warn(`stop_reason: unknown stop reason ${JSON.stringify(value)}; sent as end_turn`);
  return "end_turn";
}

const ERROR_TYPES = new Set<string>([
  "invalid_request_error",
  "authentication_error",
  "billing_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "rate_limit_error",
  "api_error",
  "timeout_error",
  "overloaded_error",
]);

function delta(d: Rec): BlockDelta | undefined {
  switch (d.type) {
    case "text_delta":
      return { type: "text_delta", text: str(d.text) };
    case "input_json_delta":
      return { type: "input_json_delta", partial_json: str(d.partial_json) };
    case "thinking_delta":
      return { type: "thinking_delta", thinking: str(d.thinking) };
    case "signature_delta":
      return { type: "signature_delta", signature: str(d.signature) };
    default:
      // citations_delta and future kinds: relayx declares no citations.
      return undefined;
  }
}

class InvokeStreamState {
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
    const start = messageStart(this.opts);
    const u = rec(m?.usage);
    if (u && start.type === "message_start") {
      const usage = start.message.usage;
      usage.input_tokens = num(u.input_tokens) ?? usage.input_tokens;
      usage.output_tokens = num(u.output_tokens) ?? usage.output_tokens;
      usage.cache_creation_input_tokens = num(u.cache_creation_input_tokens) ?? 0;
      usage.cache_read_input_tokens = num(u.cache_read_input_tokens) ?? 0;
    }
    out.push(start);
  }

  blockStart(c: Rec, out: StreamEvent[]): void {
    const upstream = num(c.index) ?? this.indexes.length;
    const cb = rec(c.content_block) ?? {};
    let block: StartBlock | undefined;
    let first: BlockDelta | undefined;
    switch (cb.type) {
      case "text":
        block = { type: "text", text: "" };
        if (str(cb.text) !== "") first = { type: "text_delta", text: str(cb.text) };
        break;
      case "thinking":
        block = { type: "thinking", thinking: "", signature: "" };
        if (str(cb.thinking) !== "") first = { type: "thinking_delta", thinking: str(cb.thinking) };
        break;
      case "redacted_thinking":
        block = { type: "redacted_thinking", data: str(cb.data) };
        break;
      case "tool_use":
        block = {
          type: "tool_use",
          id: str(cb.id) || this.opts.ids.toolUseId(),
          name: this.opts.names.fromUpstream(str(cb.name)),
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
        stop_reason: stopReason(d.stop_reason, this.opts.warn) ?? "end_turn",
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
        const type = typeof e.type === "string" && ERROR_TYPES.has(e.type)
          ? e.type as Extract<StreamEvent, { type: "error" }>["error"]["type"]
          : errorTypeForStatus(500);
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
 * const chunks = (async function* () {
 *   for await (const e of response.body) if (e.chunk?.bytes) yield JSON.parse(decoder.decode(e.chunk.bytes));
 * })();
 * for await (const event of fromInvokeStream(chunks, options)) send(event);
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
  const state = new InvokeStreamState(opts);
  return stateTranslator(state, (out) => {
    if (!state.held) {
      throw new RelayError("api_error", "Bedrock stream ended before message_delta", { shouldRetry: true });
    }
    state.finish(undefined, out);
  });
}

function responseBlock(b: Rec, opts: FromBedrockOptions): ResponseBlock | undefined {
  switch (b.type) {
    case "text":
      return { type: "text", text: str(b.text) };
    case "thinking":
      return { type: "thinking", thinking: str(b.thinking), signature: str(b.signature) };
    case "redacted_thinking":
      return { type: "redacted_thinking", data: str(b.data) };
    case "tool_use":
      return {
        type: "tool_use",
        id: str(b.id) || opts.ids.toolUseId(),
        name: opts.names.fromUpstream(str(b.name)),
        input: b.input ?? {},
      };
    default:
      opts.warn(`content: Bedrock block type ${JSON.stringify(b.type)} has no relayx form; dropped`);
      return undefined;
  }
}

/**
 * Translates the parsed body of an InvokeModel call on Claude (an Anthropic message) into relayx's
 * response: requested model name, relayx's id, restored tool names, only the fields relayx declares.
 */
export function fromInvokeResponse(body: unknown, opts: FromBedrockOptions): MessageResponse {
  const b = rec(body) ?? {};
  const content: ResponseBlock[] = [];
  if (Array.isArray(b.content)) {
    for (const item of b.content) {
      const r = rec(item);
      const converted = r ? responseBlock(r, opts) : undefined;
      if (converted) content.push(converted);
    }
  }
  const u = rec(b.usage) ?? {};
  const usage: Usage = {
    input_tokens: num(u.input_tokens) ?? 0,
    output_tokens: num(u.output_tokens) ?? 0,
    cache_creation_input_tokens: num(u.cache_creation_input_tokens) ?? 0,
    cache_read_input_tokens: num(u.cache_read_input_tokens) ?? 0,
  };
  return {
    id: opts.messageId,
    type: "message",
    role: "assistant",
    model: opts.model,
    content,
    stop_reason: stopReason(b.stop_reason, opts.warn) ?? "end_turn",
    stop_sequence: typeof b.stop_sequence === "string" ? b.stop_sequence : null,
    usage,
  };
}
