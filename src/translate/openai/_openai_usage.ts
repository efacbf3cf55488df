/**
 * How an OpenAI-compatible response ended, in Anthropic terms: its token usage and its stop reason
 * (and, for streams, the `message_delta` event that reports both). Shared by the whole-response and the
 * stream translator.
 *
 * @module
 */
import type { StopReason, StreamEvent, Usage } from "../../anthropic/types.ts";
import { isRecord, num } from "../_json.ts";

/**
 * Anthropic usage from an OpenAI `usage` object; `undefined` when it holds no counts.
 *
 * `input_tokens` excludes cached tokens (Anthropic's meaning): `prompt_tokens - cached - cache_write`, or
 * DeepSeek's `prompt_cache_miss_tokens`. Output is `completion_tokens`, or `total - prompt` where that is
 * larger (Gemini leaves thought tokens out of `completion_tokens` but not out of the total).
 *
 * @example
 * ```ts
 * usageFromOpenAI({ prompt_tokens: 100, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 60 } });
 * // { input_tokens: 40, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 60 }
 * ```
 */
export function usageFromOpenAI(raw: unknown): Usage | undefined {
  if (!isRecord(raw)) return undefined;
  const prompt = num(raw.prompt_tokens);
  const completion = num(raw.completion_tokens);
  if (prompt === undefined && completion === undefined) return undefined;
  const promptDetails = isRecord(raw.prompt_tokens_details) ? raw.prompt_tokens_details : {};
  const completionDetails = isRecord(raw.completion_tokens_details) ? raw.completion_tokens_details : {};
  const cached = num(promptDetails.cached_tokens) ?? num(raw.prompt_cache_hit_tokens) ?? 0;
  const written = num(promptDetails.cache_write_tokens) ?? 0;
  const input = num(raw.prompt_cache_miss_tokens) ?? Math.max(0, (prompt ?? 0) - cached - written);
  const total = num(raw.total_tokens);
  const output = Math.max(completion ?? 0, total !== undefined && prompt !== undefined ? total - prompt : 0);
  const usage: Usage = {
    input_tokens: input,
    output_tokens: output,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
  };
  const reasoning = num(completionDetails.reasoning_tokens);
  if (reasoning !== undefined && reasoning > 0) usage.output_tokens_details = { thinking_tokens: reasoning };
  return usage;
}

/** What {@linkcode estimatedUsage} needs (a subset of the translators' options). */
export interface UsageEstimateOptions {
  /** relayx's estimate of the prompt's tokens. */
  inputEstimate: number;
  /** Records something dropped or changed. */
  warn(message: string): void;
}

/**
 * The usage to report when the upstream reported none (some local servers never do): relayx's estimate
 * of the prompt, and about four characters a token for what came back. Warns that the counts are estimates.
 *
 * @example
 * ```ts
 * estimatedUsage({ inputEstimate: 1200, warn: console.warn }, 40);
 * // { input_tokens: 1200, output_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
 * ```
 */
export function estimatedUsage(opts: UsageEstimateOptions, outputChars: number): Usage {
  opts.warn("Upstream reported no token usage: counts are estimates");
  return {
    input_tokens: opts.inputEstimate,
    output_tokens: Math.ceil(outputChars / 4),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

/**
 * The Anthropic stop reason for an OpenAI `finish_reason`.
 *
 * Emitted tool calls make it `tool_use` whatever the upstream said (Gemini and Ollama say `stop`), except
 * after `length`; a refusal without tool calls is `refusal`.
 *
 * @example
 * ```ts
 * stopReasonFromOpenAI("stop", true, false); // "tool_use"
 * ```
 */
export function stopReasonFromOpenAI(finish: unknown, toolCalls: boolean, refusal: boolean): StopReason {
  let reason: StopReason;
  switch (finish) {
    case "length":
      reason = "max_tokens";
      break;
    case "tool_calls":
    case "function_call":
      reason = "tool_use";
      break;
    case "content_filter":
      reason = "refusal";
      break;
    default:
      // "stop", null, a missing value and the unknown values of other servers all mean a normal end.
      reason = "end_turn";
  }
  if (toolCalls && reason !== "max_tokens") return "tool_use";
  if (refusal) return "refusal";
  // A `tool_calls` finish with no usable call would leave the client waiting for a tool that never runs.
  return reason === "tool_use" ? "end_turn" : reason;
}

/**
 * The `message_delta` event that ends a stream: the stop reason and the final usage (thinking tokens
 * included when the upstream reported them).
 *
 * @example
 * ```ts
 * const usage = { input_tokens: 40, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 60 };
 * messageDeltaEvent("end_turn", usage);
 * ```
 */
export function messageDeltaEvent(stop_reason: StopReason, usage: Usage): StreamEvent {
  return {
    type: "message_delta",
    delta: { stop_reason, stop_sequence: null },
    usage: {
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
      output_tokens: usage.output_tokens,
      ...(usage.output_tokens_details ? { output_tokens_details: usage.output_tokens_details } : {}),
    },
  };
}
