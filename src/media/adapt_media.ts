/**
 * Fits a request's media to what the target model takes, before any translator sees it: a PDF for a
 * model that takes none becomes its extracted text (`pdf_text.ts`), an image for a model without vision
 * becomes a short note. Claude Code's Read sends a PDF as a `document` inside a `tool_result`, so tool
 * results are looked into too, with their own capabilities (some upstreams read documents only at the
 * top level of a user turn).
 *
 * @module
 */
import type {
  ContentBlock,
  DocumentBlock,
  ImageBlock,
  MessagesRequest,
  TextBlock,
  ToolResultBlock,
  ToolResultContent,
} from "../anthropic/types.ts";
import { RelayError } from "../errors.ts";
import { DEFAULT_LIMITS } from "../limits.ts";
import { PdfReadError, PdfTimeoutError } from "./pdf_text.ts";
import { InvalidBase64Error, PdfTextCache } from "./pdf_text_cache.ts";

/** What a target model takes, as far as media go. */
export interface MediaCaps {
  /** It takes images. */
  images: boolean;
  /** It takes PDF documents. */
  pdf: boolean;
  /** What it takes inside tool results, where that differs (default: the same as above). */
  toolResults?: { images: boolean; pdf: boolean };
}

/** Options of {@linkcode adaptMedia}. */
export interface AdaptMediaOptions {
  /** Characters of text kept per PDF (default `DEFAULT_LIMITS.pdfTextMaxChars`). */
  pdfTextMaxChars?: number;
  /** Remembers the text of recent PDFs (default: one cache shared by the process). */
  cache?: PdfTextCache;
}

// The PDFs of a few conversations: 8 of them, up to 32 MB of base64 in all.
const SHARED_CACHE = new PdfTextCache({ maxEntries: 8, maxKeyChars: 32_000_000 });

/** What stands in for an image the model cannot see. */
export const IMAGE_NOTE = "[image omitted: this model takes no images]";

type Caps = { images: boolean; pdf: boolean };
type Media = ImageBlock | DocumentBlock;

interface _Run {
  warn: (message: string) => void;
  maxChars: number;
  cache: PdfTextCache;
}

function _isPdf(b: DocumentBlock): boolean {
  return b.source.type === "base64" && b.source.media_type.toLowerCase() === "application/pdf";
}

function _docHasImage(b: DocumentBlock): boolean {
  const s = b.source;
  return s.type === "content" && typeof s.content !== "string" && s.content.some((c) => c.type === "image");
}

function _blockNeeds(b: { type: string }, caps: Caps): boolean {
  if (!_isMedia(b)) return false;
  if (b.type === "image") return !caps.images;
  return (!caps.pdf && _isPdf(b)) || (!caps.images && _docHasImage(b));
}

/**
 * True when {@linkcode adaptMedia} would change the request. Reads only block types, and nothing at all
 * when the model takes both images and PDFs everywhere: the hot path pays nothing for this step.
 *
 * @example
 * ```ts
 * const request = { model: "m", max_tokens: 1, messages: [] };
 * needsMediaAdapt(request, { images: false, pdf: false }); // false
 * ```
 */
export function needsMediaAdapt(request: MessagesRequest, caps: MediaCaps): boolean {
  const inResults = caps.toolResults ?? caps;
  if (caps.images && caps.pdf && inResults.images && inResults.pdf) return false;
  for (const m of request.messages) {
    for (const b of m.content) {
      if (_blockNeeds(b, caps)) return true;
      if (b.type === "tool_result" && Array.isArray(b.content)) {
        for (const c of b.content) if (_blockNeeds(c, inResults)) return true;
      }
    }
  }
  return false;
}

function _imageNote(b: ImageBlock, run: _Run): TextBlock {
  run.warn("image: this model takes no images; replaced by a note");
  return b.cache_control ? { type: "text", text: IMAGE_NOTE, cache_control: b.cache_control } : {
    type: "text",
    text: IMAGE_NOTE,
  };
}

