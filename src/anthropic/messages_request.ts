/**
 * The request bodies of `POST /v1/messages` and `POST /v1/messages/count_tokens`, as the parser returns
 * them (message content and `system` always normalised to blocks). The parser builds these types from its
 * zod schema without a cast, so that the schema and the types cannot drift apart silently (the check lives
 * in `parse.ts`).
 *
 * @module
 */
import type { CacheControl, ContentBlock, TextBlock } from "./content_block.ts";

/** A message in the conversation; content is always normalised to blocks by the parser. */
export interface Message {
  /** Who speaks; each backend translates mid-conversation "system" messages in its own way. */
  role: "user" | "assistant" | "system";
  /** What was said. */
  content: ContentBlock[];
}

/** A client-defined tool. */
export interface CustomTool {
  /** Absent or `"custom"`: what tells a custom tool from a {@linkcode ServerTool}. */
  type?: "custom";
  /** The name the model calls it by. */
  name: string;
  /** What the tool does, for the model. */
  description?: string;
  /** The JSON Schema of the tool's input. */
  input_schema: Record<string, unknown>;
  /** A prompt-caching breakpoint after this tool. */
  cache_control?: CacheControl | null;
  /** True when the tool is loaded only once tool search finds it. */
  defer_loading?: boolean;
  /** True when the model's input must match `input_schema` exactly. */
  strict?: boolean;
}

/** A tool Anthropic runs on its own servers (web search, code execution, ...). */
export interface ServerTool {
  /** The server tool's versioned type, e.g. `web_search_20250305`. */
  type: string;
  /** The tool's name. */
  name: string;
  /** The tool's other settings, never read. */
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
  /** The model the client asked for (a Claude name, or an upstream model's own name). */
  model: string;
  /** The most tokens the answer may have. */
  max_tokens: number;
  /** The conversation, oldest first. */
  messages: Message[];
  /** The system prompt, as blocks. */
  system?: TextBlock[];
  /** Texts that end the answer when the model writes them. */
  stop_sequences?: string[];
  /** True for an SSE stream of events, false or absent for one JSON message. */
  stream?: boolean;
  /** Sampling temperature, 0 to 1 on Anthropic (relayx accepts up to 2). */
  temperature?: number;
  /** Nucleus sampling. */
  top_p?: number;
  /** Top-k sampling. */
  top_k?: number;
  /** Who is asking (Claude Code sends a JSON `user_id`); null is accepted and means none. */
  metadata?: { user_id?: string | null } | null;
  /** The tools the model may call. */
  tools?: Tool[];
  /** How the model must use the tools. */
  tool_choice?: ToolChoice;
  /** Extended thinking. */
  thinking?: ThinkingConfig;
  /** Reasoning effort and structured output. */
  output_config?: { effort?: Effort; format?: { type: "json_schema"; schema: Record<string, unknown> } };
  /** A prompt-caching breakpoint at the end of the request. */
  cache_control?: CacheControl | null;
  /** Whether the request may use priority capacity. */
  service_tier?: "auto" | "standard_only";
  /** Beta flags from the `anthropic-beta` header and a `betas` body field. */
  betas?: string[];
  /** Remote MCP servers (Anthropic runs them; other upstreams cannot). */
  mcp_servers?: unknown[];
}

/** A parsed `POST /v1/messages/count_tokens` body (no max_tokens). */
export type CountTokensRequest = Omit<MessagesRequest, "max_tokens"> & { max_tokens?: number };
