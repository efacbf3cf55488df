/**
 * Anthropic Messages request -> the native Anthropic body Bedrock's Claude takes through InvokeModel /
 * InvokeModelWithResponseStream.
 *
 * The body is Anthropic's own format with Bedrock's limits:
 * - `anthropic_version: "bedrock-2023-05-31"`; no `model` (it is in the URL) and no `stream` (the operation
 *   decides); `anthropic_beta` only from the allowlist in bedrock_models.ts, unknown flags dropped silently.
 * - Fields Bedrock's Claude does not take are left out: `metadata`, `service_tier`, `container`,
 *   `mcp_servers` (warned), `context_management` (already dropped by the parser), tool `defer_loading` and
 *   `strict`, and server tools (warned).
 * - `role: "system"` messages become `<system-reminder>` user text in place: whether Bedrock takes
 *   Anthropic's mid-conversation system messages is unverified, this is the form Claude Code itself sends
 *   to models without them, and unlike folding them into `system` it keeps the cache prefix stable.
 *   Claude Code's per-request billing-header system block is dropped (it would defeat every breakpoint).
 * - Thinking blocks with relayx or empty signatures are dropped; `tool_reference` blocks become text (the
 *   deferred tools are sent in full); a top-level `cache_control` becomes a breakpoint on the last block.
 * - URL and file-id images/documents are rejected with a 400: Bedrock takes inline data only.
 *
 * @module
 */
import type {
  CacheControl,
  ContentBlock,
  ImageSource,
  MessagesRequest,
  TextBlock,
  ToolChoice,
  ToolResultContent,
} from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import { type BedrockModelInfo, bedrockModelInfo, resolveInference } from "./bedrock_models.ts";
import { isServerToolBlock } from "../prepare.ts";
import { warnOnce } from "../_warn.ts";
import { isRelaySignature } from "../signature.ts";
import { planTools, STUB_DESCRIPTION, type ToolPlan } from "./tool_policy.ts";

/** Options for {@linkcode toInvokeBody}. */
export interface ToInvokeOptions {
  /** The Bedrock model id, inference-profile id or ARN (a Claude model). */
  modelId: string;
  /** Overrides the model's output cap. */
  maxOutputTokens?: number;
  /** Records a dropped or changed field. */
  warn(message: string): void;
}

type Json = Record<string, unknown>;

const MAX_CACHE_POINTS = 4;

function invalid(message: string): RelayError {
  return new RelayError("invalid_request_error", message, { shouldRetry: false });
}

class Body {
  readonly info: BedrockModelInfo;
  /** Records a dropped or changed field, once per message. */
  readonly warn: (message: string) => void;
  /** Blocks carrying cache_control, with their place in Anthropic's prefix order (tools, system, messages). */
  readonly breakpoints: { block: Json; section: number }[] = [];
  /** The section blocks are being built for: 0 tools, 1 system, 2 messages. */
  section = 2;

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
    const extra = this.breakpoints.length - MAX_CACHE_POINTS;
    if (extra <= 0) return;
    this.warn(`cache_control: more than ${MAX_CACHE_POINTS} breakpoints; the earliest ${extra} dropped`);
    const ordered = this.breakpoints.map((b, i) => ({ ...b, i })).sort((a, b) =>
      a.section - b.section || a.i - b.i
    );
    // These are relayx's own copies of the request's blocks, so removing the key mutates no input.
    for (const { block } of ordered.slice(0, extra)) delete block.cache_control;
  }
}

function checkSource(source: ImageSource | { type: string }, path: string, what: string): void {
  if (source.type === "url") {
    throw invalid(`${path}: URL ${what}s are not supported on Bedrock; send the ${what} inline`);
  }
  if (source.type === "file") {
    throw invalid(`${path}: File references (file_id) are not supported on Bedrock; send the ${what} inline`);
  }
}

function text(t: TextBlock, body: Body): Json | undefined {
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
      default: {
        const never: never = item;
        throw invalid(`${at}: Unknown tool_result content ${JSON.stringify(never)}`);
      }
    }
  });
  return out;
}

function block(b: ContentBlock, path: string, body: Body): Json | undefined {
  if (isServerToolBlock(b)) {
    body.warn(`${b.type}: server tool blocks cannot run on Bedrock; dropped`);
    return undefined;
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
      return body.cached({ type: "tool_use", id: b.id, name: b.name, input: b.input ?? {} }, b.cache_control);
    case "tool_result": {
      const out: Json = { type: "tool_result", tool_use_id: b.tool_use_id };
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
      throw invalid(`${path}: Unknown block ${JSON.stringify(never)}`);
    }
  }
}

function invokeToolChoice(choice: ToolChoice | undefined): Json | undefined {
  if (!choice) return undefined;
  const tc: Json = { type: choice.type };
  if (choice.type === "tool") tc.name = choice.name;
  if (choice.type !== "none" && choice.disable_parallel_tool_use !== undefined) {
    tc.disable_parallel_tool_use = choice.disable_parallel_tool_use;
  }
  return tc;
}

/** Renders the tool policy's decision as the native body's `tools` and `tool_choice`. */
function tools(plan: ToolPlan, body: Body): { tools?: Json[]; tool_choice?: Json } {
  let defs: Json[];
  switch (plan.kind) {
    case "omit":
      return {};
    case "stubs":
      defs = plan.names.map((name) => ({
        name,
        description: STUB_DESCRIPTION,
        input_schema: { type: "object" },
      }));
      break;
    case "tools":
      defs = plan.tools.map((t) => {
        const def: Json = { name: t.name, input_schema: t.input_schema };
        if (t.description) def.description = t.description;
        return body.cached(def, t.cache_control);
      });
      break;
    default: {
      const never: never = plan;
      throw new TypeError(`Unknown tool plan ${JSON.stringify(never)}`);
    }
  }
  const choice = invokeToolChoice(plan.choice);
  return choice ? { tools: defs, tool_choice: choice } : { tools: defs };
}

