/**
 * What each Bedrock model accepts, read from its model id, inference-profile id or ARN, and the
 * sampling/thinking/beta rules both Bedrock paths (Converse and the native Invoke body) share.
 *
 * Sources (Nov 2026): AWS "Supported models and model features", the Claude-on-Bedrock request reference,
 * and issue threads where Bedrock rejected a field (cited beside the rule). Unknown ids get conservative
 * capabilities; an application-inference-profile ARN names no model, so resolve it to its foundation model
 * before asking (the ARN alone yields family "other").
 *
 * @module
 */
import type { Effort, MessagesRequest, ThinkingConfig } from "../../anthropic/types.ts";
import { isRelaySignature } from "../signature.ts";

/** Model families relayx tells apart on Bedrock. */
export type BedrockFamily =
  | "claude"
  | "nova"
  | "llama"
  | "mistral"
  | "deepseek"
  | "qwen"
  | "openai"
  | "other";

/** Capabilities of one Bedrock model. */
export interface BedrockModelInfo {
  /** The family, from the provider prefix of the foundation-model id. */
  family: BedrockFamily;
  /** Claude version as major + minor / 10 (4.5, 3.7); 0 for other families. */
  version: number;
  /** The largest `maxTokens` the model accepts. */
  maxOutputTokens: number;
  /** The context window, in tokens (for the overflow error when Bedrock states no figures). */
  contextWindow: number;
  /** Takes `top_k` (Claude: `additionalModelRequestFields.top_k`; Nova: `inferenceConfig.topK`). */
  supportsTopK: boolean;
  /** Takes Claude extended thinking (Claude 3.7 and later). */
  supportsThinking: boolean;
  /** Takes `thinking: {type: "adaptive"}` and `output_config.effort` (Claude 4.6 and later). */
  supportsAdaptiveThinking: boolean;
  /**
   * Accepts only adaptive thinking (Claude Opus 4.7 and later, all Claude 5): rejects `enabled`, `disabled`,
   * non-default temperature/top_p, any top_k, and every `anthropic_beta` flag (claude-code #49648).
   */
  adaptiveOnly: boolean;
  /** Takes `output_config.effort`; `effortBeta` says it needs the `effort-2025-11-24` flag (Opus 4.5). */
  supportsEffort: boolean;
  /** See {@linkcode BedrockModelInfo.supportsEffort}. */
  effortBeta: boolean;
  /** Rejects `temperature` and `top_p` together (Claude 4.1 and later). */
  exclusiveSampling: boolean;
  /** Takes `cachePoint` blocks. */
  supportsCachePoints: boolean;
  /** Takes `ttl: "1h"` on cache points (Claude 4.5 and later). */
  supportsCacheTtl: boolean;
  /** Takes images in user messages. */
  supportsImages: boolean;
  /** Takes images inside tool results. */
  supportsToolResultImages: boolean;
  /** Takes `stopSequences` (gpt-oss, Qwen and DeepSeek V3 reject the field). */
  supportsStopSequences: boolean;
  /** Takes `toolChoice` at all (`auto`/`any`); other models get it omitted. */
  supportsToolChoice: boolean;
  /** Takes `toolChoice: {tool}`. */
  supportsToolChoiceTool: boolean;
  /** Takes `document` blocks. */
  supportsDocuments: boolean;
  /** Takes `searchResult` blocks. */
  supportsSearchResults: boolean;
  /** Honours `toolResult.status`. */
  supportsToolResultStatus: boolean;
  /** Takes structured output (`output_config.format` / `outputConfig.textFormat`; Claude 4.5 and later). */
  supportsStructuredOutput: boolean;
  /** Takes signed reasoning and redacted reasoning back in the history (Claude only). */
  supportsReasoningHistory: boolean;
}

const GEOGRAPHY = /^(us-gov|us|eu|apac|jp|au|global)\.(.+)$/;

