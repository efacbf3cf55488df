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
  /** The server tools run for this answer (relayx's own web search). */
  server_tool_use?: ServerToolUsage;
}

/** How many server tool calls an answer made. */
export interface ServerToolUsage {
  /** Web searches run. */
  web_search_requests: number;
}

/** A server tool call (relayx runs `web_search` itself). */
export type ServerToolUseBlock = {
  /** Tells the block kinds apart. */
  type: "server_tool_use";
  /** `srvtoolu_...`. */
  id: string;
  /** The server tool's name (`web_search`). */
  name: string;
  /** Its input (`{ query }`). */
  input: Record<string, unknown>;
};

/** One result of a web search. */
export interface WebSearchResult {
  /** Tells the items apart. */
  type: "web_search_result";
  /** The page's URL. */
  url: string;
  /** The page's title. */
  title: string;
  /** The page's text, in a token only the server that made it reads back (relayx's own). */
  encrypted_content: string;
  /** When the page was published, as the search service said it; null when it did not. */
  page_age: string | null;
}

/** A web search that found nothing to give. */
export interface WebSearchToolResultError {
  /** Tells the items apart. */
  type: "web_search_tool_result_error";
  /** Why. */
  error_code: "too_many_requests" | "invalid_input" | "max_uses_exceeded" | "query_too_long" | "unavailable";
}

/** The result of a `server_tool_use` web search. */
export type WebSearchToolResultBlock = {
  /** Tells the block kinds apart. */
  type: "web_search_tool_result";
  /** The id of the `server_tool_use` block it answers. */
  tool_use_id: string;
  /** The results, or the error. */
  content: WebSearchResult[] | WebSearchToolResultError;
};

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
  | RedactedThinkingBlock
  | ServerToolUseBlock
  | WebSearchToolResultBlock;

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
