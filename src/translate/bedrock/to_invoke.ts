/**
 * Anthropic Messages request -> the native Anthropic body Bedrock's Claude takes through InvokeModel /
 * InvokeModelWithResponseStream.
 *
 * The body is Anthropic's own format with Bedrock's limits:
 * - `anthropic_version: "bedrock-2023-05-31"`; no `model` (it is in the URL) and no `stream` (the operation
 *   decides); `anthropic_beta` only from the allowlist in bedrock_inference.ts, unknown flags dropped
 *   silently.
 * - Fields Bedrock's Claude does not take are left out: `metadata`, `service_tier`, `container`,
 *   `mcp_servers` (warned), `context_management` (already dropped by the parser), tool `defer_loading` and
 *   `strict`, and server tools (warned; the shared Bedrock policy in `tool_policy.ts` decides the tools).
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
import type { CacheControl, Message, MessagesRequest, ToolChoice } from "../../anthropic/types.ts";
import { bedrockModelInfo } from "./bedrock_models.ts";
import { isThinkingOn, type ResolvedInference, resolveInference } from "./bedrock_inference.ts";
import { block, Body, type Json, text } from "./_invoke_blocks.ts";
import { isBillingHeader, systemMessageText, systemReminder, toolResultsFirst } from "./_request_rules.ts";
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

function systemPart(req: MessagesRequest, body: Body): Json[] {
  body.section = 1;
  const system: Json[] = [];
  for (const b of req.system ?? []) {
    const t = isBillingHeader(b) ? undefined : text(b, body);
    if (t) system.push(t);
  }
  return system;
}

function turnContent(m: Message, n: number, body: Body): Json[] {
  const content: Json[] = [];
  if (m.role === "system") {
    for (const b of m.content) {
      const t = systemMessageText(b, body.warn);
      if (t) content.push(body.cached({ type: "text", text: systemReminder(t.text) }, t.cache_control));
    }
    return content;
  }
  m.content.forEach((b, k) => {
    if (b.type === "tool_use" || b.type === "tool_result") body.hasToolBlocks = true;
    const converted = block(b, `messages.${n}.content.${k}`, body);
    if (converted) content.push(converted);
  });
  return content;
}

function isToolResult(b: Json): boolean {
  return b.type === "tool_result";
}

/** The native body has no cache-point blocks: breakpoints ride on the blocks themselves. */
function noCachePoint(): boolean {
  return false;
}

/** Claude rejects a final assistant (prefill) turn that ends in whitespace. */
function trimPrefill(messages: Json[]): void {
  const final = messages.at(-1);
  if (final?.role !== "assistant" || !Array.isArray(final.content)) return;
  const content = final.content as Json[];
  const last = content.at(-1);
  if (last?.type !== "text" || typeof last.text !== "string") return;
  const trimmed = last.text.trimEnd();
  if (trimmed === "") content.pop();
  else content[content.length - 1] = { ...last, text: trimmed };
  if (content.length === 0) messages.pop();
}

function conversation(req: MessagesRequest, body: Body): Json[] {
  body.section = 2;
  const messages: Json[] = [];
  req.messages.forEach((m, n) => {
    const content = turnContent(m, n, body);
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
  for (const m of messages) {
    if (m.role === "user") m.content = toolResultsFirst(m.content as Json[], isToolResult, noCachePoint);
  }
  trimPrefill(messages);
  return messages;
}

function outputConfig(req: MessagesRequest, r: ResolvedInference, body: Body): Json | undefined {
  const config: Json = {};
  if (r.effort) config.effort = r.effort;
  const format = req.output_config?.format;
  if (format) {
    if (body.info.supportsStructuredOutput) config.format = format;
    else {body.warn(
        "output_config.format: structured output is not supported by this Claude version; dropped",
      );}
  }
  return Object.keys(config).length ? config : undefined;
}

/**
 * Builds the InvokeModel body for Claude on Bedrock from an Anthropic request.
 *
 * @throws {RelayError} 400 `invalid_request_error` for URL or file-id sources and for a `tool_choice` that
 * names an absent or server tool.
 * @example
 * ```ts
 * const body = toInvokeBody({
 *   model: "claude-opus-4-7",
 *   max_tokens: 1024,
 *   messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
 * }, { modelId: "global.anthropic.claude-opus-4-7", warn: console.warn });
 * // { anthropic_version: "bedrock-2023-05-31", max_tokens: 1024, messages: [...] }
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
    warn: body.warn,
  });
  const thinkingOn = isThinkingOn(r.thinking);

  const system = systemPart(req, body);
  const messages = conversation(req, body);
  body.section = 0;
  const { hasToolBlocks } = body;
  const toolPart = tools(
    planTools(req, { api: "invoke", info, thinkingOn, hasToolBlocks, warn: body.warn }),
    body,
  );
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
  const output = outputConfig(req, r, body);
  if (output) out.output_config = output;
  if (req.mcp_servers?.length) body.warn("mcp_servers: not supported on Bedrock; dropped");
  return out;
}
