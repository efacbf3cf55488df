/**
 * The subset of the Bedrock Converse API that relayx writes, as plain types.
 *
 * They mirror `@aws-sdk/client-bedrock-runtime` (3.1164) member for member, so a {@linkcode ConverseInput}
 * is assignable to `ConverseCommandInput` and `ConverseStreamCommandInput` (a test checks this), while the
 * translators stay free of the SDK: a backend that signs its own `fetch` can serialise the same object
 * (bytes as base64) without pulling in the SDK's layers.
 *
 * @module
 */

/** A JSON value; the SDK calls it `DocumentType`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** A prompt-caching checkpoint: everything before it is cached. */
export interface CachePoint {
  /** The only kind Bedrock has. */
  type: "default";
  /** How long the cache lives; 5 minutes when absent (1 hour only on Claude 4.5 and later). */
  ttl?: "5m" | "1h";
}

/** The image formats Converse takes. */
export type ConverseImageFormat = "png" | "jpeg" | "gif" | "webp";

/** An image given inline. */
export interface ConverseImage {
  /** The image's format. */
  format: ConverseImageFormat;
  /** The image's bytes (base64 when serialised as JSON). */
  source: { bytes: Uint8Array };
}

/** A document given inline. */
export interface ConverseDocument {
  /** The document's format. */
  format: "pdf" | "txt" | "csv" | "doc" | "docx" | "xls" | "xlsx" | "html" | "md";
  /** Only alphanumerics, single spaces, hyphens, parentheses and square brackets; unique per request. */
  name: string;
  /** The document's bytes (base64 when serialised as JSON). */
  source: { bytes: Uint8Array };
  /** What the document is about, for the model (Anthropic's document `context`). */
  context?: string;
}

/** A search result given as grounding. */
export interface ConverseSearchResult {
  /** Where the result comes from (a URL or another identifier). */
  source: string;
  /** The result's title. */
  title: string;
  /** The result's text passages. */
  content: { text: string }[];
}

/** What a tool result may contain. */
export type ConverseToolResultContent =
  | { text: string }
  | { image: ConverseImage }
  | { document: ConverseDocument }
  | { searchResult: ConverseSearchResult };

/** Reasoning sent back to the model: signed text, or the encrypted form. */
export type ConverseReasoning =
  | { reasoningText: { text: string; signature?: string } }
  | { redactedContent: Uint8Array };

/** One content block of a Converse message (exactly one key). */
export type ConverseContentBlock =
  | { text: string }
  | { image: ConverseImage }
  | { document: ConverseDocument }
  | { searchResult: ConverseSearchResult }
  | { toolUse: { toolUseId: string; name: string; input: JsonValue } }
  | {
    toolResult: { toolUseId: string; content: ConverseToolResultContent[]; status?: "success" | "error" };
  }
  | { reasoningContent: ConverseReasoning }
  | { cachePoint: CachePoint };

/** A Converse message. */
export interface ConverseMessage {
  /** Who speaks; Converse has no system turns. */
  role: "user" | "assistant";
  /** The message's blocks, cache points included. */
  content: ConverseContentBlock[];
}

/** A block of the system prompt. */
export type ConverseSystemBlock = { text: string } | { cachePoint: CachePoint };

/** A tool definition, or a cache checkpoint after the tools before it. */
export type ConverseTool =
  | { toolSpec: { name: string; description?: string; inputSchema: { json: JsonValue } } }
  | { cachePoint: CachePoint };

/** How the model must use tools (Converse has no "none"). */
export type ConverseToolChoice = { auto: Record<never, never> } | { any: Record<never, never> } | {
  tool: { name: string };
};

/** The `ConverseCommand` / `ConverseStreamCommand` input relayx builds. */
export interface ConverseInput {
  /** The model id, inference-profile id or ARN. */
  modelId: string;
  /** The conversation, starting with a user turn. */
  messages: ConverseMessage[];
  /** The system prompt. */
  system?: ConverseSystemBlock[];
  /** Output cap, sampling and stop sequences. */
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  /** The tools and how the model must use them. */
  toolConfig?: { tools: ConverseTool[]; toolChoice?: ConverseToolChoice };
  /** Model-specific request fields Converse has no member for (Claude's `thinking`, `top_k`, ...). */
  additionalModelRequestFields?: JsonObject;
  /** JSON pointers of model-specific response fields to return (Claude's `/stop_sequence`). */
  additionalModelResponseFieldPaths?: string[];
  /** Structured output: a JSON schema the text must follow. */
  outputConfig?: {
    textFormat?: {
      type: "json_schema";
      structure: { jsonSchema: { schema: string; name?: string; description?: string } };
    };
  };
}
