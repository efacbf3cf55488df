/**
 * Which tools a request sends to Bedrock and how the model must use them: the one policy both Bedrock
 * paths follow. It decides (the custom tools, stub definitions, the effective `tool_choice`, the
 * warnings); `to_converse.ts` and `to_invoke.ts` each render the decision in their own format.
 *
 * Both paths:
 * - Server tools cannot run on Bedrock: dropped with a warning; a `tool_choice` naming one, or naming a
 *   tool that is not defined, is a 400.
 * - Thinking forbids forced tool use: `any` and `tool` become `auto`, with a warning.
 * - A history with tool blocks needs tool definitions ("Requests which include tool_use or tool_result
 *   blocks must define tools"): a request that defines none gets stubs named after the history's calls.
 *
 * Where the paths differ, because their APIs do:
 * - Converse has no `disable_parallel_tool_use` (dropped, warned), no `none` and no explicit `auto`: for
 *   `none` the tools are omitted, unless the history has tool blocks (then they are kept with the default
 *   choice, warned). `tool` becomes `any` where the model lacks it, and `any`/`tool` are dropped where the
 *   model takes no `toolChoice`.
 * - Invoke is Anthropic's own API: `none` and `disable_parallel_tool_use` go as they are (the latter also
 *   on the `auto` thinking falls back to), and stubs go with `none` or `auto`.
 *
 * @module
 */
import type { CustomTool, MessagesRequest, ToolChoice } from "../../anthropic/types.ts";
import { isCustomTool } from "../prepare.ts";
import type { BedrockApi, BedrockModelInfo } from "./bedrock_models.ts";
import { invalidRequest } from "./_request_rules.ts";

/** The description of a stub tool definition. */
export const STUB_DESCRIPTION = "A tool used earlier in this conversation";

/** What {@linkcode planTools} needs besides the request. */
export interface ToolPolicyOptions {
  /** The path the request goes through. */
  api: BedrockApi;
  /** The model's capabilities (Converse consults its `toolChoice` support). */
  info: BedrockModelInfo;
  /** Whether the request resolved to thinking that is on. */
  thinkingOn: boolean;
  /** Whether the translated history holds tool calls or tool results. */
  hasToolBlocks: boolean;
  /** Records a dropped or changed field. */
  warn(message: string): void;
}

/** Send no tools (and so no `tool_choice`). */
export interface OmitTools {
  /** Discriminant. */
  kind: "omit";
}

/** Send stub definitions, which the history's tool calls need. */
export interface StubTools {
  /** Discriminant. */
  kind: "stubs";
  /** The stubs' names: the history's tool calls, in order of first use. */
  names: string[];
  /** The `tool_choice` to send; none when undefined. */
  choice?: ToolChoice;
}

/** Send the request's custom tools. */
export interface CustomTools {
  /** Discriminant. */
  kind: "tools";
  /** The tools, server tools left out. */
  tools: CustomTool[];
  /** The `tool_choice` to send; none when undefined. */
  choice?: ToolChoice;
}

/** The policy's decision. */
export type ToolPlan = OmitTools | StubTools | CustomTools;

function historyToolNames(req: MessagesRequest): string[] {
  const names: string[] = [];
  for (const m of req.messages) {
    for (const b of m.content) if (b.type === "tool_use" && !names.includes(b.name)) names.push(b.name);
  }
  return names;
}

/**
 * Every tool name a Bedrock request may make the model call: the request's custom tools and the names
 * of tool calls in the history (sent as stubs when the request has no tools). Build the response's
 * `ToolNameMap` from these.
 *
 * @example
 * ```ts
 * requestToolNames({
 *   model: "claude-sonnet-4-5",
 *   max_tokens: 1024,
 *   messages: [
 *     { role: "user", content: [{ type: "text", text: "Weather in Paris?" }] },
 *     { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: {} }] },
 *   ],
 * }); // ["get_weather"]
 * ```
 */
export function requestToolNames(req: MessagesRequest): string[] {
  const names = (req.tools ?? []).filter(isCustomTool).map((t) => t.name);
  for (const name of historyToolNames(req)) if (!names.includes(name)) names.push(name);
  return names;
}

