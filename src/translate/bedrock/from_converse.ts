/**
 * Bedrock Converse response -> Anthropic message, plus the stop-reason and usage mappings the Converse
 * stream translator shares (protocol.md 6.4, 9.3).
 *
 * Input is read as `unknown`-ish data: the SDK's `ConverseCommandOutput` fits {@linkcode ConverseOutputLike},
 * and so does the JSON a backend decodes itself (bytes then arrive as base64 strings).
 *
 * @module
 */
import type { MessageResponse, ResponseBlock, StopReason, Usage } from "../../anthropic/types.ts";
import type { IdSource } from "../id_source.ts";
import { num, rec } from "../_json.ts";
import { assistantMessage } from "../message.ts";
import { base64ToBytes, bytesToBase64 } from "../_encoding.ts";
import { encodeSignature } from "../signature.ts";
import type { ToolNameMap } from "../tool_names.ts";

/** What translating a Bedrock response needs besides the response. */
export interface FromBedrockOptions {
  /** The model name the client asked for, echoed in the response. */
  model: string;
  /** The Anthropic message id to report. */
  messageId: string;
  /** Ids for tool calls that arrive without one. */
  ids: IdSource;
  /** Restores aliased tool names. */
  names: ToolNameMap;
  /** Records something dropped or changed. */
  warn(message: string): void;
}

/** The parts of a Converse response relayx reads. */
export interface ConverseOutputLike {
  /** `{message: {role, content}}`: the assistant's message. */
  output?: unknown;
  /** Why generation stopped (`end_turn`, `tool_use`, `max_tokens`, `stop_sequence`, ...). */
  stopReason?: string;
  /** Token counts (`inputTokens`, `outputTokens`, `cacheReadInputTokens`, `cacheWriteInputTokens`). */
  usage?: unknown;
  /** The model-specific fields asked for (Claude's `stop_sequence`). */
  additionalModelResponseFields?: unknown;
}

/** Bytes as Anthropic's base64: the SDK gives a `Uint8Array`, raw event-stream JSON a base64 string. */
export function bytesField(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") {
    try {
      return base64ToBytes(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Anthropic usage from a Converse `TokenUsage` (its `inputTokens` already excludes cached tokens). */
export function converseUsage(usage: unknown): Usage {
  const u = rec(usage) ?? {};
  return {
    input_tokens: num(u.inputTokens) ?? 0,
    output_tokens: num(u.outputTokens) ?? 0,
    cache_creation_input_tokens: num(u.cacheWriteInputTokens) ?? 0,
    cache_read_input_tokens: num(u.cacheReadInputTokens) ?? 0,
  };
}

/** The Anthropic stop reason and matched stop sequence for a Converse `stopReason`. */
export function converseStopReason(
  reason: unknown,
  additionalFields: unknown,
  warn: (message: string) => void,
): { stop_reason: StopReason; stop_sequence: string | null } {
  switch (reason) {
    case "end_turn":
    case "tool_use":
    case "max_tokens":
    case "model_context_window_exceeded":
      return { stop_reason: reason, stop_sequence: null };
    case "stop_sequence": {
      const seq = rec(additionalFields)?.stop_sequence;
      return { stop_reason: "stop_sequence", stop_sequence: typeof seq === "string" ? seq : null };
    }
    case "guardrail_intervened":
    case "content_filtered":
      return { stop_reason: "refusal", stop_sequence: null };
    case "malformed_model_output":
    case "malformed_tool_use":
      warn(`stop_reason: Bedrock reported ${reason}; sent as end_turn`);
      return { stop_reason: "end_turn", stop_sequence: null };
    case undefined:
    case null:
      return { stop_reason: "end_turn", stop_sequence: null };
    default:
      warn(`stop_reason: unknown Bedrock stop reason ${JSON.stringify(reason)}; sent as end_turn`);
      return { stop_reason: "end_turn", stop_sequence: null };
  }
}

function toolInput(input: unknown): unknown {
  if (typeof input !== "string") return input ?? {};
  try {
    return JSON.parse(input);
  } catch {
    return { _raw: input };
  }
}

function block(b: Record<string, unknown>, opts: FromBedrockOptions): ResponseBlock | undefined {
  if (typeof b.text === "string") return b.text === "" ? undefined : { type: "text", text: b.text };
  const toolUse = rec(b.toolUse);
  if (toolUse) {
    return {
      type: "tool_use",
      id: typeof toolUse.toolUseId === "string" && toolUse.toolUseId !== ""
        ? toolUse.toolUseId
        : opts.ids.toolUseId(),
      name: opts.names.fromUpstream(typeof toolUse.name === "string" ? toolUse.name : ""),
      input: toolInput(toolUse.input),
    };
  }
  const reasoning = rec(b.reasoningContent);
  if (reasoning) {
    const text = rec(reasoning.reasoningText);
    if (text) {
      return {
        type: "thinking",
        thinking: typeof text.text === "string" ? text.text : "",
        // Non-Claude reasoning models send no signature; relayx's tag marks the block as unsigned for good.
        signature: typeof text.signature === "string" && text.signature !== ""
          ? text.signature
          : encodeSignature("bedrock", {}),
      };
    }
    const bytes = bytesField(reasoning.redactedContent);
    if (bytes) return { type: "redacted_thinking", data: bytesToBase64(bytes) };
    return undefined;
  }
  const cited = rec(b.citationsContent);
  if (cited && Array.isArray(cited.content)) {
    const text = cited.content.map((c) => rec(c)?.text).filter((t) => typeof t === "string").join("");
    return text === "" ? undefined : { type: "text", text };
  }
  opts.warn(`content: Bedrock block ${Object.keys(b).join(",")} has no Anthropic form; dropped`);
  return undefined;
}

/**
 * Translates a Converse response into an Anthropic message.
 *
 * @example
 * ```ts
 * // The SDK's ConverseCommandOutput, or the JSON body of a Converse call.
 * const output = {
 *   output: { message: { role: "assistant", content: [{ text: "Hello" }] } },
 *   stopReason: "end_turn",
 *   usage: { inputTokens: 12, outputTokens: 3 },
 * };
 * const message = fromConverseResponse(output, {
 *   model: "claude-sonnet-4-5",
 *   messageId: "msg_1",
 *   ids: { messageId: () => "msg_2", toolUseId: () => "toolu_1" },
 *   names: { toUpstream: (name) => name, fromUpstream: (name) => name },
 *   warn: console.warn,
 * });
 * // message.content: [{ type: "text", text: "Hello" }]
 * ```
 */
export function fromConverseResponse(out: ConverseOutputLike, opts: FromBedrockOptions): MessageResponse {
  const message = rec(rec(out.output)?.message);
  const content: ResponseBlock[] = [];
  if (message && Array.isArray(message.content)) {
    for (const item of message.content) {
      const b = rec(item);
      const converted = b ? block(b, opts) : undefined;
      if (converted) content.push(converted);
    }
  }
  const stop = converseStopReason(out.stopReason, out.additionalModelResponseFields, opts.warn);
  return assistantMessage(opts, content, stop, converseUsage(out.usage));
}
