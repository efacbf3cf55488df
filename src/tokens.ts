/**
 * Input-token figures for upstreams that report usage late or not at all.
 *
 * - {@linkcode estimateInputTokens}: the figure `message_start` carries at once when the upstream reports
 *   usage only at the end (the final `message_delta` then carries the upstream's real count). It divides
 *   the request's text by the characters per token that the BPE count gives on real Claude Code requests
 *   (tested to stay within 15% of it), because tokenizing 50 KB costs about 10 ms and this runs on every
 *   streamed request.
 * - {@linkcode textsToCount}: what a BPE count of the same request reads, for `count_tokens` on backends
 *   without a counting API. The BPE tokenizer itself runs in a worker (`tokens/token_counter.ts`), never
 *   on the event loop.
 *
 @module
 */
import type {
  ContentBlock,
  CountTokensRequest,
  DocumentSource,
  Tool,
  ToolResultContent,
} from "./anthropic/types.ts";

/** What the counters read: a Messages or count_tokens request (its `max_tokens` plays no part). */
export type TokenCountRequest = Omit<CountTokensRequest, "max_tokens">;

/** How a measure counts text. */
interface Measure {
  text(text: string): number;
  /** A tool's name, description and schema. */
  tool(tool: Tool): number;
  /** A base64 PDF of `chars` characters (default: by its size). */
  pdf?(chars: number): number;
}

// Anthropic bills an image at about width*height/750 tokens, capped near 1,600 for the largest sizes it
// keeps; without decoding the image, the cap is the honest upper estimate.
const IMAGE_TOKENS = 1600;
// A PDF page costs text plus an image; ~3 KB of base64 per 1 KB page of text is a rough ratio.
const PDF_TOKENS_PER_BASE64_CHAR = 1 / 10;
// Characters per o200k token over Claude Code 2.1.332 requests (system, tools with JSON Schemas, history):
// 4.5 to 4.6 on every captured request.
const CHARS_PER_TOKEN = 4.5;

function documentTokens(s: DocumentSource, m: Measure): number {
  switch (s.type) {
    case "base64":
      return m.pdf ? m.pdf(s.data.length) : Math.ceil(s.data.length * PDF_TOKENS_PER_BASE64_CHAR);
    case "text":
      return m.text(s.data);
    case "content":
      return typeof s.content === "string"
        ? m.text(s.content)
        : s.content.reduce((n, c) => n + blockTokens(c, m), 0);
    case "url":
    case "file":
      return IMAGE_TOKENS;
    default: {
      const never: never = s;
      return never;
    }
  }
}

function resultTokens(content: string | ToolResultContent[] | undefined, m: Measure): number {
  if (content === undefined) return 0;
  if (typeof content === "string") return m.text(content);
  let n = 0;
  for (const c of content) n += blockTokens(c, m);
  return n;
}

function blockTokens(block: ContentBlock | ToolResultContent, m: Measure): number {
  switch (block.type) {
    case "text":
      return m.text(block.text);
    case "image":
      return IMAGE_TOKENS;
    case "document":
      return documentTokens(block.source, m);
    case "search_result":
      return m.text(block.title) + block.content.reduce((n, c) => n + m.text(c.text), 0);
    case "tool_use":
      return m.text(block.name) + m.text(JSON.stringify(block.input ?? {}));
    case "tool_result":
      return 4 + resultTokens(block.content, m);
    case "tool_reference":
      return m.text(block.tool_name);
    case "thinking":
      return m.text(block.thinking);
    case "redacted_thinking":
      return Math.ceil(block.data.length / 4);
    default:
      return m.text(JSON.stringify(block));
  }
}

// The sum of a request's parts: what `m` gives for each text and tool, plus fixed costs (per message and
// tool, images, PDFs).
function walkRequest(request: TokenCountRequest, m: Measure): number {
  let n = 0;
  for (const s of request.system ?? []) n += m.text(s.text);
  for (const msg of request.messages) {
    n += 4;
    for (const b of msg.content) n += blockTokens(b, m);
  }
  for (const t of request.tools ?? []) n += 8 + m.tool(t);
  return n;
}