/** Converse's own limits on `tool_choice`: no `none`/`auto`, and `any`/`tool` only where the model has them. */
function converseChoice(
  choice: ToolChoice | undefined,
  info: BedrockModelInfo,
  warn: (message: string) => void,
): ToolChoice | undefined {
  if (choice?.type === "tool" && !info.supportsToolChoiceTool) {
    warn("tool_choice.tool: not supported by this Bedrock model; sent as any");
    choice = { type: "any" };
  }
  if ((choice?.type === "any" || choice?.type === "tool") && !info.supportsToolChoice) {
    warn(`tool_choice.${choice.type}: not supported by this Bedrock model; dropped`);
    return undefined;
  }
  return choice?.type === "any" || choice?.type === "tool" ? choice : undefined;
}

/**
 * Decides the tools and `tool_choice` of a Bedrock request, warning about everything it drops or changes.
 *
 * @throws {RelayError} 400 `invalid_request_error` for a `tool_choice` naming an absent or a server tool.
 * @example
 * ```ts
 * import { bedrockModelInfo } from "./bedrock_models.ts";
 *
 * const plan = planTools({
 *   model: "claude-sonnet-4-5",
 *   max_tokens: 1024,
 *   messages: [{ role: "user", content: [{ type: "text", text: "Weather in Paris?" }] }],
 *   tools: [{ name: "get_weather", input_schema: { type: "object" } }],
 *   tool_choice: { type: "any" },
 * }, {
 *   api: "converse",
 *   info: bedrockModelInfo("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
 *   thinkingOn: true,
 *   hasToolBlocks: false,
 *   warn: console.warn,
 * }); // { kind: "tools", tools: [...] }, no choice: thinking forbids `any` (warned)
 * ```
 */
export function planTools(req: MessagesRequest, opts: ToolPolicyOptions): ToolPlan {
  const { api, warn } = opts;
  const custom: CustomTool[] = [];
  const server: string[] = [];
  for (const t of req.tools ?? []) {
    if (isCustomTool(t)) custom.push(t);
    else server.push(t.name);
  }
  for (const name of server) warn(`tools: server tool "${name}" cannot run on Bedrock; dropped`);
  let choice: ToolChoice | undefined = req.tool_choice;
  if (choice?.type === "tool") {
    const name = choice.name;
    if (!custom.some((t) => t.name === name)) {
      const why = server.includes(name)
        ? "is a server tool, which Bedrock cannot run"
        : "is not defined in tools";
      throw invalidRequest(`tool_choice.name: Tool "${name}" ${why}`);
    }
  }
  if (api === "converse" && choice && choice.type !== "none" && choice.disable_parallel_tool_use) {
    warn("tool_choice.disable_parallel_tool_use: Bedrock has no such setting; dropped");
  }
  if (opts.thinkingOn && (choice?.type === "any" || choice?.type === "tool")) {
    warn(`tool_choice.${choice.type}: thinking forbids forced tool use; sent as auto`);
    choice = { type: "auto", disable_parallel_tool_use: choice.disable_parallel_tool_use };
  }
  if (custom.length === 0) {
    if (!opts.hasToolBlocks) return { kind: "omit" };
    const names = historyToolNames(req);
    warn("tools: the history holds tool calls but the request defines none; stub definitions sent");
    const stubs = names.length ? names : ["tool"];
    if (api === "converse") return { kind: "stubs", names: stubs };
    return { kind: "stubs", names: stubs, choice: { type: choice?.type === "none" ? "none" : "auto" } };
  }
  if (api === "invoke") return { kind: "tools", tools: custom, choice };
  if (choice?.type === "none") {
    if (!opts.hasToolBlocks) return { kind: "omit" };
    warn("tool_choice.none: Bedrock needs the tools when the history has tool blocks; sent as auto");
    choice = undefined;
  }
  return { kind: "tools", tools: custom, choice: converseChoice(choice, opts.info, warn) };
}
