/**
 * Anthropic Messages request -> OpenAI Chat Completions request (protocol.md 9.1, 9.2 and section 8):
 * the request-level settings (token limit, sampling, tools and tool choice, reasoning, response format).
 * The message list is built in `_openai_messages.ts`, content parts in `_openai_parts.ts`.
 *
 * Pure: no I/O, no clocks, the input is never mutated. Everything provider-specific reads the
 * {@linkcode ProviderProfile} flags, so a new provider is a profile entry, not a branch here.
 *
 * @module
 */
import type { Effort, MessagesRequest } from "../../anthropic/types.ts";
import { rec, str } from "../_json.ts";
import { safeIdentifier } from "../tool_names.ts";
import { warnOnce } from "../_warn.ts";
import type { OpenAIChatRequest, OpenAIReasoningEffort, OpenAIToolChoice } from "./openai_types.ts";
import { isOpenAIReasoningModel, minOutputTokens, type ProviderProfile } from "./providers.ts";
import { cleanSchemaForGemini } from "./schema_clean.ts";
import { type MessageContext, openAIMessages } from "./_openai_messages.ts";
import { cacheOf } from "./_openai_parts.ts";
import { openAITools } from "./_openai_tools.ts";

/** Options for {@linkcode toOpenAIRequest}. */
export interface ToOpenAIOptions {
  /** The upstream model name. */
  model: string;
  /** The provider's quirks. */
  provider: ProviderProfile;
  /** The model's output cap; a larger `max_tokens` is clamped to it (with a warning). */
  maxOutputTokens: number;
  /** Whether to ask for a stream. */
  stream: boolean;
  /** Records something dropped or changed. */
  warn(message: string): void;
}

/**
 * Translates an Anthropic Messages request into an OpenAI Chat Completions request for one provider.
 *
 * @throws {RelayError} 400 `invalid_request_error` for content the provider cannot take (PDFs without
 * file support, URL or Files-API documents), naming the block's path (`messages.N.content.M`).
 *
 * @example
 * ```ts
 * import { PROVIDERS } from "@relayx/server/translate";
 *
 * const body = toOpenAIRequest({
 *   model: "claude-sonnet-4-5",
 *   max_tokens: 1024,
 *   messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
 * }, {
 *   model: "gpt-4.1",
 *   provider: PROVIDERS.openai,
 *   maxOutputTokens: 32768,
 *   stream: true,
 *   warn: console.warn,
 * });
 * console.log(body.messages); // [{ role: "user", content: "Hello" }]
 * ```
 */
export function toOpenAIRequest(req: MessagesRequest, opts: ToOpenAIOptions): OpenAIChatRequest {
  const provider = opts.provider;
  const ctx: MessageContext = {
    provider,
    warn: warnOnce((message) => opts.warn(message)),
    thinkingOn: req.thinking?.type === "enabled" || req.thinking?.type === "adaptive" ||
      // deepseek-reasoner thinks whatever the request says.
      (provider.reasoning === "deepseek" && opts.model.includes("reasoner")),
  };
  // OpenAI's reasoning models take developer/max_completion_tokens and no sampling settings. OpenRouter
  // normalises those fields itself (and ignores unsupported ones), so its `openai/...` models keep the
  // ordinary ones.
  const openaiReasoning = isOpenAIReasoningModel(opts.model) && provider.name !== "openrouter";
  const body: OpenAIChatRequest = {
    model: opts.model,
    messages: openAIMessages(
      req,
      ctx,
      openaiReasoning && provider.reasoning === "openai" ? "developer" : "system",
    ),
  };
  sampling(req, opts, openaiReasoning, body, ctx.warn);
  const userId = req.metadata?.user_id;
  if (provider.userField && typeof userId === "string" && userId !== "") body.user = endUserId(userId);
  if (opts.stream) {
    body.stream = true;
    if (provider.streamUsage) body.stream_options = { include_usage: true };
  }
  toolSettings(req, provider, body, ctx.warn);
  reasoning(req, opts, body);
  const format = req.output_config?.format;
  if (format !== undefined) {
    body.response_format = {
      type: "json_schema",
      json_schema: {
        name: "output",
        schema: provider.strictSchemas ? cleanSchemaForGemini(format.schema) : format.schema,
        strict: true,
      },
    };
  }
  if (provider.cacheControl && req.cache_control) body.cache_control = cacheOf(req, true);
  if (provider.name === "openai" && req.service_tier === "standard_only") body.service_tier = "default";
  return body;
}

/** The token limit and the sampling settings (OpenAI reasoning models take none of the latter). */
function sampling(
  req: MessagesRequest,
  opts: ToOpenAIOptions,
  openaiReasoning: boolean,
  body: OpenAIChatRequest,
  warn: (message: string) => void,
): void {
  let maxTokens = Math.max(1, req.max_tokens);
  const floor = minOutputTokens(opts.provider.name, opts.model);
  if (maxTokens < floor) {
    // A one-token model check: the answer may be up to `floor` tokens long, which no client minds more
    // than a 400; the stop reason stays the upstream's.
    warn(`max_tokens: ${maxTokens} is below the ${opts.model} minimum and was raised to ${floor}`);
    maxTokens = floor;
  }
  if (maxTokens > opts.maxOutputTokens) {
    warn(
      `max_tokens: ${maxTokens} is above the ${opts.model} limit and was clamped to ${opts.maxOutputTokens}`,
    );
    maxTokens = opts.maxOutputTokens;
  }
  if (openaiReasoning) body.max_completion_tokens = maxTokens;
  else body.max_tokens = maxTokens;

  if (req.temperature !== undefined) {
    if (!openaiReasoning) body.temperature = req.temperature;
    else if (req.temperature !== 1) warn(`temperature: not supported by ${opts.model} and was dropped`);
  }
  if (req.top_p !== undefined) {
    if (!openaiReasoning) body.top_p = req.top_p;
    else if (req.top_p !== 1) warn(`top_p: not supported by ${opts.model} and was dropped`);
  }
  if (req.top_k !== undefined) {
    if (opts.provider.topK) body.top_k = req.top_k;
    else warn(`top_k: not supported by ${opts.provider.name} and was dropped`);
  }
  if (req.stop_sequences !== undefined && req.stop_sequences.length > 0) {
    if (openaiReasoning) warn(`stop_sequences: not supported by ${opts.model} and were dropped`);
    else {
      if (req.stop_sequences.length > 4) warn("stop_sequences: only the first 4 were sent");
      body.stop = req.stop_sequences.slice(0, 4);
    }
  }
}