// A tool's schema is the bulk of a request (30 KB of Claude Code's 50 KB) and the same on every turn;
// its size is remembered by name and description length rather than serialised again per request.
const schemaChars = new Map<string, { described: number; chars: number }>();

function toolChars(tool: Tool): number {
  const description = "description" in tool && typeof tool.description === "string" ? tool.description : "";
  const known = schemaChars.get(tool.name);
  let chars: number;
  if (known && known.described === description.length) {
    chars = known.chars;
  } else {
    chars = JSON.stringify("input_schema" in tool ? tool.input_schema : tool).length;
    if (schemaChars.size > 4096) schemaChars.clear();
    schemaChars.set(tool.name, { described: description.length, chars });
  }
  return tool.name.length + description.length + chars;
}

// Text outside ASCII (CJK, Cyrillic, ...) runs at about 1.5 to 3.3 characters per o200k token.
const NON_ASCII_CHARS_PER_TOKEN = 2;
const SAMPLE = 256;

// The share of non-ASCII characters is taken from the first 256 characters: a constant cost per string,
// where scanning all of it would cost as much as the request's JSON parse.
function fastTextTokens(text: string): number {
  const n = Math.min(text.length, SAMPLE);
  let wide = 0;
  for (let i = 0; i < n; i++) if (text.charCodeAt(i) > 127) wide++;
  const share = n === 0 ? 0 : wide / n;
  return text.length * ((1 - share) / CHARS_PER_TOKEN + share / NON_ASCII_CHARS_PER_TOKEN);
}

const fast: Measure = {
  text: fastTextTokens,
  tool: (tool) => toolChars(tool) / CHARS_PER_TOKEN,
};

/**
 * A quick estimate of a request's input tokens (system, messages, tools), without a tokenizer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const tokens = estimateInputTokens({
 *   model: "claude-sonnet-4-5",
 *   messages: [{ role: "user", content: [{ type: "text", text: "Hello, world" }] }],
 * });
 * assert.equal(tokens, 7); // 4 per message, and 12 characters at 4.5 per token
 * ```
 */
export function estimateInputTokens(request: TokenCountRequest, options: EstimateOptions = {}): number {
  const max = options.pdfTextMaxChars;
  // The text relayx sends in a PDF's place is at most `max` characters, and a heading and page markers.
  const m = max === undefined ? fast : {
    ...fast,
    pdf: (chars: number) =>
      Math.min(Math.ceil(chars * PDF_TOKENS_PER_BASE64_CHAR), Math.ceil(max / CHARS_PER_TOKEN) + 100),
  };
  return Math.max(1, Math.round(walkRequest(request, m)));
}

/** Options of {@linkcode estimateInputTokens}. */
export interface EstimateOptions {
  /**
   * For a model that takes no PDFs: relayx sends each PDF's text instead, at most this many characters, so
   * a PDF counts no more than that text could.
   */
  pdfTextMaxChars?: number;
}

/** What a BPE count of a request reads: see {@linkcode textsToCount}. */
export interface TextsToCount {
  /** Tokens that need no tokenizer: per message and tool, images, PDFs. */
  fixed: number;
  /** Every text to tokenize, in request order, repeats included; a tool is its name, description and schema. */
  texts: string[];
}

/**
 * Lists the texts a BPE count of the request tokenizes, and the tokens the rest adds: the request's count
 * is `max(1, fixed + the tokens of every text)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const { fixed, texts } = textsToCount({
 *   model: "claude-sonnet-4-5",
 *   messages: [{ role: "user", content: [{ type: "text", text: "Hello, world" }] }],
 * });
 * assert.equal(fixed, 4); // per message
 * assert.deepEqual(texts, ["Hello, world"]);
 * ```
 */
export function textsToCount(request: TokenCountRequest): TextsToCount {
  const texts: string[] = [];
  const fixed = walkRequest(request, {
    text(text) {
      texts.push(text);
      return 0;
    },
    tool(t) {
      texts.push(t.name);
      if ("description" in t && typeof t.description === "string") texts.push(t.description);
      texts.push(JSON.stringify("input_schema" in t ? t.input_schema : t));
      return 0;
    },
  });
  return { fixed, texts };
}