function withTopLevelCache(messages: Json[], cc: CacheControl, body: Body): void {
  const last = messages.at(-1);
  const content = last?.content;
  if (!Array.isArray(content)) return;
  const k = content.length - 1;
  const b = content[k] as Json | undefined;
  if (!b || b.cache_control || b.type === "thinking" || b.type === "redacted_thinking") return;
  content[k] = body.cached(b, cc);
}

/**
 * Builds the InvokeModel body for Claude on Bedrock from an Anthropic request.
 *
 * @throws {RelayError} 400 `invalid_request_error` for URL or file-id sources and for a `tool_choice` that
 * names an absent or server tool.
 * @example
 * ```ts
 * const body = toInvokeBody(request, { modelId: "global.anthropic.claude-opus-4-7", warn: console.warn });
 * ```
 */
export function toInvokeBody(
  req: MessagesRequest,
  opts: ToInvokeOptions,
): Record<string, unknown> {
  const info = bedrockModelInfo(opts.modelId);
  const body = new Body(info, opts.warn);
  const r = resolveInference(req, info, {
    api: "invoke",
    maxOutputTokens: opts.maxOutputTokens,
    warn: (m) => body.warn(m),
  });
  const thinkingOn = r.thinking !== undefined && r.thinking.type !== "disabled";

  const system: Json[] = [];
  body.section = 1;
  for (const b of req.system ?? []) {
    const t = b.text.startsWith("x-anthropic-billing-header:") ? undefined : text(b, body);
    if (t) system.push(t);
  }
  const messages: Json[] = [];
  let hasToolBlocks = false;
  body.section = 2;
  req.messages.forEach((m, n) => {
    const content: Json[] = [];
    if (m.role === "system") {
      for (const b of m.content) {
        if (b.type !== "text") body.warn(`messages: a system message held a ${b.type} block; dropped`);
        else if (b.text.trim() !== "") {
          const reminder = { type: "text", text: `<system-reminder>\n${b.text}\n</system-reminder>` };
          content.push(body.cached(reminder, b.cache_control));
        }
      }
    } else {
      m.content.forEach((b, k) => {
        if (b.type === "tool_use" || b.type === "tool_result") hasToolBlocks = true;
        const converted = block(b, `messages.${n}.content.${k}`, body);
        if (converted) content.push(converted);
      });
    }
    const role = m.role === "system" ? "user" : m.role;
    const last = messages.at(-1);
    // Adjacent user turns (a system message next to a user message) are merged, as the API would.
    if (last?.role === role && Array.isArray(last.content)) {
      (last.content as Json[]).push(...content);
      return;
    }
    if (content.length === 0) content.push({ type: "text", text: "(empty)" });
    messages.push({ role, content });
  });
  // Claude rejects a user turn whose tool results do not come first; a merged system reminder or a second
  // user message can put text ahead of them.
  for (const m of messages) {
    const content = m.content as Json[];
    const first = content.findIndex((b) => b.type === "tool_result");
    if (m.role !== "user" || first <= 0) continue;
    m.content = [
      ...content.filter((b) => b.type === "tool_result"),
      ...content.filter((b) => b.type !== "tool_result"),
    ];
  }
  // Claude rejects a final assistant (prefill) turn that ends in whitespace.
  const final = messages.at(-1);
  if (final?.role === "assistant" && Array.isArray(final.content)) {
    const content = final.content as Json[];
    const last = content.at(-1);
    if (last?.type === "text" && typeof last.text === "string") {
      const trimmed = last.text.trimEnd();
      if (trimmed === "") content.pop();
      else content[content.length - 1] = { ...last, text: trimmed };
      if (content.length === 0) messages.pop();
    }
  }

  body.section = 0;
  const plan = planTools(req, { api: "invoke", info, thinkingOn, hasToolBlocks, warn: body.warn });
  const toolPart = tools(plan, body);
  body.section = 2;
  if (req.cache_control) withTopLevelCache(messages, req.cache_control, body);
  body.trimBreakpoints();

  const out: Json = { anthropic_version: "bedrock-2023-05-31" };
  if (r.betas.length) out.anthropic_beta = r.betas;
  out.max_tokens = r.maxTokens;
  if (system.length) out.system = system;
  out.messages = messages;
  if (req.stop_sequences?.length) out.stop_sequences = req.stop_sequences;
  if (r.temperature !== undefined) out.temperature = r.temperature;
  if (r.topP !== undefined) out.top_p = r.topP;
  if (r.topK !== undefined) out.top_k = r.topK;
  if (toolPart.tools) out.tools = toolPart.tools;
  if (toolPart.tool_choice) out.tool_choice = toolPart.tool_choice;
  if (r.thinking) out.thinking = r.thinking;
  const outputConfig: Json = {};
  if (r.effort) outputConfig.effort = r.effort;
  const format = req.output_config?.format;
  if (format) {
    if (info.supportsStructuredOutput) outputConfig.format = format;
    else {body.warn(
        "output_config.format: structured output is not supported by this Claude version; dropped",
      );}
  }
  if (Object.keys(outputConfig).length) out.output_config = outputConfig;
  if (req.mcp_servers?.length) body.warn("mcp_servers: not supported on Bedrock; dropped");
  return out;
}
