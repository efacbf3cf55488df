/**
 * Anthropic content blocks -> OpenAI content parts: text, images, documents, search results and the
 * content of tool results, as far as the provider takes each (its {@linkcode ProviderProfile} flags).
 *
 * @module
 */
import type {
  ContentBlock,
  DocumentBlock,
  ImageSource,
  TextBlock,
  ToolResultBlock,
} from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import { foreignBlockText, isForeignBlock } from "../foreign_blocks.ts";
import { isServerToolBlock, toolReferenceText } from "../prepare.ts";
import type { OpenAICacheControl, OpenAIContentPart, OpenAITextPart } from "./openai_types.ts";
import type { ProviderProfile } from "./providers.ts";

/** What translating a request's content needs. */
export interface PartContext {
  /** The provider's quirks. */
  readonly provider: ProviderProfile;
  /** Records something dropped or changed (each distinct message once). */
  readonly warn: (message: string) => void;
}

/** Double quotes would end an attribute value. */
function quote(value: string): string {
  return value.replaceAll('"', "'");
}

/** The block's `cache_control` as OpenRouter takes it, when the provider passes it on (`keep`). */
export function cacheOf(block: { cache_control?: unknown }, keep: boolean): OpenAICacheControl | undefined {
  if (!keep) return undefined;
  const cc = block.cache_control;
  if (typeof cc !== "object" || cc === null) return undefined;
  const ttl = (cc as { ttl?: unknown }).ttl;
  return ttl === "5m" || ttl === "1h" ? { type: "ephemeral", ttl } : { type: "ephemeral" };
}

/** A text part, with its cache marker if any. */
export function textPart(text: string, cache: OpenAICacheControl | undefined): OpenAITextPart {
  return cache ? { type: "text", text, cache_control: cache } : { type: "text", text };
}

/** Parts -> a plain string where nothing needs the array form (local servers handle strings best). */
export function collapse<P extends OpenAIContentPart>(parts: P[]): string | P[] {
  if (parts.every((p) => p.type === "text" && p.cache_control === undefined)) {
    return parts.map((p) => (p as OpenAITextPart).text).join("\n\n");
  }
  return parts;
}

