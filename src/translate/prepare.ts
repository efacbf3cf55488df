/**
 * What every backend needs done to a request before translation: server tools dropped, Claude Code's
 * deferred tools resolved, the conversation's tool changes applied to the tools, the history before a
 * compaction summary dropped, and `tool_reference` blocks turned into text a model understands.
 *
 * @module
 */
import {
  type ContentBlock,
  type CustomTool,
  type MessagesRequest,
  SERVER_TOOL_BLOCK_TYPES,
  type ServerToolBlock,
  type ToolResultContent,
} from "../anthropic/types.ts";
import { RelayError } from "../errors.ts";
import { afterCompaction } from "./_compaction.ts";
import { toolSet } from "./_tool_set.ts";

export { isCustomTool } from "./_tool_set.ts";

const SERVER_TOOL_BLOCKS: ReadonlySet<string> = new Set(SERVER_TOOL_BLOCK_TYPES);

/** True for blocks only Anthropic's servers understand (server tool calls and their results). */
export function isServerToolBlock(block: ContentBlock): block is ServerToolBlock {
  return SERVER_TOOL_BLOCKS.has(block.type);
}

/** The text a `tool_reference` becomes, for upstreams that know nothing of tool search. */
export function toolReferenceText(name: string): string {
  return `Tool ${name} is now available.`;
}

function rewriteResultContent(content: ToolResultContent[]): ToolResultContent[] {
  if (!content.some((c) => c.type === "tool_reference")) return content;
  return content.map((c) =>
    c.type === "tool_reference" ? { type: "text", text: toolReferenceText(c.tool_name) } : c
  );
}

function rewriteBlocks(blocks: ContentBlock[]): ContentBlock[] {
  let changed = false;
  const out = blocks.map((b) => {
    if (b.type !== "tool_result" || !Array.isArray(b.content)) return b;
    const content = rewriteResultContent(b.content);
    if (content === b.content) return b;
    changed = true;
    return { ...b, content };
  });
  return changed ? out : blocks;
}

// A deferred tool that was loaded is an ordinary tool from here on: the flag would make a second
// preparation (the Anthropic pass-through prepares what the route prepared) drop it, its reference being
// text by then.
function inEffect(tool: CustomTool): CustomTool {
  if (!tool.defer_loading) return tool;
  const { defer_loading: _, ...rest } = tool;
  return rest;
}

/**
 * Prepares a request for a backend that runs only custom tools.
 *
 * - Server tools (`web_search_*`, `code_execution_*`, ...) are dropped with a warning; a `tool_choice`
 *   naming one is a 400.
 * - Deferred tools (`defer_loading: true`) go upstream only once a `tool_reference` to them appeared, as
 *   Anthropic's tool search would load them; Claude Code's never-called placeholder is therefore never sent.
 * - Tool changes (`tool_addition`, `tool_removal`, a compaction's `tool_changes`) apply in order: the tools
 *   sent are those in effect at the end of the conversation.
 * - Every message block before the last compaction summary is dropped, as Anthropic does.
 * - `tool_reference` blocks become text.
 * - `mcp_servers` are dropped with a warning.
 *
 * @example A server tool is dropped, with a warning
 * ```ts
 * import assert from "node:assert/strict";
 * import type { MessagesRequest } from "@relayx/server/translate";
 *
 * const request: MessagesRequest = {
 *   model: "claude-sonnet-4-5",
 *   max_tokens: 1024,
 *   messages: [{ role: "user", content: [{ type: "text", text: "What is new in Deno?" }] }],
 *   tools: [
 *     { name: "read_file", input_schema: { type: "object", properties: { path: { type: "string" } } } },
 *     { type: "web_search_20250305", name: "web_search" },
 *   ],
 * };
 * const warnings: string[] = [];
 * const prepared = prepareRequest(request, (w) => warnings.push(w));
 * assert.deepEqual(prepared.tools?.map((t) => t.name), ["read_file"]);
 * assert.equal(warnings.length, 1);
 * ```
 */
export function prepareRequest<T extends Omit<MessagesRequest, "max_tokens">>(
  request: T,
  warn: (message: string) => void,
): T {
  let messages = afterCompaction(request.messages);
  const tools = toolSet(request.tools, messages, warn);
  const choice = request.tool_choice;
  if (choice?.type === "tool" && !(tools ?? []).some((t) => t.name === choice.name)) {
    throw new RelayError(
      "invalid_request_error",
      `tool_choice.name: tool "${choice.name}" is not among the tools this backend can run`,
      { shouldRetry: false },
    );
  }
  if (request.mcp_servers?.length) warn("mcp_servers: MCP connectors are not supported and were dropped");
  const rewritten = messages.map((m) => {
    const content = rewriteBlocks(m.content);
    return content === m.content ? m : { ...m, content };
  });
  if (rewritten.some((m, i) => m !== messages[i])) messages = rewritten;
  return {
    ...request,
    messages,
    tools: tools?.length ? tools.map(inEffect) : undefined,
    tool_choice: tools?.length ? request.tool_choice : (choice?.type === "none" ? choice : undefined),
    mcp_servers: undefined,
  };
}

/**
 * The request as a backend that runs custom tools alone reads it (deferred tools never loaded and history
 * before a compaction left out), for estimates and route conditions; the warnings are not wanted there (the
 * backend that sends it has its own), and a request preparing refuses comes back as it is (the backend
 * answers that).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const request = { model: "m", messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "Hi" }] }] };
 * assert.deepEqual(preparedView(request).messages, request.messages);
 * ```
 */
export function preparedView<T extends Omit<MessagesRequest, "max_tokens">>(request: T): T {
  try {
    return prepareRequest(request, () => {});
  } catch {
    return request;
  }
}
