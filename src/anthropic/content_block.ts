/**
 * The content blocks of request messages: text, images, documents, search results, tool calls and their
 * results, thinking, the server-tool blocks relayx drops, and the blocks of beta features no other upstream
 * understands ({@linkcode ForeignBlock}, in `beta_blocks.ts`).
 *
 * @module
 */
import type { ForeignBlock, UnknownBlock } from "./beta_blocks.ts";

/** A prompt-caching breakpoint. */
export interface CacheControl {
  /** The only cache type Anthropic has. */
  type: "ephemeral";
  /** How long the cache entry lives (5 minutes by default). */
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
  /** Tells the block kinds apart. */
  type: "text";
  /** The text. */
  text: string;
  /** A prompt-caching breakpoint after this block. */
  cache_control?: CacheControl | null;
  /** Citations of documents; kept as sent, never read. */
  citations?: unknown;
}

/** An image block. */
export interface ImageBlock {
  /** Tells the block kinds apart. */
  type: "image";
  /** The image's bytes or where to find them. */
  source: ImageSource;
  /** A prompt-caching breakpoint after this block. */
  cache_control?: CacheControl | null;
}

/** A document block (PDF, plain text or nested content). */
export interface DocumentBlock {
  /** Tells the block kinds apart. */
  type: "document";
  /** The document's content or where to find it. */
  source: DocumentSource;
  /** The document's title. */
  title?: string | null;
  /** Context about the document that the model reads but does not cite. */
  context?: string | null;
  /** Whether citations are enabled; kept as sent, never read. */
  citations?: unknown;
  /** A prompt-caching breakpoint after this block. */
  cache_control?: CacheControl | null;
}

/** A search result block. */
export interface SearchResultBlock {
  /** Tells the block kinds apart. */
  type: "search_result";
  /** Where the result comes from (a URL or a name). */
  source: string;
  /** The result's title. */
  title: string;
  /** The result's text. */
  content: TextBlock[];
  /** A prompt-caching breakpoint after this block. */
  cache_control?: CacheControl | null;
}

/** A tool call made by the model. */
export interface ToolUseBlock {
  /** Tells the block kinds apart. */
  type: "tool_use";
  /** The call's id (`toolu_...`), which its tool_result names. */
  id: string;
  /** The tool's name. */
  name: string;
  /** The arguments, as the model wrote them (normally a JSON object). */
  input: unknown;
  /** A prompt-caching breakpoint after this block. */
  cache_control?: CacheControl | null;
}

/** A reference to a deferred tool, returned by Claude Code's tool search. */
export interface ToolReferenceBlock {
  /** Tells the block kinds apart. */
  type: "tool_reference";
  /** The name of the tool that is now loaded. */
  tool_name: string;
}

/** What a tool_result may contain (an unknown kind, such as a newer client's `browser_state`, is kept wrapped). */
export type ToolResultContent =
  | TextBlock
  | ImageBlock
  | DocumentBlock
  | SearchResultBlock
  | ToolReferenceBlock
  | UnknownBlock;

/** The client's answer to a tool call. */
export interface ToolResultBlock {
  /** Tells the block kinds apart. */
  type: "tool_result";
  /** The id of the tool_use block this answers. */
  tool_use_id: string;
  /** The tool's output: text, or blocks. */
  content?: string | ToolResultContent[];
  /** True when the tool failed and `content` describes the failure. */
  is_error?: boolean;
  /** A prompt-caching breakpoint after this block. */
  cache_control?: CacheControl | null;
}

/** Model reasoning, with an opaque signature. */
export interface ThinkingBlock {
  /** Tells the block kinds apart. */
  type: "thinking";
  /** The reasoning text (a summary, or empty when the display is omitted). */
  thinking: string;
  /** Proves the reasoning came from the model; relayx's own signatures carry a provider's reasoning state. */
  signature: string;
}

/** Encrypted reasoning. */
export interface RedactedThinkingBlock {
  /** Tells the block kinds apart. */
  type: "redacted_thinking";
  /** The encrypted reasoning, passed back as received. */
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
  /** One of {@linkcode SERVER_TOOL_BLOCK_TYPES}. */
  type: (typeof SERVER_TOOL_BLOCK_TYPES)[number];
  /** The block's other fields, never read. */
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
  | ServerToolBlock
  | ForeignBlock;
