/**
 * Anthropic Messages request -> Bedrock Converse / ConverseStream input.
 *
 * Choices this translation makes (beyond protocol.md 6.3, 9.1, 9.2):
 * - Messages: see `_converse_messages.ts` (system messages as `<system-reminder>` text, merged turns,
 *   signed thinking only) and `_converse_content.ts` (inline media only, notes where the model takes none).
 * - Tools: the shared Bedrock policy in `tool_policy.ts` decides; this module renders its decision
 *   (`safeIdentifier` names, a default description, an object schema at the root).
 * - Cache points: one after each block with `cache_control` (tools, then system, then messages: Anthropic's
 *   prefix order) and one after the last message block for a top-level `cache_control`. Beyond 4, the
 *   earliest are dropped: the last breakpoints cover the longest prefix, which is what a long conversation
 *   re-reads every turn.
 *
 * @module
 */
import type { CustomTool, MessagesRequest, ToolChoice } from "../../anthropic/types.ts";
import { safeIdentifier } from "../tool_names.ts";
import { isThinkingOn, type ResolvedInference, resolveInference } from "./bedrock_inference.ts";
import { type BedrockModelInfo, bedrockModelInfo } from "./bedrock_models.ts";
import type { ConverseInput, ConverseTool, ConverseToolChoice, JsonObject } from "./converse_types.ts";
import { Builder } from "./_converse_builder.ts";
import { conversation, systemBlocks } from "./_converse_messages.ts";
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

// A client that resends the same tools gets the same tool objects back (anthropic/repeated_parts.ts): each
// is translated once, frozen, and its JSON bytes are remembered when the body is serialised.
const specs = new WeakMap<CustomTool, ConverseTool>();

function customToolSpec(tool: CustomTool): ConverseTool {
  let spec = specs.get(tool);
  if (spec === undefined) {
    const made = toolSpec(tool.name, tool.description, tool.input_schema);
    if ("toolSpec" in made) Object.freeze(Object.freeze(made.toolSpec).inputSchema);
    spec = Object.freeze(made);
    specs.set(tool, spec);
  }
  return spec;
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
        tools.push(customToolSpec(t));
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

/** Sets `inferenceConfig` (and, for Claude's stop sequences, the response field that names the match). */
function setInference(
  input: ConverseInput,
  req: MessagesRequest,
  r: ResolvedInference,
  out: Builder,
): void {
  const inference: NonNullable<ConverseInput["inferenceConfig"]> = { maxTokens: r.maxTokens };
  if (r.temperature !== undefined) inference.temperature = r.temperature;
  if (r.topP !== undefined) inference.topP = r.topP;
  if (req.stop_sequences?.length) {
    if (out.info.supportsStopSequences) {
      inference.stopSequences = req.stop_sequences;
      // Converse reports only "stop_sequence"; Claude names the matched one if asked for it.
      if (out.info.family === "claude") input.additionalModelResponseFieldPaths = ["/stop_sequence"];
    } else {
      out.warn("stop_sequences: not supported by this Bedrock model; dropped");
    }
  }
  input.inferenceConfig = inference;
}

/** The model-specific fields Converse has no member for: Claude's own, Nova's top_k. */
function additionalFields(r: ResolvedInference, info: BedrockModelInfo): JsonObject | undefined {
  const extra: JsonObject = {};
  if (info.family === "claude") {
    if (r.topK !== undefined) extra.top_k = r.topK;
    if (r.thinking) extra.thinking = { ...r.thinking };
    if (r.effort) extra.output_config = { effort: r.effort };
    if (r.betas.length) extra.anthropic_beta = r.betas;
  } else if (info.family === "nova" && r.topK !== undefined) {
    extra.inferenceConfig = { topK: r.topK };
  }
  return Object.keys(extra).length ? extra : undefined;
}

function outputConfig(req: MessagesRequest, out: Builder): ConverseInput["outputConfig"] {
  const format = req.output_config?.format;
  if (!format) return undefined;
  if (!out.info.supportsStructuredOutput) {
    out.warn("output_config.format: structured output is not supported by this Bedrock model; dropped");
    return undefined;
  }
  return {
    textFormat: {
      type: "json_schema",
      structure: { jsonSchema: { schema: JSON.stringify(format.schema), name: "output" } },
    },
  };
}

/**
 * Translates an Anthropic Messages request into the input of Bedrock's `ConverseCommand` /
 * `ConverseStreamCommand` for `opts.modelId`, adapting every field to what that model accepts.
 *
 * @throws {RelayError} 400 `invalid_request_error` for input Bedrock cannot take (URL images, bad base64,
 * `tool_choice` naming an absent tool).
 * @example
 * ```ts
 * const input = toConverseRequest({
 *   model: "claude-sonnet-4-5",
 *   max_tokens: 1024,
 *   system: [{ type: "text", text: "Answer briefly." }],
 *   messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
 * }, { modelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", warn: console.warn });
 * // input.messages: [{ role: "user", content: [{ text: "Hello" }] }]
 * ```
 */
export function toConverseRequest(req: MessagesRequest, opts: ToConverseOptions): ConverseInput {
  const info = bedrockModelInfo(opts.modelId);
  const out = new Builder(info, opts.warn);
  const r = resolveInference(req, info, {
    api: "converse",
    maxOutputTokens: opts.maxOutputTokens,
    warn: out.warn,
  });
  const thinkingOn = isThinkingOn(r.thinking);

  // Built in Anthropic's cache-prefix order (tools, system, messages) so that cacheSlots is in that order.
  const messages = conversation(req, out);
  const slotsFromMessages = out.cacheSlots.splice(0);
  const hasToolBlocks = messages.some((m) => m.content.some((b) => "toolUse" in b || "toolResult" in b));
  const tools = toolConfig(
    planTools(req, { api: "converse", info, thinkingOn, hasToolBlocks, warn: out.warn }),
    out,
  );
  const system = systemBlocks(req, out);
  out.cacheSlots.push(...slotsFromMessages);
  if (req.cache_control) {
    const last = messages.at(-1);
    if (last && !("cachePoint" in (last.content.at(-1) ?? {}))) out.cache(last.content, req.cache_control);
  }
  out.trimCachePoints();

  const input: ConverseInput = { modelId: opts.modelId, messages: messages };
  if (system.length) input.system = system;
  setInference(input, req, r, out);
  if (tools) input.toolConfig = tools;
  const extra = additionalFields(r, info);
  if (extra) input.additionalModelRequestFields = extra;
  const output = outputConfig(req, out);
  if (output) input.outputConfig = output;
  if (req.mcp_servers?.length) out.warn("mcp_servers: not supported on Bedrock; dropped");
  return input;
}
