/**
 * Bedrock InvokeModel output for Claude (an Anthropic message) -> relayx's message, plus the stop-reason
 * check the Invoke stream translator shares.
 *
 * The body already is an Anthropic message; what changes: the requested model name and relayx's message
 * id are reported, aliased tool names are restored, and only the fields relayx declares are kept (blocks
 * relayx cannot represent, such as server-tool results, are dropped with a warning).
 *
 * @module
 */
import type { MessageResponse, ResponseBlock, StopReason, Usage } from "../../anthropic/types.ts";
import { num, rec, str } from "../_json.ts";
import { assistantMessage } from "../message.ts";
import type { FromBedrockOptions } from "./from_converse.ts";

const STOP_REASONS = new Set<string>([
  "end_turn",
  "max_tokens",
  "stop_sequence",
  "tool_use",
  "pause_turn",
  "refusal",
  "model_context_window_exceeded",
]);

/** An Anthropic stop reason as Claude sent it; null when absent, `end_turn` (warned) when unknown. */
export function invokeStopReason(value: unknown, warn: (message: string) => void): StopReason | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" && STOP_REASONS.has(value)) return value as StopReason;
  warn(`stop_reason: unknown stop reason ${JSON.stringify(value)}; sent as end_turn`);
  return "end_turn";
}

function responseBlock(b: Record<string, unknown>, opts: FromBedrockOptions): ResponseBlock | undefined {
  switch (b.type) {
    case "text":
      return { type: "text", text: str(b.text) ?? "" };
    case "thinking":
      return { type: "thinking", thinking: str(b.thinking) ?? "", signature: str(b.signature) ?? "" };
    case "redacted_thinking":
      return { type: "redacted_thinking", data: str(b.data) ?? "" };
    case "tool_use":
      return {
        type: "tool_use",
        id: str(b.id) || opts.ids.toolUseId(),
        name: opts.names.fromUpstream(str(b.name) ?? ""),
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
 *
 * @example
 * ```ts
 * const body = {
 *   id: "msg_bdrk_01",
 *   type: "message",
 *   role: "assistant",
 *   content: [{ type: "text", text: "Hello" }],
 *   stop_reason: "end_turn",
 *   usage: { input_tokens: 12, output_tokens: 3 },
 * };
 * const message = fromInvokeResponse(body, {
 *   model: "claude-sonnet-4-5",
 *   messageId: "msg_1",
 *   ids: { messageId: () => "msg_2", toolUseId: () => "toolu_1" },
 *   names: { toUpstream: (name) => name, fromUpstream: (name) => name },
 *   warn: console.warn,
 * });
 * ```
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
  return assistantMessage(opts, content, {
    stop_reason: invokeStopReason(b.stop_reason, opts.warn) ?? "end_turn",
    stop_sequence: typeof b.stop_sequence === "string" ? b.stop_sequence : null,
  }, usage);
}