/**
 * The `user` field's value: OpenAI takes at most 64 characters. Claude Code's `metadata.user_id` is a JSON
 * string whose stable part is `device_id`; cutting the raw string would keep a useless prefix of it.
 */
function endUserId(raw: string): string {
  if (raw.startsWith("{")) {
    try {
      const id = str(rec(JSON.parse(raw))?.device_id);
      if (id) return id.slice(0, 64);
    } catch {
      // Not JSON after all: fall through to the plain cut.
    }
  }
  return raw.slice(0, 64);
}

/** The custom tools, `tool_choice` and `parallel_tool_calls` (sent only when there are tools). */
function toolSettings(
  req: MessagesRequest,
  provider: ProviderProfile,
  body: OpenAIChatRequest,
  warn: (message: string) => void,
): void {
  const tools = openAITools(req.tools, provider);
  if (tools.length === 0) return;
  body.tools = tools;
  const choice = req.tool_choice;
  if (choice === undefined) return;
  body.tool_choice = toolChoice(choice);
  if (choice.type !== "none" && choice.disable_parallel_tool_use === true) {
    // Gemini rejects request fields it does not know, and parallel_tool_calls is not among its documented ones.
    if (provider.name === "gemini") {
      warn("tool_choice.disable_parallel_tool_use: not supported by gemini and was dropped");
    } else body.parallel_tool_calls = false;
  }
}

function toolChoice(choice: NonNullable<MessagesRequest["tool_choice"]>): OpenAIToolChoice {
  switch (choice.type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool":
      return { type: "function", function: { name: safeIdentifier(choice.name) } };
    default: {
      const never: never = choice;
      throw new Error(`Unknown tool_choice: ${JSON.stringify(never)}`);
    }
  }
}

/** Gemini's own mapping of its `reasoning_effort` levels to thinking budgets. */
const GEMINI_BUDGET: Record<OpenAIReasoningEffort, number> = { low: 1024, medium: 8192, high: 24576 };
// The largest budget every thinking Gemini model accepts (Flash caps at 24576, Pro at 32768).
const GEMINI_MAX_BUDGET = 24576;

/** Anthropic effort -> the three levels OpenAI-style APIs share. */
function threeLevels(effort: Effort): OpenAIReasoningEffort {
  switch (effort) {
    case "low":
    case "medium":
    case "high":
      return effort;
    case "xhigh":
    case "max":
      return "high";
    default: {
      const never: never = effort;
      throw new Error(`Unknown effort: ${String(never)}`);
    }
  }
}

/** Thinking budget -> effort bucket: <=4K low, <=16K medium, else high. */
function bucket(budget: number): OpenAIReasoningEffort {
  return budget <= 4096 ? "low" : budget <= 16384 ? "medium" : "high";
}

/** Thinking settings, in the one scheme each provider takes. */
function reasoning(req: MessagesRequest, opts: ToOpenAIOptions, body: OpenAIChatRequest): void {
  const thinking = req.thinking;
  const effort = req.output_config?.effort;
  let level: Effort | undefined;
  let budget: number | undefined;
  if (thinking?.type === "adaptive") level = effort ?? "high"; // Anthropic's default effort
  else if (thinking?.type === "enabled") {
    budget = thinking.budget_tokens;
    level = bucket(budget);
  }
  const style = opts.provider.reasoning;
  switch (style) {
    case "openai": {
      // Reasoning models think whatever the request says; an explicit effort still steers them.
      const wanted = level ?? effort;
      if (isOpenAIReasoningModel(opts.model) && wanted !== undefined) {
        body.reasoning_effort = threeLevels(wanted);
      }
      break;
    }
    case "gemini": {
      if (level === undefined) break;
      // One scheme only (Gemini rejects effort together with thinking_config): thinking_config carries the
      // budget and, unless the client asked for no thinking text, the request for thought summaries.
      const display = thinking?.type === "disabled" ? undefined : thinking?.display;
      const want = budget ?? GEMINI_BUDGET[threeLevels(level)];
      body.extra_body = {
        google: {
          thinking_config: {
            thinking_budget: Math.min(Math.max(want, 1024), GEMINI_MAX_BUDGET),
            include_thoughts: display !== "omitted",
          },
        },
      };
      break;
    }
    case "openrouter":
      if (budget !== undefined) body.reasoning = { max_tokens: budget };
      else if (level !== undefined) body.reasoning = { effort: level === "max" ? "xhigh" : level };
      break;
    case "deepseek":
      if (level !== undefined) body.thinking = { type: "enabled" };
      else if (thinking?.type === "disabled") body.thinking = { type: "disabled" };
      break;
    case "ollama":
    case "vllm":
    case "generic":
      if (level !== undefined) body.reasoning_effort = threeLevels(level);
      break;
    default: {
      const never: never = style;
      throw new Error(`Unknown reasoning style: ${String(never)}`);
    }
  }
}
