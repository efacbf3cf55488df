/**
 * What leaves relayx: a complete message, its usage and stop reason, and the Anthropic error types.
 *
 * @module
 */
import type { RedactedThinkingBlock, ThinkingBlock } from "./content_block.ts";

/** Why the model stopped. */
export type StopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded";

/** Token usage, as Anthropic reports it (`input_tokens` excludes cached tokens). */
export interface Usage {
  /** Input tokens that were neither read from nor written to the prompt cache. */
  input_tokens: number;
  /** Output tokens, thinking included. */
  output_tokens: number;
  /** Input tokens written to the prompt cache. */
  cache_creation_input_tokens: number;
  /** Input tokens read from the prompt cache. */
  cache_read_input_tokens: number;
  /** How many of the output tokens were thinking, when the upstream says. */
  output_tokens_details?: { thinking_tokens: number } | null;
  /** The capacity that served the request. */
  service_tier?: "standard";
}

/** A text block in a response. */
export interface ResponseTextBlock {
  /** Tells the block kinds apart. */
  type: "text";
  /** The text. */
  text: string;
}

/** A content block of a response message. */
export type ResponseBlock =
  | ResponseTextBlock
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | ThinkingBlock
  | RedactedThinkingBlock;

/** A complete (non-stream) response message. */
export interface MessageResponse {
  /** The message id (`msg_...`). */
  id: string;
  /** Always `"message"`. */
  type: "message";
  /** Always `"assistant"`. */
  role: "assistant";
  /** The model name the client asked for. */
  model: string;
  /** What the model wrote, in order. */
  content: ResponseBlock[];
  /** Why the model stopped; null only in `message_start`. */
  stop_reason: StopReason | null;
  /** The stop sequence that ended the answer, if one did. */
  stop_sequence: string | null;
  /** Token usage. */
  usage: Usage;
}

/** The Anthropic error types. */
export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "billing_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "overloaded_error";
