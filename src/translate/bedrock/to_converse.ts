/**
 * Anthropic Messages request -> Bedrock Converse / ConverseStream input.
 *
 * Choices this translation makes (beyond protocol.md 6.3, 9.1, 9.2):
 * - `role: "system"` messages become `<system-reminder>` user text in place (as Claude Code does for models
 *   without them), which keeps the cache prefix stable; Claude Code's per-request billing-header system
 *   block is dropped for the same reason.
 * - Consecutive same-role turns are merged; a conversation that starts with the assistant gets a leading
 *   user turn `"(continue)"`; blank text is skipped and an empty turn gets `"(empty)"`.
 * - URL and file-id images/documents are rejected with a 400 naming `messages.N.content.M`: Bedrock takes
 *   only inline bytes, and a translator does no I/O.
 * - Cache points: one after each block with `cache_control` (tools, then system, then messages: Anthropic's
 *   prefix order) and one after the last message block for a top-level `cache_control`. Beyond 4, the
 *   earliest are dropped: the last breakpoints cover the longest prefix, which is what a long conversation
 *   re-reads every turn.
 * - Thinking blocks travel only with a real (Bedrock/Anthropic) signature and only to Claude; relayx-tagged
 *   or empty signatures are dropped, never invented.
 * - `tool_choice: none` omits the tools, unless the history holds tool blocks (Bedrock then requires a
 *   `toolConfig`): the tools are kept with the default choice, with a warning. A history with tool blocks
 *   but no tools gets stub definitions named after the history's tool calls.
 *
 * @module
 */
import type {
  CacheControl,
  ContentBlock,
  DocumentBlock,
  ImageSource,
  MessagesRequest,
  SearchResultBlock,
  TextBlock,
  ToolChoice,
  ToolResultBlock,
} from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import { base64ToBytes } from "../_encoding.ts";
import { type BedrockModelInfo, bedrockModelInfo, resolveInference } from "./bedrock_models.ts";
import type {
  CachePoint,
  ConverseContentBlock,
  ConverseDocument,
  ConverseImage,
  ConverseImageFormat,
  ConverseInput,
  ConverseMessage,
  ConverseSystemBlock,
  ConverseTool,
  ConverseToolChoice,
  ConverseToolResultContent,
  JsonObject,
  JsonValue,
} from "./converse_types.ts";
import { isServerToolBlock } from "../prepare.ts";
import { warnOnce } from "../_warn.ts";
import { isRelaySignature } from "../signature.ts";
import { safeIdentifier } from "../tool_names.ts";
import { planTools, STUB_DESCRIPTION, type ToolPlan } from "./tool_policy.ts";

// Kept importable from here, where it lived before the tool policy had its own module.
export { requestToolNames } from "./tool_policy.ts";

/** Options for {@linkcode toConverseRequest}. */
export interface ToConverseOptions {
  /** The Bedrock model id, inference-profile id or ARN. */
  modelId: string;
  /** Overrides the model's output cap. */
  maxOutputTokens?: number;
  /** Records a dropped or changed field. */
  warn(message: string): void;
}

const MAX_CACHE_POINTS = 4;
const EMPTY = "(empty)";
const encoder = new TextEncoder();

interface CacheSlot {
  list: unknown[];
  item: unknown;
}

class Builder {
  readonly info: BedrockModelInfo;
  /** Records a dropped or changed field, once per message. */
  readonly warn: (message: string) => void;
  readonly cacheSlots: CacheSlot[] = [];
  readonly #docNames = new Set<string>();
  #docCount = 0;

  constructor(info: BedrockModelInfo, warn: (message: string) => void) {
    this.info = info;
    this.warn = warnOnce(warn);
  }

  /** Appends a cache point to `list` when the block asked for one and the model takes them. */
  cache(list: unknown[], cc: CacheControl | null | undefined): void {
    if (!cc || !this.info.supportsCachePoints) return;
    const point: CachePoint = cc.ttl === "1h" && this.info.supportsCacheTtl
      ? { type: "default", ttl: "1h" }
      : { type: "default" };
    const item = { cachePoint: point };
    list.push(item);
    this.cacheSlots.push({ list, item });
  }