/**
 * A model or inference-profile id split into its cross-region geography prefix and the rest.
 *
 * @example
 * ```ts
 * splitGeography("eu.anthropic.claude-haiku-4-5-20251001-v1:0"); // { geography: "eu", bare: "anthropic.claude-haiku-4-5-20251001-v1:0" }
 * splitGeography("amazon.nova-pro-v1:0"); // { bare: "amazon.nova-pro-v1:0" }
 * ```
 */
export function splitGeography(id: string): { geography?: string; bare: string } {
  const m = id.match(GEOGRAPHY);
  return m?.[1] && m[2] ? { geography: m[1], bare: m[2] } : { bare: id };
}

/**
 * The bare foundation-model id that CountTokens accepts: geo prefixes (`us.`, `global.`, ...) and the ARN
 * wrapping of foundation models and system inference profiles are removed. Application-inference-profile
 * ARNs are returned unchanged (they name no model).
 *
 * @example
 * ```ts
 * foundationModelId("us.anthropic.claude-sonnet-4-5-20250929-v1:0"); // "anthropic.claude-sonnet-4-5-20250929-v1:0"
 * ```
 */
export function foundationModelId(id: string): string {
  let bare = id;
  if (id.startsWith("arn:")) {
    const m = id.match(/:(foundation-model|inference-profile)\/(.+)$/);
    if (!m?.[2]) return id;
    bare = m[2];
  }
  return splitGeography(bare).bare;
}

function claudeInfo(id: string): BedrockModelInfo {
  // Old ids put the version first (claude-3-5-sonnet), new ones the tier first (claude-sonnet-4-5).
  const m = id.match(/claude-(?:([a-z]+)-)?(\d+)(?:-(\d)(?!\d))?(?:-([a-z]+))?/);
  const tier = (m?.[1] ?? m?.[4] ?? "").toLowerCase();
  const major = Number(m?.[2] ?? 2);
  const minor = Number(m?.[3] ?? 0);
  // Integer arithmetic, so that 41 / 10 is exactly the literal 4.1 the rules compare with.
  const version = (major * 10 + minor) / 10;
  const opus = tier === "opus";
  const adaptiveOnly = version >= 4.7;
  let maxOutputTokens = 4096;
  if (version >= 5 || (opus && version >= 4.6)) maxOutputTokens = 128_000;
  else if (opus && version >= 4 && version < 4.5) maxOutputTokens = 32_000;
  else if (version >= 3.7) maxOutputTokens = 64_000;
  else if (version >= 3.5) maxOutputTokens = 8192;
  return {
    family: "claude",
    version,
    maxOutputTokens,
    contextWindow: version >= 4.6 ? 1_000_000 : 200_000,
    supportsTopK: !adaptiveOnly,
    supportsThinking: version >= 3.7,
    supportsAdaptiveThinking: version >= 4.6,
    adaptiveOnly,
    supportsEffort: version >= 4.6 || (opus && version >= 4.5),
    effortBeta: opus && version === 4.5,
    exclusiveSampling: version >= 4.1,
    supportsCachePoints: version >= 3.7 || (tier === "haiku" && version === 3.5),
    supportsCacheTtl: version >= 4.5,
    // Claude 3.5 Haiku is the one Claude without vision.
    supportsImages: !(tier === "haiku" && version === 3.5) && version >= 3,
    supportsToolResultImages: version >= 3,
    supportsStopSequences: true,
    supportsToolChoice: true,
    supportsToolChoiceTool: true,
    supportsDocuments: true,
    supportsSearchResults: version >= 3.5,
    supportsToolResultStatus: true,
    supportsStructuredOutput: version >= 4.5,
    supportsReasoningHistory: true,
  };
}

const BASE: BedrockModelInfo = {
  family: "other",
  version: 0,
  maxOutputTokens: 4096,
  contextWindow: 128_000,
  supportsTopK: false,
  supportsThinking: false,
  supportsAdaptiveThinking: false,
  adaptiveOnly: false,
  supportsEffort: false,
  effortBeta: false,
  exclusiveSampling: false,
  supportsCachePoints: false,
  supportsCacheTtl: false,
  supportsImages: false,
  supportsToolResultImages: false,
  supportsStopSequences: true,
  supportsToolChoice: false,
  supportsToolChoiceTool: false,
  supportsDocuments: false,
  supportsSearchResults: false,
  supportsToolResultStatus: false,
  supportsStructuredOutput: false,
  supportsReasoningHistory: false,
};

