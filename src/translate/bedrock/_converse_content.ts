/**
 * The Converse forms of the content blocks that carry media or results: images, documents, search results
 * and tool results. URL and file-id sources are rejected with a 400 naming `messages.N.content.M`: Bedrock
 * takes only inline bytes, and a translator does no I/O. Where the model takes no images or documents, a
 * note (or the document's text) stands in their place.
 *
 * @module
 */
import type {
  DocumentBlock,
  ImageSource,
  SearchResultBlock,
  TextBlock,
  ToolResultBlock,
} from "../../anthropic/types.ts";
import { base64ToBytes } from "../_encoding.ts";
import { foreignBlockText } from "../foreign_blocks.ts";
import { safeIdentifier } from "../tool_names.ts";
import type { BedrockModelInfo } from "./bedrock_models.ts";
import type {
  ConverseContentBlock,
  ConverseDocument,
  ConverseImage,
  ConverseImageFormat,
  ConverseSearchResult,
  ConverseToolResultContent,
} from "./converse_types.ts";
import { type Builder, EMPTY } from "./_converse_builder.ts";
import { invalidRequest } from "./_request_rules.ts";

/** A block that may stand both in a message and in a tool result. */
type MediaBlock = ConverseContentBlock & ConverseToolResultContent;

const IMAGE_FORMATS: Record<string, ConverseImageFormat> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

const DOCUMENT_FORMATS: Record<string, ConverseDocument["format"]> = {
  "application/pdf": "pdf",
  "text/plain": "txt",
  "text/csv": "csv",
  "text/html": "html",
  "text/markdown": "md",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
};

const encoder = new TextEncoder();
const NO_IMAGES: readonly MediaBlock[] = [];

function decode(data: string, path: string): Uint8Array {
  try {
    return base64ToBytes(data);
  } catch {
    throw invalidRequest(`${path}.source.data: Invalid base64 data`);
  }
}

function image(source: ImageSource, path: string): ConverseImage {
  switch (source.type) {
    case "base64": {
      const format = IMAGE_FORMATS[source.media_type.toLowerCase()];
      if (!format) {
        throw invalidRequest(
          `${path}.source.media_type: Image type "${source.media_type}" is not supported on Bedrock`,
        );
      }
      return { format, source: { bytes: decode(source.data, path) } };
    }
    case "url":
      throw invalidRequest(`${path}: URL images are not supported on Bedrock; send the image as base64`);
    case "file":
      throw invalidRequest(
        `${path}: File references (file_id) are not supported on Bedrock; send the image as base64`,
      );
    default: {
      const never: never = source;
      throw invalidRequest(`${path}: Unknown image source ${JSON.stringify(never)}`);
    }
  }
}

/** An image, or a note where Bedrock or the model takes none (only user turns carry images). */
export function mediaOrNote(
  source: ImageSource,
  path: string,
  role: "user" | "assistant",
  out: Builder,
): MediaBlock[] {
  const converted = image(source, path);
  if (role !== "user") {
    out.warn("image: Bedrock takes images only in user turns; replaced by a note");
    return [{ text: "[image omitted]" }];
  }
  if (!out.info.supportsImages) {
    out.warn("image: this Bedrock model takes no images; replaced by a note");
    return [{ text: "[image omitted: not supported by this model]" }];
  }
  return [{ image: converted }];
}

/** A document's bytes, its text where it has one, and the images a content document holds. */
interface DocumentParts {
  format: ConverseDocument["format"];
  bytes: Uint8Array;
  text?: string;
  images: readonly MediaBlock[];
}

function documentParts(
  b: DocumentBlock,
  path: string,
  role: "user" | "assistant",
  out: Builder,
): DocumentParts {
  const src = b.source;
  switch (src.type) {
    case "base64": {
      const format = DOCUMENT_FORMATS[src.media_type.toLowerCase()];
      if (!format) {
        throw invalidRequest(
          `${path}.source.media_type: Document type "${src.media_type}" is not supported on Bedrock`,
        );
      }
      return { format, bytes: decode(src.data, path), images: NO_IMAGES };
    }
    case "text":
      return { format: "txt", bytes: encoder.encode(src.data), text: src.data, images: NO_IMAGES };
    case "content": {
      const parts = typeof src.content === "string"
        ? [{ type: "text" as const, text: src.content }]
        : src.content;
      const text = parts.flatMap((p) => p.type === "text" ? [p.text] : []).join("\n");
      const images: MediaBlock[] = [];
      parts.forEach((p, k) => {
        if (p.type === "image") {
          images.push(...mediaOrNote(p.source, `${path}.source.content.${k}`, role, out));
        }
      });
      return { format: "txt", bytes: encoder.encode(text), text, images };
    }
    case "url":
      throw invalidRequest(
        `${path}: URL documents are not supported on Bedrock; send the document as base64`,
      );
    case "file":
      throw invalidRequest(
        `${path}: File references (file_id) are not supported on Bedrock; send the document inline`,
      );
    default: {
      const never: never = src;
      throw invalidRequest(`${path}: Unknown document source ${JSON.stringify(never)}`);
    }
  }
}