/** An image as an image part, or a note where the provider takes no images. */
export function imagePart(source: ImageSource, path: string, ctx: PartContext): OpenAIContentPart {
  if (!ctx.provider.images) {
    ctx.warn(`messages: images are not supported by ${ctx.provider.name} and became "[image omitted]"`);
    return { type: "text", text: "[image omitted]" };
  }
  switch (source.type) {
    case "base64":
      return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` } };
    case "url":
      return { type: "image_url", image_url: { url: source.url } };
    case "file":
      throw new RelayError(
        "invalid_request_error",
        `${path}: file sources (Files API) are not supported by the ${ctx.provider.name} backend`,
        { shouldRetry: false },
      );
    default: {
      const never: never = source;
      throw new Error(`Unknown image source: ${JSON.stringify(never)}`);
    }
  }
}

/** A document as parts: text inside `<document>` tags, or a PDF file part where the provider takes one. */
export function documentParts(block: DocumentBlock, path: string, ctx: PartContext): OpenAIContentPart[] {
  const source = block.source;
  const attrs = `${block.title ? ` title="${quote(block.title)}"` : ""}${
    block.context ? ` context="${quote(block.context)}"` : ""
  }`;
  const wrap = (text: string): OpenAITextPart => ({
    type: "text",
    text: `<document${attrs}>\n${text}\n</document>`,
  });
  const unsupported = (what: string): RelayError =>
    new RelayError(
      "invalid_request_error",
      `${path}: ${what} are not supported by the ${ctx.provider.name} backend`,
      {
        shouldRetry: false,
      },
    );
  switch (source.type) {
    case "base64":
      if (source.media_type !== "application/pdf") throw unsupported(`${source.media_type} documents`);
      if (!ctx.provider.pdfFiles) throw unsupported("PDF documents");
      return [{
        type: "file",
        file: {
          filename: `${(block.title ?? "document").replace(/[^\w .()-]/g, "_")}.pdf`,
          file_data: `data:application/pdf;base64,${source.data}`,
        },
      }];
    case "text":
      return [wrap(source.data)];
    case "content": {
      if (typeof source.content === "string") return [wrap(source.content)];
      const texts: string[] = [];
      const images: OpenAIContentPart[] = [];
      source.content.forEach((b, k) => {
        if (b.type === "text") texts.push(b.text);
        else images.push(imagePart(b.source, `${path}.source.content.${k}`, ctx));
      });
      return [wrap(texts.join("\n\n")), ...images];
    }
    case "url":
      throw unsupported("URL documents");
    case "file":
      throw unsupported("file sources (Files API)");
    default: {
      const never: never = source;
      throw new Error(`Unknown document source: ${JSON.stringify(never)}`);
    }
  }
}

/** A user-side block as content parts (tool results are handled by the caller). */
export function userParts(block: ContentBlock, path: string, ctx: PartContext): OpenAIContentPart[] {
  if (isServerToolBlock(block)) {
    ctx.warn("messages: server-tool blocks were dropped");
    return [];
  }
  if (isForeignBlock(block)) {
    const text = foreignBlockText(block, ctx.warn);
    return text ? userParts(text, path, ctx) : [];
  }
  switch (block.type) {
    case "text":
      return block.text === "" ? [] : [textPart(block.text, cacheOf(block, ctx.provider.cacheControl))];
    case "image":
      return [imagePart(block.source, path, ctx)];
    case "document":
      return documentParts(block, path, ctx);
    case "search_result":
      return [{
        type: "text",
        text: `<search_result source="${quote(block.source)}" title="${quote(block.title)}">\n${
          block.content.map((t) => t.text).join("\n\n")
        }\n</search_result>`,
      }];
    case "tool_result":
    case "tool_use":
    case "thinking":
    case "redacted_thinking":
      // Misplaced in a user turn (tool results are taken out before): nothing an upstream could use.
      return [];
    default: {
      const never: never = block;
      throw new Error(`Unknown block: ${JSON.stringify(never)}`);
    }
  }
}

/** A tool_result as the text of a `tool` message, plus what a tool message cannot hold. */
export function toolResultContent(
  block: ToolResultBlock,
  path: string,
  ctx: PartContext,
): { content: string | OpenAITextPart[]; attachments: OpenAIContentPart[] } {
  const texts: string[] = [];
  const attachments: OpenAIContentPart[] = [];
  let cache = cacheOf(block, ctx.provider.cacheControl);
  if (typeof block.content === "string") texts.push(block.content);
  else {
    (block.content ?? []).forEach((item, k) => {
      const at = `${path}.content.${k}`;
      cache ??= "cache_control" in item ? cacheOf(item, ctx.provider.cacheControl) : undefined;
      switch (item.type) {
        case "text":
          texts.push(item.text);
          break;
        case "image": {
          // Tool messages are text only: images travel in a user message right after the results.
          const part = imagePart(item.source, at, ctx);
          if (part.type === "text") texts.push(part.text);
          else attachments.push(part);
          break;
        }
        case "document":
          for (const part of documentParts(item, at, ctx)) {
            if (part.type === "text") texts.push(part.text);
            else attachments.push(part);
          }
          break;
        case "search_result":
          for (const part of userParts(item, at, ctx)) if (part.type === "text") texts.push(part.text);
          break;
        case "tool_reference":
          texts.push(toolReferenceText(item.tool_name));
          break;
        case "unknown": {
          const text = foreignBlockText(item, ctx.warn);
          if (text) texts.push(text.text);
          break;
        }
        default: {
          const never: never = item;
          throw new Error(`Unknown tool result content: ${JSON.stringify(never)}`);
        }
      }
    });
  }
  if (attachments.length > 0) texts.push("[Attachments from this result follow in the next user message]");
  let text = texts.join("\n");
  if (block.is_error) text = `Error: ${text}`;
  return { content: cache ? [textPart(text, cache)] : text, attachments };
}

/** A system message's text; a tool change it carries (Claude Code's mid-conversation tool changes) reads as text. */
export function systemBlocks(content: readonly ContentBlock[], ctx: PartContext): TextBlock[] {
  const texts: TextBlock[] = [];
  for (const b of content) {
    const t = b.type === "text" ? b : isForeignBlock(b) ? foreignBlockText(b, ctx.warn) : undefined;
    if (t) texts.push(t);
  }
  return texts;
}