/**
 * The capabilities of a Bedrock model, from a foundation-model id, an inference-profile id or an ARN.
 *
 * @example
 * ```ts
 * bedrockModelInfo("global.anthropic.claude-opus-4-7").adaptiveOnly; // true
 * ```
 */
export function bedrockModelInfo(modelId: string): BedrockModelInfo {
  const id = foundationModelId(modelId).toLowerCase();
  const dot = id.indexOf(".");
  const provider = dot > 0 ? id.slice(0, dot) : "";
  if (provider === "anthropic" || id.includes("claude")) return claudeInfo(id);
  if (provider === "amazon" && id.includes("nova")) {
    const micro = id.includes("micro");
    return {
      ...BASE,
      family: "nova",
      // The Nova 1 request schema caps maxTokens at 5,000; newer Nova models are assumed to take 10,000.
      maxOutputTokens: /nova-(?:micro|lite|pro)-v1/.test(id) ? 5000 : 10_000,
      contextWindow: micro ? 128_000 : 300_000,
      supportsTopK: true,
      supportsCachePoints: true,
      supportsImages: !micro,
      supportsDocuments: !micro,
      supportsToolChoice: true,
      supportsToolChoiceTool: true,
      supportsToolResultStatus: true,
    };
  }
  if (provider === "meta") {
    const llama4 = id.includes("llama4");
    return {
      ...BASE,
      family: "llama",
      // Bedrock's Llama 3 takes max_gen_len up to 2,048.
      maxOutputTokens: llama4 ? 8192 : 2048,
      supportsImages: llama4 || /llama3-2-(?:11|90)b/.test(id),
      supportsDocuments: true,
    };
  }
  if (provider === "mistral") {
    return {
      ...BASE,
      family: "mistral",
      maxOutputTokens: 8192,
      supportsImages: id.includes("pixtral") || id.includes("large-3"),
      supportsDocuments: true,
    };
  }
  if (provider === "deepseek") {
    // Only R1 takes stop sequences (langchain-aws #664); V3.x rejects the field.
    return { ...BASE, family: "deepseek", maxOutputTokens: 32_768, supportsStopSequences: id.includes("r1") };
  }
  if (provider === "qwen") {
    return {
      ...BASE,
      family: "qwen",
      maxOutputTokens: id.includes("qwen3-32b") ? 16_384 : 32_768,
      contextWindow: 262_144,
      supportsImages: id.includes("-vl-"),
      // "This model doesn't support the stopSequences field" (dify-official-plugins #1767).
      supportsStopSequences: false,
    };
  }
  if (provider === "openai") {
    // gpt-oss rejects stopSequences on every call (crewAI #3317).
    return {
      ...BASE,
      family: "openai",
      maxOutputTokens: 16_384,
      supportsStopSequences: false,
      supportsToolChoice: true,
    };
  }
  return BASE;
}

/** Which Bedrock path a request goes through. */
export type BedrockApi = "converse" | "invoke";

/** Thinking as Bedrock's Claude takes it. */
export type BedrockThinking =
  | { type: "enabled"; budget_tokens: number }
  | { type: "adaptive"; display?: "summarized" | "omitted" }
  | { type: "disabled" };

/** The sampling, thinking and beta settings a request resolves to for one model. */
export interface ResolvedInference {
  /** `max_tokens`, clamped to the model's cap. */
  maxTokens: number;
  /** Omitted where the model rejects it. */
  temperature?: number;
  /** Omitted where the model rejects it. */
  topP?: number;
  /** Omitted where the model rejects it. */
  topK?: number;
  /** Claude thinking, adapted to what the model takes; undefined sends none. */
  thinking?: BedrockThinking;
  /** Claude `output_config.effort`. */
  effort?: Effort;
  /** `anthropic_beta` flags Bedrock accepts for this model (never unknown flags). */
  betas: string[];
}