/** A document as Converse blocks: the document itself, or text where the model takes no documents. */
export function document(
  b: DocumentBlock,
  path: string,
  where: { role: "user" | "assistant"; allowed: boolean },
  out: Builder,
): MediaBlock[] {
  const { role } = where;
  const { format, bytes, text, images } = documentParts(b, path, role, out);
  if (where.allowed && out.info.supportsDocuments && role === "user") {
    const doc: ConverseDocument = { format, name: out.documentName(b.title), source: { bytes } };
    if (b.context) doc.context = b.context;
    return [{ document: doc }, ...images];
  }
  if (text !== undefined) {
    const title = b.title ? ` title="${b.title}"` : "";
    return [{ text: `<document${title}>\n${text}\n</document>` }, ...images];
  }
  out.warn("document: this Bedrock model takes no documents here; replaced by a note");
  const label = b.title ? ` "${b.title}"` : "";
  return [{ text: `[document${label} (${format}) omitted: not supported by this model]` }];
}

function textOf(blocks: readonly TextBlock[]): string {
  return blocks.map((b) => b.text).join("\n");
}

function searchResult(b: SearchResultBlock): ConverseSearchResult {
  const content = b.content.filter((t) => t.text.trim() !== "").map((t) => ({ text: t.text }));
  return { source: b.source, title: b.title, content: content.length ? content : [{ text: EMPTY }] };
}

/** A search result as such where the model takes them, else as tagged text. */
export function searchResultBlock(b: SearchResultBlock, info: BedrockModelInfo): MediaBlock {
  if (info.supportsSearchResults) return { searchResult: searchResult(b) };
  return {
    text: `<search_result source="${b.source}" title="${b.title}">\n${textOf(b.content)}\n</search_result>`,
  };
}

/** The content of a tool result; `(empty)` when it has none. */
function resultContent(b: ToolResultBlock, path: string, out: Builder): ConverseToolResultContent[] {
  const { info } = out;
  const content: ConverseToolResultContent[] = [];
  if (typeof b.content === "string") {
    if (b.content.trim() !== "") content.push({ text: b.content });
  } else {
    (b.content ?? []).forEach((item, k) => {
      const at = `${path}.content.${k}`;
      switch (item.type) {
        case "text":
          if (item.text.trim() !== "") content.push({ text: item.text });
          break;
        case "image":
          if (info.supportsToolResultImages) content.push({ image: image(item.source, at) });
          else {
            image(item.source, at);
            out.warn("tool_result: this Bedrock model takes no images in tool results; replaced by a note");
            content.push({ text: "[image omitted: not supported by this model]" });
          }
          break;
        case "document":
          // Only Claude is known to read documents inside tool results; others get the text.
          content.push(...document(item, at, { role: "user", allowed: info.family === "claude" }, out));
          break;
        case "search_result":
          content.push(searchResultBlock(item, info));
          break;
        case "tool_reference":
          // Deferred tools are always sent in full to Bedrock, so a reference only needs to read as text.
          content.push({ text: `Tool ${item.tool_name} is now available` });
          break;
        case "unknown": {
          const text = foreignBlockText(item, out.warn);
          if (text && text.text.trim() !== "") content.push({ text: text.text });
          break;
        }
        default: {
          const never: never = item;
          throw invalidRequest(`${at}: Unknown tool_result content ${JSON.stringify(never)}`);
        }
      }
    });
  }
  if (content.length === 0) content.push({ text: EMPTY });
  return content;
}

/** A tool result; an error is flagged by status where the model honours it, else by a leading "Error:". */
export function toolResult(b: ToolResultBlock, path: string, out: Builder): ConverseContentBlock {
  const content = resultContent(b, path, out);
  const result: { toolUseId: string; content: ConverseToolResultContent[]; status?: "error" } = {
    toolUseId: safeIdentifier(b.tool_use_id),
    content,
  };
  if (b.is_error) {
    if (out.info.supportsToolResultStatus) result.status = "error";
    else content.unshift({ text: "Error:" });
  }
  return { toolResult: result };
}
