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
  /** The only cache type there is. */
  type: "ephemeral";
  /** How long the cached prefix lives (the provider's default, 5 minutes, when absent). */
  ttl?: "5m" | "1h";
}

/** A text content part. */
export interface OpenAITextPart {
  /** The part's kind. */
  type: "text";
  /** The text. */
  text: string;
  /** OpenRouter only. */
  cache_control?: OpenAICacheControl;
}

/** An image content part (a data URI or a URL). */
export interface OpenAIImagePart {
  /** The part's kind. */
  type: "image_url";
  /** Where the image is: `data:<media type>;base64,...` or an `https:` URL. */
  image_url: { url: string };
}

/** A file content part (PDFs, as a data URI). */
export interface OpenAIFilePart {
  /** The part's kind. */
  type: "file";
  /** The file's name and its content as `data:application/pdf;base64,...`. */
  file: { filename: string; file_data: string };
}

/** Any part of a user message. */
export type OpenAIContentPart = OpenAITextPart | OpenAIImagePart | OpenAIFilePart;

/** A tool call on an assistant message. */
export interface OpenAIToolCall {
  /** The call's id, which the `tool` message answering it names. */
  id: string;
  /** The only kind of tool call relayx sends. */
  type: "function";
  /** The tool's name and its arguments as a JSON text. */
  function: { name: string; arguments: string };
  /** Gemini 3 thought signature, which must be echoed on later turns. */
  extra_content?: { google: { thought_signature: string } };
}

/** A system (or, for OpenAI reasoning models, developer) message. */
export interface OpenAISystemMessage {
  /** `developer` for OpenAI reasoning models, `system` for everything else. */
  role: "system" | "developer";
  /** The system text. */
  content: string | OpenAITextPart[];
}

/** A user message. */
export interface OpenAIUserMessage {
  /** Who speaks. */
  role: "user";
  /** Plain text, or parts where images, files or cache markers need them. */
  content: string | OpenAIContentPart[];
}

/** An assistant message, with the reasoning fields some providers need back. */
export interface OpenAIAssistantMessage {
  /** Who speaks. */
  role: "assistant";
  /** The answer text; `null` for a turn of tool calls only. */
  content: string | OpenAITextPart[] | null;
  /** The tools the turn called. */
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
  /** Who speaks. */
  role: "tool";
  /** The id of the call this answers. */
  tool_call_id: string;
  /** The result as text. */
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
  /** The only kind of tool relayx sends. */
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
  /** The thinking budget in tokens, and whether to return thought summaries. */
  google: { thinking_config: { thinking_budget: number; include_thoughts: boolean } };
}

/** A `POST /chat/completions` body. Only fields relayx sets are listed; nothing else is ever sent. */
export interface OpenAIChatRequest {
  /** The upstream model name. */
  model: string;
  /** The conversation. */
  messages: OpenAIMessage[];
  /** The output cap (models other than OpenAI's reasoning models). */
  max_tokens?: number;
  /** OpenAI reasoning models (o-series, gpt-5) instead of `max_tokens`. */
  max_completion_tokens?: number;
  /** Sampling temperature. */
  temperature?: number;
  /** Nucleus sampling. */
  top_p?: number;
  /** Top-k sampling (providers with `topK`). */
  top_k?: number;
  /** Stop sequences (at most 4). */
  stop?: string[];
  /** A stable id of the end user (at most 64 characters). */
  user?: string;
  /** Whether to stream the answer as server-sent events. */
  stream?: boolean;
  /** Asks for a final chunk with the usage. */
  stream_options?: { include_usage: boolean };
  /** The function tools. */
  tools?: OpenAITool[];
  /** How the model must use the tools. */
  tool_choice?: OpenAIToolChoice;
  /** `false` to allow one tool call per turn. */
  parallel_tool_calls?: boolean;
  /** OpenAI reasoning models, and local servers that follow them. */
  reasoning_effort?: OpenAIReasoningEffort;
  /** OpenRouter. */
  reasoning?: { effort: "low" | "medium" | "high" | "xhigh" } | { max_tokens: number };
  /** DeepSeek. */
  thinking?: { type: "enabled" | "disabled" };
  /** Gemini. */
  extra_body?: GeminiExtraBody;
  /** Structured output: the answer must match the schema. */
  response_format?: {
    type: "json_schema";
    json_schema: { name: string; schema: Record<string, unknown>; strict: boolean };
  };
  /** OpenRouter (automatic caching breakpoint). */
  cache_control?: OpenAICacheControl;
  /** OpenAI only. */
  service_tier?: "default";
}