/** Options for {@linkcode resolveInference}. */
export interface ResolveInferenceOptions {
  /** Which path: Converse takes fewer beta flags than the native body. */
  api: BedrockApi;
  /** Overrides the model's output cap. */
  maxOutputTokens?: number;
  /** Records a dropped or changed field. */
  warn(message: string): void;
}

const EFFORT_BUDGET: Record<Effort, number> = {
  low: 4096,
  medium: 10_000,
  high: 16_000,
  xhigh: 31_999,
  max: 31_999,
};

function effortForBudget(budget: number): Effort {
  return budget <= 4096 ? "low" : budget <= 16_384 ? "medium" : "high";
}

// Beta flags Bedrock's Claude accepts, with the lowest Claude version that takes each. Claude Code also
// sends claude-code-20250219, effort, context-management, tool-search and others; Bedrock answers unknown
// ones with 400 "invalid beta flag" (claude-code #56595, litellm #19875), so everything else is dropped.
const CONVERSE_BETAS: ReadonlyMap<string, number> = new Map([
  ["interleaved-thinking-2025-05-14", 4],
  ["context-1m-2025-08-07", 4],
]);
const INVOKE_BETAS: ReadonlyMap<string, number> = new Map([
  ...CONVERSE_BETAS,
  // Claude 3.7 only; Claude 4 has both built in and the flags mean nothing there.
  ["token-efficient-tools-2025-02-19", 3.7],
  ["output-128k-2025-02-19", 3.7],
]);

function allowedBetas(
  requested: readonly string[] | undefined,
  info: BedrockModelInfo,
  api: BedrockApi,
  thinking: BedrockThinking | undefined,
): string[] {
  // Opus 4.7 and later reject every beta flag, interleaved thinking included (claude-code #49648, #49490).
  if (info.family !== "claude" || info.adaptiveOnly) return [];
  const table = api === "converse" ? CONVERSE_BETAS : INVOKE_BETAS;
  const out: string[] = [];
  for (const beta of requested ?? []) {
    const min = table.get(beta);
    if (min === undefined || info.version < min || out.includes(beta)) continue;
    if (min === 3.7 && info.version >= 4) continue;
    // Interleaved thinking means nothing without budgeted thinking; adaptive thinking interleaves by itself.
    if (beta === "interleaved-thinking-2025-05-14" && thinking?.type !== "enabled") continue;
    out.push(beta);
  }
  return out;
}

function lastAssistantNeedsThinking(req: MessagesRequest): boolean {
  // In a tool loop Claude requires the last assistant turn to start with its signed thinking block when
  // thinking is on. Blocks signed by relayx (another backend) are dropped, so such a history cannot carry
  // thinking: Claude would answer 400 "Expected `thinking` or `redacted_thinking`, but found `tool_use`".
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i];
    if (m?.role !== "assistant") continue;
    if (!m.content.some((b) => b.type === "tool_use")) return false;
    const first = m.content[0];
    if (first?.type === "redacted_thinking") return false;
    return !(first?.type === "thinking" && first.signature !== "" && !isRelaySignature(first.signature));
  }
  return false;
}