async function _pdfAsText(b: DocumentBlock, path: string, run: _Run): Promise<TextBlock> {
  if (b.source.type !== "base64") throw new Error("unreachable: not a base64 PDF");
  let text: string;
  try {
    text = await run.cache.text(b.source.data, { title: b.title ?? undefined, maxChars: run.maxChars });
  } catch (err) {
    if (err instanceof PdfTimeoutError) {
      // Not the client's fault, and not a reason to fail the turn: the model is told what is missing.
      run.warn(`document: ${err.message}; a note was sent instead`);
      const title = b.title ? ` "${b.title.replaceAll('"', "'")}"` : "";
      return {
        type: "text",
        text: `[PDF${title}: ${err.message}, so its content could not be given to this model]`,
      };
    }
    if (!(err instanceof PdfReadError || err instanceof InvalidBase64Error)) throw err;
    throw new RelayError("invalid_request_error", `${path}.source.data: ${err.message}`, {
      shouldRetry: false,
    });
  }
  run.warn("document: this model takes no PDFs; the PDF's text was sent instead");
  const block: TextBlock = { type: "text", text };
  if (b.cache_control) block.cache_control = b.cache_control;
  return block;
}

function _isMedia(b: { type: string }): b is Media {
  return b.type === "image" || b.type === "document";
}

/** An image or document as the model takes it (only called when {@linkcode _blockNeeds} said so). */
async function _adaptMedia(
  b: Media,
  path: string,
  caps: Caps,
  run: _Run,
): Promise<TextBlock | DocumentBlock> {
  if (b.type === "image") return _imageNote(b, run);
  if (!caps.pdf && _isPdf(b)) return await _pdfAsText(b, path, run);
  // A content document holding images, for a model without vision.
  const source = b.source;
  if (source.type !== "content" || typeof source.content === "string") return b;
  const content = source.content.map((c) => c.type === "image" ? _imageNote(c, run) : c);
  return { ...b, source: { type: "content", content } };
}

async function _adaptToolResult(
  b: ToolResultBlock,
  path: string,
  caps: Caps,
  run: _Run,
): Promise<ToolResultBlock> {
  if (!Array.isArray(b.content) || !b.content.some((c) => _blockNeeds(c, caps))) return b;
  const content: ToolResultContent[] = [];
  for (const [k, c] of b.content.entries()) {
    content.push(
      _isMedia(c) && _blockNeeds(c, caps) ? await _adaptMedia(c, `${path}.content.${k}`, caps, run) : c,
    );
  }
  return { ...b, content };
}

async function _adaptContent(
  blocks: ContentBlock[],
  path: string,
  caps: MediaCaps,
  run: _Run,
): Promise<ContentBlock[]> {
  const inResults = caps.toolResults ?? caps;
  const out: ContentBlock[] = [];
  let changed = false;
  for (const [j, b] of blocks.entries()) {
    const at = `${path}.${j}`;
    let next: ContentBlock = b;
    if (b.type === "tool_result") next = await _adaptToolResult(b, at, inResults, run);
    else if (_isMedia(b) && _blockNeeds(b, caps)) next = await _adaptMedia(b, at, caps, run);
    changed ||= next !== b;
    out.push(next);
  }
  return changed ? out : blocks;
}

/**
 * The request with every PDF the model cannot take replaced by its text, and every image it cannot see
 * by {@linkcode IMAGE_NOTE}. Returns the request itself when nothing needs changing; otherwise a copy
 * that shares every unchanged message. A PDF that cannot be read is a 400 naming its block
 * (`messages.N.content.M.content.K.source.data`).
 *
 * @example
 * ```ts
 * import type { MessagesRequest } from "../anthropic/types.ts";
 *
 * const request: MessagesRequest = {
 *   model: "deepseek-chat",
 *   max_tokens: 100,
 *   messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url: "https://x/y.png" } }] }],
 * };
 * const adapted = await adaptMedia(request, { images: false, pdf: false }, console.warn);
 * console.log(adapted.messages[0]?.content); // [{ type: "text", text: "[image omitted: this model takes no images]" }]
 * ```
 * @throws {RelayError} `400 invalid_request_error` for a PDF that is not valid base64 or not a readable PDF.
 */
export async function adaptMedia(
  request: MessagesRequest,
  caps: MediaCaps,
  warn: (message: string) => void,
  options: AdaptMediaOptions = {},
): Promise<MessagesRequest> {
  if (!needsMediaAdapt(request, caps)) return request;
  const run: _Run = {
    warn,
    maxChars: options.pdfTextMaxChars ?? DEFAULT_LIMITS.pdfTextMaxChars,
    cache: options.cache ?? SHARED_CACHE,
  };
  const messages = [];
  for (const [i, m] of request.messages.entries()) {
    const content = await _adaptContent(m.content, `messages.${i}.content`, caps, run);
    messages.push(content === m.content ? m : { ...m, content });
  }
  return { ...request, messages };
}
