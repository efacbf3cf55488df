/**
 * Input-token estimates with a real BPE tokenizer (o200k), for count_tokens on backends without a
 * counting API and for the `message_start` usage of upstreams that report usage only at the end.
 *
 * Tokenizing 50 KB costs about 10 ms, too much for every request; but Claude Code resends the same system
 * blocks, tools and history each turn, so counts are memoised per piece of text and only new text is
 * tokenized.
 *
 * @module
 */
import { countTokens } from "gpt-tokenizer";
import type {
  ContentBlock,
  CountTokensRequest,
  DocumentSource,
  ToolResultContent,
} from "./anthropic/types.ts";

const MAX_CACHED_CHARS = 16 * 1024 * 1024;
const cache = new Map<string, number>();
let cachedChars = 0;

/** Tokens of one piece of text (memoised; the least recently used pieces are evicted first). */
export function textTokens(text: string): number {
  if (text.length < 64) return countTokens(text);
  const hit = cache.get(text);
  if (hit !== undefined) {
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const n = countTokens(text);
  cache.set(text, n);
  cachedChars += text.length;
  while (cachedChars > MAX_CACHED_CHARS) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    cache.delete(oldest);
    cachedChars -= oldest.length;
  }
  return n;
}

// Anthropic bills an image at about width*height/750 tokens, capped near 1,600 for the largest sizes it
// keeps; without decoding the image, the cap is the honest upper estimate.
const IMAGE_TOKENS = 1600;
// A PDF page costs text plus an image; ~3 KB of base64 per 1 KB page of text is a rough ratio.
const PDF_TOKENS_PER_BASE64_CHAR = 1 / 10;

function resultTokens(content: string | ToolResultContent[] | undefined): number {
  if (content === undefined) return 0;
  if (typeof content === "string") return textTokens(content);
  let n = 0;
  for (const c of content) n += blockTokens(c);
  return n;
}

function documentTokens(s: DocumentSource): number {
  switch (s.type) {
    case "base64":
      return Math.ceil(s.data.length * PDF_TOKENS_PER_BASE64_CHAR);
    case "text":
      return textTokens(s.data);
    case "content":
      return typeof s.content === "string"
        ? textTokens(s.content)
        : s.content.reduce((n, c) => n + blockTokens(c), 0);
    case "url":
    case "file":
      return IMAGE_TOKENS;
    default: {
      const never: never = s;
      return never;
    }
  }
}

function blockTokens(block: ContentBlock | ToolResultContent): number {
  switch (block.type) {
    case "text":
      return textTokens(block.text);
    case "image":
      return IMAGE_TOKENS;
    case "document":
      return documentTokens(block.source);
    case "search_result":
      return textTokens(block.title) + block.content.reduce((n, c) => n + textTokens(c.text), 0);
    case "tool_use":
      return textTokens(block.name) + textTokens(JSON.stringify(block.input ?? {}));
    case "tool_result":
      return 4 + resultTokens(block.content);
    case "tool_reference":
      return textTokens(block.tool_name);
    case "thinking":
      return textTokens(block.thinking);
    case "redacted_thinking":
      return Math.ceil(block.data.length / 4);
    default:
      return textTokens(JSON.stringify(block));
  }
}

/**
 * Estimates the input tokens of a request: system, every message, and tool definitions.
 *
 * @example
 * ```ts
 * estimateInputTokens({ model: "m", messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }] });
 * ```
 */
export function estimateInputTokens(request: Omit<CountTokensRequest, "max_tokens">): number {
  let n = 0;
  for (const s of request.system ?? []) n += textTokens(s.text);
  for (const m of request.messages) {
    n += 4;
    for (const b of m.content) n += blockTokens(b);
  }
  for (const t of request.tools ?? []) {
    n += 8 + textTokens(t.name);
    if ("description" in t && typeof t.description === "string") n += textTokens(t.description);
    if ("input_schema" in t) n += textTokens(JSON.stringify(t.input_schema));
  }
  return Math.max(1, n);
}