function resolveThinking(
  req: MessagesRequest,
  info: BedrockModelInfo,
  maxTokens: number,
  warn: (message: string) => void,
): { thinking?: BedrockThinking; effort?: Effort } {
  const requested: ThinkingConfig | undefined = req.thinking;
  let effort = req.output_config?.effort;
  if (info.family !== "claude") {
    if (requested && requested.type !== "disabled") {
      warn("thinking: not supported by this Bedrock model; dropped");
    }
    if (effort) warn("output_config.effort: not supported by this Bedrock model; dropped");
    return {};
  }
  if (effort && !info.supportsEffort) {
    warn(`output_config.effort: not supported by this Claude version on Bedrock; dropped`);
    effort = undefined;
  }
  // xhigh exists from Opus 4.7 on, max from 4.6 on; older models would reject either.
  if (effort === "xhigh" && !info.adaptiveOnly) effort = "high";
  if (effort === "max" && !info.supportsAdaptiveThinking) effort = "high";
  if (!requested || requested.type === "disabled") {
    const off = requested && info.supportsThinking && !info.adaptiveOnly;
    return { thinking: off ? { type: "disabled" } : undefined, effort };
  }
  if (!info.supportsThinking) {
    warn("thinking: not supported by this Claude version; dropped");
    return {};
  }
  if (info.adaptiveOnly || (requested.type === "adaptive" && info.supportsAdaptiveThinking)) {
    if (requested.type === "enabled") effort ??= effortForBudget(requested.budget_tokens);
    const display = requested.display;
    return {
      thinking: display && info.adaptiveOnly ? { type: "adaptive", display } : { type: "adaptive" },
      effort,
    };
  }
  // Budgeted thinking: either as asked, or adaptive asked of a model that predates it. Only budgeted
  // thinking demands the signed block ahead of the last tool call; adaptive thinking may skip thinking on
  // any turn by itself, so a turn without one is valid history there.
  if (lastAssistantNeedsThinking(req)) {
    warn(
      "thinking: the last assistant turn has no Bedrock-signed thinking block; thinking disabled for this turn",
    );
    return { thinking: { type: "disabled" }, effort };
  }
  let budget = requested.type === "enabled" ? requested.budget_tokens : EFFORT_BUDGET[effort ?? "high"];
  if (requested.type === "adaptive") {
    warn("thinking.adaptive: not supported by this Claude version; sent as budgeted thinking");
  }
  budget = Math.max(1024, budget);
  if (budget >= maxTokens) {
    if (maxTokens <= 1024) {
      warn("thinking: max_tokens leaves no room for a 1024-token thinking budget; thinking dropped");
      return {};
    }
    budget = maxTokens - 1;
  }
  return { thinking: { type: "enabled", budget_tokens: budget }, effort };
}

/**
 * Resolves max tokens, sampling parameters, thinking, effort and beta flags for one Bedrock model,
 * warning about everything it drops or changes.
 */
export function resolveInference(
  req: MessagesRequest,
  info: BedrockModelInfo,
  opts: ResolveInferenceOptions,
): ResolvedInference {
  const { warn } = opts;
  const cap = opts.maxOutputTokens ?? info.maxOutputTokens;
  let maxTokens = Math.max(1, req.max_tokens);
  if (maxTokens > cap) {
    warn(`max_tokens: ${maxTokens} exceeds this model's limit; clamped to ${cap}`);
    maxTokens = cap;
  }
  const { thinking, effort } = resolveThinking(req, info, maxTokens, warn);
  const thinkingOn = thinking !== undefined && thinking.type !== "disabled";
  let temperature = req.temperature;
  let topP = req.top_p;
  let topK = req.top_k;
  if (info.family === "claude" && (thinkingOn || info.adaptiveOnly)) {
    // Thinking and the newest Claude models take only the default sampling.
    if (temperature !== undefined && temperature !== 1) {
      warn("temperature: not allowed with thinking; dropped");
    }
    if (topP !== undefined && topP < 0.95) warn("top_p: not allowed with thinking; dropped");
    temperature = undefined;
    topP = undefined;
    if (topK !== undefined) warn("top_k: not allowed with thinking; dropped");
    topK = undefined;
  }
  if (temperature !== undefined && topP !== undefined && info.exclusiveSampling) {
    warn("top_p: this model takes temperature or top_p, not both; top_p dropped");
    topP = undefined;
  }
  if (topK !== undefined && !info.supportsTopK) {
    warn("top_k: not supported by this Bedrock model; dropped");
    topK = undefined;
  }
  const betas = allowedBetas(req.betas, info, opts.api, thinking);
  if (effort && info.effortBeta) betas.push("effort-2025-11-24");
  const out: ResolvedInference = { maxTokens, betas };
  if (temperature !== undefined) out.temperature = temperature;
  if (topP !== undefined) out.topP = topP;
  if (topK !== undefined) out.topK = topK;
  if (thinking) out.thinking = thinking;
  if (effort) out.effort = effort;
  return out;
}
