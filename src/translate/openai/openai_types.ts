/**
 * The OpenAI Chat Completions wire shapes relayx sends to OpenAI-compatible upstreams, defined here
 * rather than imported from the `openai` package: relayx sends provider extensions the SDK does not type
 * (`reasoning_content`, `reasoning_details`, `extra_content`, `thinking`, a literal `extra_body`) and must
 * not depend on the SDK's types changing under it.
 *
 * Responses are read as `unknown` and parsed field by field (see `from_openai.ts`), so only the request
 * side is typed in full.
 *
 * @module
 */

/** Anthropic's prompt-caching marker, which OpenRouter accepts on content parts and at top level. */
export interface OpenAICacheControl {
  type: "ephemeral";
  ttl?: "5m" | "1h";
}

/** A text content part. */
export interface OpenAITextPart {
  type: "text";
  text: string;
  /** OpenRouter only. */
  cache_control?: OpenAICacheControl;
}

/** An image content part (a data URI or a URL). */
export interface OpenAIImagePart {
  type: "image_url";
  image_url: { url: string };
}

/** A file content part (PDFs, as a data URI). */
export interface OpenAIFilePart {
  type: "file";
  file: { filename: string; file_data: string };
}

/** Any part of a user message. */
export type OpenAIContentPart = OpenAITextPart | OpenAIImagePart | OpenAIFilePart;

/** A tool call on an assistant message. */
export interface OpenAIToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  /** Gemini 3 thought signature, which must be echoed on later turns. */
  extra_content?: { google: { thought_signature: string } };
}

/** A system (or, for OpenAI reasoning models, developer) message. */
export interface OpenAISystemMessage {
  role: "system" | "developer";
  content: string | OpenAITextPart[];
}

/** A user message. */
export interface OpenAIUserMessage {
  role: "user";
  content: string | OpenAIContentPart[];
}

/** An assistant message, with the reasoning fields some providers need back. */
export interface OpenAIAssistantMessage {
  role: "assistant";
  content: string | OpenAITextPart[] | null;
  tool_calls?: OpenAIToolCall[];
  /** DeepSeek (thinking mode, tool turns). */
  reasoning_content?: string;
  /** vLLM. */
  reasoning?: string;
  /** OpenRouter, returned unchanged. */
  reasoning_details?: unknown[];
}

/** The result of one tool call. */
export interface OpenAIToolMessage {
  role: "tool";
  tool_call_id: string;
  content: string | OpenAITextPart[];
}

/** Any chat message. */
export type OpenAIMessage =
  | OpenAISystemMessage
  | OpenAIUserMessage
  | OpenAIAssistantMessage
  | OpenAIToolMessage;

/** A function tool definition. */
export interface OpenAITool {
  type: "function";
  /** `parameters` is omitted for Gemini tools without input (it rejects an object without properties). */
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** How the model must use tools. */
export type OpenAIToolChoice = "none" | "auto" | "required" | {
  type: "function";
  function: { name: string };
};

/** Reasoning effort values relayx sends. */
export type OpenAIReasoningEffort = "low" | "medium" | "high";

/** Gemini's thinking settings, sent as the literal body key `extra_body` (Gemini reads it from the body). */
export interface GeminiExtraBody {
  google: { thinking_config: { thinking_budget: number; include_thoughts: boolean } };
}

/** A `POST /chat/completions` body. Only fields relayx sets are listed; nothing else is ever sent. */
export interface OpenAIChatRequest {
  model: string;
  messages: OpenAIMessage[];
  max_tokens?: number;
  /** OpenAI reasoning models (o-series, gpt-5) instead of `max_tokens`. */
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop?: string[];
  user?: string;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  tools?: OpenAITool[];
  tool_choice?: OpenAIToolChoice;
  parallel_tool_calls?: boolean;
  reasoning_effort?: OpenAIReasoningEffort;
  /** OpenRouter. */
  reasoning?: { effort: "low" | "medium" | "high" | "xhigh" } | { max_tokens: number };
  /** DeepSeek. */
  thinking?: { type: "enabled" | "disabled" };
  /** Gemini. */
  extra_body?: GeminiExtraBody;
  response_format?: {
    type: "json_schema";
    json_schema: { name: string; schema: Record<string, unknown>; strict: boolean };
  };
  /** OpenRouter (automatic caching breakpoint). */
  cache_control?: OpenAICacheControl;
  /** OpenAI only. */
  service_tier?: "default";
}
