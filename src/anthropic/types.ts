/**
 * The Anthropic Messages API as discriminated unions: relayx's internal language.
 *
 * Requests arrive in it, responses leave in it, and every backend translates to and
 * from it. Only the fields relayx reads are typed precisely; the rest stay `unknown`.
 *
 * @module
 */

/** A prompt-caching breakpoint. */
export interface CacheControl {
  type: "ephemeral";
  ttl?: "5m" | "1h";
}

/** Where an image's bytes come from. */
export type ImageSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "url"; url: string }
  | { type: "file"; file_id: string };

/** Where a document's content comes from. */
export type DocumentSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "text"; media_type: string; data: string }
  | { type: "content"; content: string | Array<TextBlock | ImageBlock> }
  | { type: "url"; url: string }
  | { type: "file"; file_id: string };

/** A text block. */
export interface TextBlock {
  type: "text";
  text: string;
  cache_control?: CacheControl | null;
  citations?: unknown;
}

/** An image block. */
export interface ImageBlock {
  type: "image";
  source: ImageSource;
  cache_control?: CacheControl | null;
}

/** A document block (PDF, plain text or nested content). */
export interface DocumentBlock {
  type: "document";
  source: DocumentSource;
  title?: string | null;
  context?: string | null;
  citations?: unknown;
  cache_control?: CacheControl | null;
}

/** A search result block. */
export interface SearchResultBlock {
  type: "search_result";
  source: string;
  title: string;
  content: TextBlock[];
  cache_control?: CacheControl | null;
}

/** A tool call made by the model. */
export interface ToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: unknown;
  cache_control?: CacheControl | null;
}

/** A reference to a deferred tool, returned by Claude Code's tool search. */
export interface ToolReferenceBlock {
  type: "tool_reference";
  tool_name: string;
}

/** What a tool_result may contain. */
export type ToolResultContent =
  | TextBlock
  | ImageBlock
  | DocumentBlock
  | SearchResultBlock
  | ToolReferenceBlock;

/** The client's answer to a tool call. */
export interface ToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  content?: string | ToolResultContent[];
  is_error?: boolean;
  cache_control?: CacheControl | null;
}

/** Model reasoning, with an opaque signature. */
export interface ThinkingBlock {
  type: "thinking";
  thinking: string;
  signature: string;
}

/** Encrypted reasoning. */
export interface RedactedThinkingBlock {
  type: "redacted_thinking";
  data: string;
}

/** The block types only Anthropic's own servers understand (server tool calls and their results). */
export const SERVER_TOOL_BLOCK_TYPES = [
  "server_tool_use",
  "web_search_tool_result",
  "web_fetch_tool_result",
  "code_execution_tool_result",
  "bash_code_execution_tool_result",
  "text_editor_code_execution_tool_result",
  "tool_search_tool_result",
  "container_upload",
] as const;

/** A block only Anthropic's own servers understand (server tools); relayx drops them. */
export interface ServerToolBlock {
  type: (typeof SERVER_TOOL_BLOCK_TYPES)[number];
  [key: string]: unknown;
}

/** Any content block of a request message. */
export type ContentBlock =
  | TextBlock
  | ImageBlock
  | DocumentBlock
  | SearchResultBlock
  | ToolUseBlock
  | ToolResultBlock
  | ThinkingBlock
  | RedactedThinkingBlock
  | ServerToolBlock;

/** A message in the conversation; content is always normalised to blocks by the parser. */
export interface Message {
  role: "user" | "assistant" | "system";
  content: ContentBlock[];
}

/** A client-defined tool. */
export interface CustomTool {
  type?: "custom";
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  cache_control?: CacheControl | null;
  defer_loading?: boolean;
  strict?: boolean;
}

/** A tool Anthropic runs on its own servers (web search, code execution, ...). */
export interface ServerTool {
  type: string;
  name: string;
  [key: string]: unknown;
}

/** Any tool definition. Custom tools have no `type` or `type: "custom"`. */
export type Tool = CustomTool | ServerTool;

/** How the model must use tools. */
export type ToolChoice =
  | { type: "auto"; disable_parallel_tool_use?: boolean }
  | { type: "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

/** Extended thinking configuration. */
export type ThinkingConfig =
  | { type: "enabled"; budget_tokens: number; display?: "summarized" | "omitted" }
  | { type: "adaptive"; display?: "summarized" | "omitted" }
  | { type: "disabled" };

/** Reasoning effort. */
export type Effort = "low" | "medium" | "high" | "xhigh" | "max";

/** A parsed `POST /v1/messages` body. */
export interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: Message[];
  system?: TextBlock[];
  stop_sequences?: string[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  metadata?: { user_id?: string | null };
  tools?: Tool[];
  tool_choice?: ToolChoice;
  thinking?: ThinkingConfig;
  output_config?: { effort?: Effort; format?: { type: "json_schema"; schema: Record<string, unknown> } };
  cache_control?: CacheControl | null;
  service_tier?: "auto" | "standard_only";
  /** Beta flags from the `anthropic-beta` header and a `betas` body field. */
  betas?: string[];
  mcp_servers?: unknown[];
}

/** A parsed `POST /v1/messages/count_tokens` body (no max_tokens). */
export type CountTokensRequest = Omit<MessagesRequest, "max_tokens"> & { max_tokens?: number };

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
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens_details?: { thinking_tokens: number } | null;
  service_tier?: "standard";
}

/** A text block in a response. */
export interface ResponseTextBlock {
  type: "text";
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
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ResponseBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: Usage;
}

/** A content block as it is announced in `content_block_start`. */
export type StartBlock =
  | { type: "text"; text: "" }
  | { type: "tool_use"; id: string; name: string; input: Record<string, never> }
  | { type: "thinking"; thinking: ""; signature: "" }
  | RedactedThinkingBlock;

/** An incremental update to the open content block. */
export type BlockDelta =
  | { type: "text_delta"; text: string }
  | { type: "input_json_delta"; partial_json: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "signature_delta"; signature: string };

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

/** Usage fields a `message_delta` may carry; they overwrite what `message_start` said. */
export interface DeltaUsage {
  output_tokens: number;
  input_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  output_tokens_details?: { thinking_tokens: number } | null;
}

/** One server-sent event of a streamed response. */
export type StreamEvent =
  | {
    type: "message_start";
    message: Omit<MessageResponse, "content" | "stop_reason" | "stop_sequence"> & {
      content: [];
      stop_reason: null;
      stop_sequence: null;
    };
  }
  | { type: "content_block_start"; index: number; content_block: StartBlock }
  | { type: "content_block_delta"; index: number; delta: BlockDelta }
  | { type: "content_block_stop"; index: number }
  | {
    type: "message_delta";
    delta: { stop_reason: StopReason | null; stop_sequence: string | null };
    usage: DeltaUsage;
  }
  | { type: "message_stop" }
  | { type: "ping" }
  | { type: "error"; error: { type: ErrorType; message: string } };