  documentName(title: string | null | undefined): string {
    this.#docCount++;
    // Bedrock allows only alphanumerics, single spaces, hyphens, parentheses and square brackets.
    const clean = (title ?? "").replace(/[^a-zA-Z0-9\-()[\] ]+/g, " ").replace(/ {2,}/g, " ").trim().slice(
      0,
      100,
    );
    const base = clean === "" ? `document-${this.#docCount}` : clean;
    let name = base;
    for (let n = 2; this.#docNames.has(name); n++) name = `${base} (${n})`;
    this.#docNames.add(name);
    return name;
  }
}

function invalid(message: string): RelayError {
  return new RelayError("invalid_request_error", message, { shouldRetry: false });
}

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

function decode(data: string, path: string): Uint8Array {
  try {
    return base64ToBytes(data);
  } catch {
    throw invalid(`${path}.source.data: Invalid base64 data`);
  }
}

function image(source: ImageSource, path: string): ConverseImage {
  switch (source.type) {
    case "base64": {
      const format = IMAGE_FORMATS[source.media_type.toLowerCase()];
      if (!format) {
        throw invalid(
          `${path}.source.media_type: Image type "${source.media_type}" is not supported on Bedrock`,
        );
      }
      return { format, source: { bytes: decode(source.data, path) } };
    }
    case "url":
      throw invalid(`${path}: URL images are not supported on Bedrock; send the image as base64`);
    case "file":
      throw invalid(
        `${path}: File references (file_id) are not supported on Bedrock; send the image as base64`,
      );
    default: {
      const never: never = source;
      throw invalid(`${path}: Unknown image source ${JSON.stringify(never)}`);
    }
  }
}

function textOf(blocks: readonly TextBlock[]): string {
  return blocks.map((b) => b.text).join("\n");
}

function searchResultText(b: SearchResultBlock): string {
  return `<search_result source="${b.source}" title="${b.title}">\n${textOf(b.content)}\n</search_result>`;
}

/** A document as Converse blocks: the document itself, or text where the model takes no documents. */
function document(
  b: DocumentBlock,
  path: string,
  where: { role: "user" | "assistant"; allowed: boolean },
  out: Builder,
): (ConverseContentBlock & ConverseToolResultContent)[] {
  const { role } = where;
  const src = b.source;
  const label = b.title ? ` "${b.title}"` : "";
  let bytes: Uint8Array;
  let format: ConverseDocument["format"];
  let text: string | undefined;
  const images: (ConverseContentBlock & ConverseToolResultContent)[] = [];
  switch (src.type) {
    case "base64": {
      const f = DOCUMENT_FORMATS[src.media_type.toLowerCase()];
      if (!f) {
        throw invalid(
          `${path}.source.media_type: Document type "${src.media_type}" is not supported on Bedrock`,
        );
      }
      format = f;
      bytes = decode(src.data, path);
      break;
    }
    case "text":
      format = "txt";
      text = src.data;
      bytes = encoder.encode(text);
      break;
    case "content": {
      const parts = typeof src.content === "string"
        ? [{ type: "text" as const, text: src.content }]
        : src.content;
      text = parts.flatMap((p) => p.type === "text" ? [p.text] : []).join("\n");
      parts.forEach((p, k) => {
        if (p.type === "image") {
          images.push(...mediaOrNote(p.source, `${path}.source.content.${k}`, role, out));
        }
      });
      format = "txt";
      bytes = encoder.encode(text);
      break;
    }
    case "url":
      throw invalid(`${path}: URL documents are not supported on Bedrock; send the document as base64`);
    case "file":
      throw invalid(
        `${path}: File references (file_id) are not supported on Bedrock; send the document inline`,
      );
    default: {
      const never: never = src;
      throw invalid(`${path}: Unknown document source ${JSON.stringify(never)}`);
    }
  }
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
  return [{ text: `[document${label} (${format}) omitted: not supported by this model]` }];
}

function mediaOrNote(
  source: ImageSource,
  path: string,
  role: "user" | "assistant",
  out: Builder,
): (ConverseContentBlock & ConverseToolResultContent)[] {
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

function toolResult(b: ToolResultBlock, path: string, out: Builder): ConverseContentBlock {
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
          content.push(
            info.supportsSearchResults
              ? { searchResult: searchResult(item) }
              : { text: searchResultText(item) },
          );
          break;
        case "tool_reference":
          // Deferred tools are always sent in full to Bedrock, so a reference only needs to read as text.
          content.push({ text: `Tool ${item.tool_name} is now available` });
          break;
        default: {
          const never: never = item;
          throw invalid(`${at}: Unknown tool_result content ${JSON.stringify(never)}`);
        }
      }
    });
  }
  if (content.length === 0) content.push({ text: EMPTY });
  const result: { toolUseId: string; content: ConverseToolResultContent[]; status?: "error" } = {
    toolUseId: safeIdentifier(b.tool_use_id),
    content,
  };
  if (b.is_error) {
    if (info.supportsToolResultStatus) result.status = "error";
    else content.unshift({ text: "Error:" });
  }
  return { toolResult: result };
}

