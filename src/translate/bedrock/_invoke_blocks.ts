/**
 * The blocks of a native Invoke body: Anthropic's own, copied with only the fields Bedrock's Claude takes,
 * cache breakpoints normalised and counted, URL and file-id sources rejected (Bedrock takes inline data
 * only), relayx-signed thinking and server-tool blocks dropped, and tool ids another upstream made that
 * break Bedrock's rule (`[a-zA-Z0-9_-]{1,64}`, e.g. Kimi's `functions.Bash:0`) aliased the same way in
 * `tool_use` and `tool_result`.
 *
 * @module
 */
import type {
  CacheControl,
  ContentBlock,
  ImageSource,
  TextBlock,
  ToolResultContent,
} from "../../anthropic/types.ts";
import { warnOnce } from "../_warn.ts";
import { foreignBlockText, isForeignBlock } from "../foreign_blocks.ts";
import { isServerToolBlock } from "../prepare.ts";
import { isRelaySignature } from "../signature.ts";
import { safeIdentifier } from "../tool_names.ts";
import type { BedrockModelInfo } from "./bedrock_models.ts";
import { excessBreakpoints, invalidRequest } from "./_request_rules.ts";

/** A JSON object of the body. */
export type Json = Record<string, unknown>;

/** The state of one Invoke translation. */
export class Body {
  /** The model's capabilities. */
  readonly info: BedrockModelInfo;
  /** Records a dropped or changed field, once per message. */
  readonly warn: (message: string) => void;
  /** Blocks carrying cache_control, with their place in Anthropic's prefix order (tools, system, messages). */
  readonly breakpoints: { block: Json; section: number }[] = [];
  /** The section blocks are being built for: 0 tools, 1 system, 2 messages. */
  section = 2;
  /** Whether the messages hold tool calls or tool results. */
  hasToolBlocks = false;

  /** A translation for a model with `info`, passing each distinct warning to `warn` once. */
  constructor(info: BedrockModelInfo, warn: (message: string) => void) {
    this.info = info;
    this.warn = warnOnce(warn);
  }

  /** Copies a block with its cache_control normalised (1h TTL only where the model takes it). */
  cached(block: Json, cc: CacheControl | null | undefined): Json {
    if (!cc) return block;
    const copy = {
      ...block,
      cache_control: cc.ttl === "1h" && this.info.supportsCacheTtl ? cc : { type: "ephemeral" },
    };
    this.breakpoints.push({ block: copy, section: this.section });
    return copy;
  }

  /** Anthropic takes at most 4 breakpoints; the earliest go, as on the Converse path. */
  trimBreakpoints(): void {
    const extra = excessBreakpoints(this.breakpoints.length, this.warn);
    if (extra === 0) return;
    const ordered = this.breakpoints.map((b, i) => ({ ...b, i })).sort((a, b) =>
      a.section - b.section || a.i - b.i
    );
    // These are relayx's own copies of the request's blocks, so removing the key mutates no input.
    for (const { block } of ordered.slice(0, extra)) delete block.cache_control;
  }
}

function checkSource(source: ImageSource | { type: string }, path: string, what: string): void {
  if (source.type === "url") {
    throw invalidRequest(`${path}: URL ${what}s are not supported on Bedrock; send the ${what} inline`);
  }
  if (source.type === "file") {
    throw invalidRequest(
      `${path}: File references (file_id) are not supported on Bedrock; send the ${what} inline`,
    );
  }
}

/** A text block; none for blank text, which Anthropic rejects. */
export function text(t: TextBlock, body: Body): Json | undefined {
  // Anthropic rejects empty and whitespace-only text blocks.
  if (t.text.trim() === "") return undefined;
  return body.cached({ type: "text", text: t.text }, t.cache_control);
}

function resultContent(items: readonly ToolResultContent[], path: string, body: Body): Json[] {
  const out: Json[] = [];
  items.forEach((item, k) => {
    const at = `${path}.content.${k}`;
    switch (item.type) {
      case "text": {
        const t = text(item, body);
        if (t) out.push(t);
        break;
      }
      case "image":
        checkSource(item.source, at, "image");
        out.push(body.cached({ type: "image", source: item.source }, item.cache_control));
        break;
      case "document": {
        checkSource(item.source, at, "document");
        const { cache_control, ...doc } = item;
        out.push(body.cached({ ...doc }, cache_control));
        break;
      }
      case "search_result": {
        const { cache_control, ...result } = item;
        out.push(body.cached({ ...result }, cache_control));
        break;
      }
      case "tool_reference":
        // Deferred tools are sent in full (defer_loading is stripped), so the reference reads as text.
        out.push({ type: "text", text: `Tool ${item.tool_name} is now available` });
        break;
      case "unknown": {
        const t = foreignBlockText(item, body.warn);
        const converted = t && text(t, body);
        if (converted) out.push(converted);
        break;
      }
      default: {
        const never: never = item;
        throw invalidRequest(`${at}: Unknown tool_result content ${JSON.stringify(never)}`);
      }
    }
  });
  return out;
}

/** One message block in Anthropic's own form, as Bedrock's Claude takes it; none where it is dropped. */
export function block(b: ContentBlock, path: string, body: Body): Json | undefined {
  if (isServerToolBlock(b)) {
    body.warn(`${b.type}: server tool blocks cannot run on Bedrock; dropped`);
    return undefined;
  }
  if (isForeignBlock(b)) {
    // Bedrock's Claude takes none of these betas (compaction, MCP, tool changes): the same text as on
    // every other path.
    const t = foreignBlockText(b, body.warn);
    return t && text(t, body);
  }
  switch (b.type) {
    case "text":
      return text(b, body);
    case "image":
      checkSource(b.source, path, "image");
      return body.cached({ type: "image", source: b.source }, b.cache_control);
    case "document": {
      checkSource(b.source, path, "document");
      const { cache_control, ...doc } = b;
      return body.cached({ ...doc }, cache_control);
    }
    case "search_result": {
      const { cache_control, ...result } = b;
      return body.cached({ ...result }, cache_control);
    }
    case "tool_use":
      return body.cached(
        { type: "tool_use", id: safeIdentifier(b.id), name: b.name, input: b.input ?? {} },
        b.cache_control,
      );
    case "tool_result": {
      const out: Json = { type: "tool_result", tool_use_id: safeIdentifier(b.tool_use_id) };
      // Blank content is left out (the field is optional) rather than risk a blank-text rejection.
      if (typeof b.content === "string") {
        if (b.content.trim() !== "") out.content = b.content;
      } else if (b.content) {
        const content = resultContent(b.content, path, body);
        if (content.length) out.content = content;
      }
      if (b.is_error) out.is_error = true;
      return body.cached(out, b.cache_control);
    }
    case "thinking":
      // Never send a relayx signature (or none) as if Anthropic had signed it.
      if (b.signature === "" || isRelaySignature(b.signature)) return undefined;
      return { type: "thinking", thinking: b.thinking, signature: b.signature };
    case "redacted_thinking":
      return { type: "redacted_thinking", data: b.data };
    default: {
      const never: never = b;
      throw invalidRequest(`${path}: Unknown block ${JSON.stringify(never)}`);
    }
  }
}