function searchResult(b: SearchResultBlock): { source: string; title: string; content: { text: string }[] } {
  const content = b.content.filter((t) => t.text.trim() !== "").map((t) => ({ text: t.text }));
  return { source: b.source, title: b.title, content: content.length ? content : [{ text: EMPTY }] };
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function realSignature(signature: string): boolean {
  return signature !== "" && !isRelaySignature(signature);
}

/** Converts one message's blocks, appending to `content` (cache points included). */
function blocks(
  source: readonly ContentBlock[],
  role: "user" | "assistant",
  n: number,
  out: Builder,
  content: ConverseContentBlock[],
): void {
  const { info } = out;
  // Nova rejects a cache point in a turn that carries tool results.
  const noCache = info.family === "nova" && source.some((b) => b.type === "tool_result");
  const cache = (cc: CacheControl | null | undefined) => {
    if (!noCache) out.cache(content, cc);
  };
  source.forEach((b, m) => {
    const path = `messages.${n}.content.${m}`;
    if (isServerToolBlock(b)) {
      out.warn(`${b.type}: server tool blocks cannot run on Bedrock; dropped`);
      return;
    }
    switch (b.type) {
      case "text":
        if (b.text.trim() !== "") content.push({ text: b.text });
        cache(b.cache_control);
        break;
      case "image":
        content.push(...mediaOrNote(b.source, path, role, out));
        cache(b.cache_control);
        break;
      case "document":
        content.push(...document(b, path, { role, allowed: true }, out));
        cache(b.cache_control);
        break;
      case "search_result":
        content.push(
          info.supportsSearchResults ? { searchResult: searchResult(b) } : { text: searchResultText(b) },
        );
        cache(b.cache_control);
        break;
      case "tool_use": {
        if (!isJsonObject(b.input)) out.warn("tool_use.input: not a JSON object; sent as {}");
        const input: JsonValue = isJsonObject(b.input) ? b.input : {};
        content.push({ toolUse: { toolUseId: safeIdentifier(b.id), name: safeIdentifier(b.name), input } });
        cache(b.cache_control);
        break;
      }
      case "tool_result":
        content.push(toolResult(b, path, out));
        cache(b.cache_control);
        break;
      case "thinking":
        if (role === "assistant" && info.supportsReasoningHistory && realSignature(b.signature)) {
          content.push({ reasoningContent: { reasoningText: { text: b.thinking, signature: b.signature } } });
        }
        break;
      case "redacted_thinking":
        if (role === "assistant" && info.supportsReasoningHistory) {
          try {
            content.push({ reasoningContent: { redactedContent: base64ToBytes(b.data) } });
          } catch {
            out.warn("redacted_thinking: data is not base64; dropped");
          }
        }
        break;
      default: {
        const never: never = b;
        throw invalid(`${path}: Unknown block ${JSON.stringify(never)}`);
      }
    }
  });
}

/**
 * A mid-conversation system message as user text, in place. Claude Code itself sends this form to models
 * without system messages (its `<system-reminder>` blocks); keeping the position keeps the cache prefix:
 * appended to `system` instead, each new system message would change the prompt's first block and miss
 * the cache for the whole conversation, and a cache breakpoint on it would land before every message.
 */
function systemReminders(
  source: readonly ContentBlock[],
  out: { warn(message: string): void },
): ContentBlock[] {
  const texts: ContentBlock[] = [];
  for (const b of source) {
    if (b.type !== "text") out.warn(`messages: a system message held a ${b.type} block; dropped`);
    else if (b.text.trim() !== "") {
      texts.push({
        type: "text",
        text: `<system-reminder>\n${b.text}\n</system-reminder>`,
        cache_control: b.cache_control,
      });
    }
  }
  return texts;
}

/**
 * Claude Code's first system block, `x-anthropic-billing-header: cc_version=...`, changes on every request
 * and is meant for Anthropic's edge alone; sent upstream it would defeat every cache breakpoint after it.
 */
function isBillingHeader(b: TextBlock): boolean {
  return b.text.startsWith("x-anthropic-billing-header:");
}

/**
 * Claude rejects a user turn whose tool results do not come first; a merged system reminder or a second
 * user message can put text ahead of them. Cache points move with the block they follow.
 */
function toolResultsFirst(content: ConverseContentBlock[]): ConverseContentBlock[] {
  const first = content.findIndex((b) => "toolResult" in b);
  if (first < 0 || content.slice(0, first).every((b) => "cachePoint" in b)) return content;
  const units: ConverseContentBlock[][] = [];
  for (const b of content) {
    const last = units.at(-1);
    if ("cachePoint" in b && last) last.push(b);
    else units.push([b]);
  }
  const results = units.filter((u) => u[0] !== undefined && "toolResult" in u[0]);
  const rest = units.filter((u) => !(u[0] !== undefined && "toolResult" in u[0]));
  return [...results, ...rest].flat();
}

function hasContent(content: readonly ConverseContentBlock[]): boolean {
  return content.some((b) => !("cachePoint" in b));
}

function systemBlocks(req: MessagesRequest, out: Builder): ConverseSystemBlock[] {
  const system: ConverseSystemBlock[] = [];
  for (const b of req.system ?? []) {
    if (isBillingHeader(b)) continue;
    if (b.text.trim() !== "") system.push({ text: b.text });
    if (system.length > 0) out.cache(system, b.cache_control);
  }
  return system;
}

function conversation(req: MessagesRequest, out: Builder): ConverseMessage[] {
  const turns: ConverseMessage[] = [];
  req.messages.forEach((m, n) => {
    const role = m.role === "system" ? "user" : m.role;
    const content = m.role === "system" ? systemReminders(m.content, out) : m.content;
    const last = turns.at(-1);
    if (last && last.role === role) {
      blocks(content, role, n, out, last.content);
      return;
    }
    const turn: ConverseMessage = { role, content: [] };
    blocks(content, role, n, out, turn.content);
    turns.push(turn);
  });
  for (const turn of turns) {
    if (turn.role === "user") turn.content = toolResultsFirst(turn.content);
    if (!hasContent(turn.content)) turn.content.unshift({ text: EMPTY });
    // Bedrock: "a message with a document must also contain a text block".
    if (turn.content.some((b) => "document" in b) && !turn.content.some((b) => "text" in b)) {
      turn.content.push({ text: "(see the attached document)" });
    }
  }
  // Claude rejects a final assistant (prefill) turn that ends in whitespace.
  const final = turns.at(-1);
  if (final?.role === "assistant") {
    const k = final.content.findLastIndex((b) => !("cachePoint" in b));
    const b = final.content[k];
    if (b && "text" in b) {
      const trimmed = b.text.trimEnd();
      if (trimmed === "") final.content.splice(k, 1);
      else final.content[k] = { text: trimmed };
      if (!hasContent(final.content)) turns.pop();
    }
  }
  if (turns[0]?.role !== "user") turns.unshift({ role: "user", content: [{ text: "(continue)" }] });
  return turns;
}

function toolSpec(
  name: string,
  description: string | undefined,
  schema: Record<string, unknown>,
): ConverseTool {
  // Parsed from JSON, so the schema is JSON; Bedrock insists on an object schema at the root.
  const json = (schema.type === undefined ? { type: "object", ...schema } : schema) as JsonObject;
  return {
    toolSpec: {
      name: safeIdentifier(name),
      description: description?.trim() ? description : `Tool ${name}`,
      inputSchema: { json },
    },
  };
}

function converseToolChoice(choice: ToolChoice | undefined): ConverseToolChoice | undefined {
  switch (choice?.type) {
    case "any":
      return { any: {} };
    case "tool":
      return { tool: { name: safeIdentifier(choice.name) } };
    case "auto": // Converse's default
    case "none": // Converse has no none; the policy never leaves it here
    case undefined:
      return undefined;
    default: {
      const never: never = choice;
      throw new TypeError(`Unknown tool_choice ${JSON.stringify(never)}`);
    }
  }
}

/** Renders the tool policy's decision as Converse's `toolConfig`. */
function toolConfig(plan: ToolPlan, out: Builder): ConverseInput["toolConfig"] {
  let tools: ConverseTool[];
  switch (plan.kind) {
    case "omit":
      return undefined;
    case "stubs":
      tools = plan.names.map((name) => toolSpec(name, STUB_DESCRIPTION, { type: "object" }));
      break;
    case "tools":
      tools = [];
      for (const t of plan.tools) {
        tools.push(toolSpec(t.name, t.description, t.input_schema));
        out.cache(tools, t.cache_control);
      }
      break;
    default: {
      const never: never = plan;
      throw new TypeError(`Unknown tool plan ${JSON.stringify(never)}`);
    }
  }
  const toolChoice = converseToolChoice(plan.choice);
  return toolChoice ? { tools, toolChoice } : { tools };
}

function trimCachePoints(out: Builder): void {
  const extra = out.cacheSlots.length - MAX_CACHE_POINTS;
  if (extra <= 0) return;
  out.warn(`cache_control: more than ${MAX_CACHE_POINTS} breakpoints; the earliest ${extra} dropped`);
  for (const { list, item } of out.cacheSlots.slice(0, extra)) list.splice(list.indexOf(item), 1);
}

/**
 * Translates an Anthropic Messages request into the input of Bedrock's `ConverseCommand` /
 * `ConverseStreamCommand` for `opts.modelId`, adapting every field to what that model accepts.
 *
 * @throws {RelayError} 400 `invalid_request_error` for input Bedrock cannot take (URL images, bad base64,
 * `tool_choice` naming an absent tool).
 * @example
 * ```ts
 * const input = toConverseRequest(request, { modelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", warn: console.warn });
 * ```
 */
export function toConverseRequest(req: MessagesRequest, opts: ToConverseOptions): ConverseInput {
  const info = bedrockModelInfo(opts.modelId);
  const out = new Builder(info, opts.warn);
  const r = resolveInference(req, info, {
    api: "converse",
    maxOutputTokens: opts.maxOutputTokens,
    warn: (m) => out.warn(m),
  });
  const thinkingOn = r.thinking !== undefined && r.thinking.type !== "disabled";

  // Built in Anthropic's cache-prefix order (tools, system, messages) so that cacheSlots is in that order.
  const messages = conversation(req, out);
  const slotsFromMessages = out.cacheSlots.splice(0);
  const hasToolBlocks = messages.some((m) => m.content.some((b) => "toolUse" in b || "toolResult" in b));
  const plan = planTools(req, { api: "converse", info, thinkingOn, hasToolBlocks, warn: out.warn });
  const tools = toolConfig(plan, out);
  const system = systemBlocks(req, out);
  out.cacheSlots.push(...slotsFromMessages);
  if (req.cache_control) {
    const last = messages.at(-1);
    if (last && !("cachePoint" in (last.content.at(-1) ?? {}))) out.cache(last.content, req.cache_control);
  }
  trimCachePoints(out);

  const input: ConverseInput = { modelId: opts.modelId, messages: messages };
  if (system.length) input.system = system;
  const inference: NonNullable<ConverseInput["inferenceConfig"]> = { maxTokens: r.maxTokens };
  if (r.temperature !== undefined) inference.temperature = r.temperature;
  if (r.topP !== undefined) inference.topP = r.topP;
  if (req.stop_sequences?.length) {
    if (info.supportsStopSequences) {
      inference.stopSequences = req.stop_sequences;
      // Converse reports only "stop_sequence"; Claude names the matched one if asked for it.
      if (info.family === "claude") input.additionalModelResponseFieldPaths = ["/stop_sequence"];
    } else {
      out.warn("stop_sequences: not supported by this Bedrock model; dropped");
    }
  }
  input.inferenceConfig = inference;
  if (tools) input.toolConfig = tools;

  const extra: JsonObject = {};
  if (info.family === "claude") {
    if (r.topK !== undefined) extra.top_k = r.topK;
    if (r.thinking) extra.thinking = { ...r.thinking };
    if (r.effort) extra.output_config = { effort: r.effort };
    if (r.betas.length) extra.anthropic_beta = r.betas;
  } else if (info.family === "nova" && r.topK !== undefined) {
    extra.inferenceConfig = { topK: r.topK };
  }
  if (Object.keys(extra).length) input.additionalModelRequestFields = extra;

  const format = req.output_config?.format;
  if (format) {
    if (info.supportsStructuredOutput) {
      input.outputConfig = {
        textFormat: {
          type: "json_schema",
          structure: { jsonSchema: { schema: JSON.stringify(format.schema), name: "output" } },
        },
      };
    } else {
      out.warn("output_config.format: structured output is not supported by this Bedrock model; dropped");
    }
  }
  if (req.mcp_servers?.length) out.warn("mcp_servers: not supported on Bedrock; dropped");
  return input;
}
