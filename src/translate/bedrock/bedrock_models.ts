/**
 * What each Bedrock model accepts, read from its model id, inference-profile id or ARN. How a request's
 * sampling, thinking and beta flags are fitted to it is `bedrock_inference.ts`.
 *
 * Sources (Nov 2026): AWS "Supported models and model features", the Claude-on-Bedrock request reference,
 * and issue threads where Bedrock rejected a field (cited beside the rule). Unknown ids get conservative
 * capabilities; an application-inference-profile ARN names no model, so resolve it to its foundation model
 * before asking (the ARN alone yields family "other").
 *
 * @module
 */
import { claudeVersion } from "../../models/family_rules.ts";
import type { ModelHints } from "../../models/model_spec.ts";
import { DEFAULT_CONTEXT_WINDOW, outputCap, ruleSpec } from "../../models/registry.ts";

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
  /**
   * The largest `maxTokens` the model accepts, by relayx's own rules (`src/models/`); the backend passes
   * the model registry's figure, which the configuration and the catalogue may refine.
   */
  maxOutputTokens: number;
  /** The context window, in tokens, by the same rules (for the overflow error when Bedrock states none). */
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

const BEDROCK: ModelHints = { provider: "bedrock" };

/** The limits and vision the model registry's own rules give a Bedrock model (`src/models/`). */
function limits(id: string): Pick<BedrockModelInfo, "maxOutputTokens" | "contextWindow" | "supportsImages"> {
  const spec = ruleSpec(id, BEDROCK);
  return {
    maxOutputTokens: outputCap(spec, BEDROCK),
    contextWindow: spec.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
    supportsImages: spec.images === true,
  };
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
  const { tier, version } = claudeVersion(id);
  const opus = tier === "opus";
  const adaptiveOnly = version >= 4.7;
  const { maxOutputTokens, contextWindow, supportsImages } = limits(id);
  return {
    family: "claude",
    version,
    maxOutputTokens,
    contextWindow,
    supportsTopK: !adaptiveOnly,
    supportsThinking: version >= 3.7,
    supportsAdaptiveThinking: version >= 4.6,
    adaptiveOnly,
    supportsEffort: version >= 4.6 || (opus && version >= 4.5),
    effortBeta: opus && version === 4.5,
    exclusiveSampling: version >= 4.1,
    supportsCachePoints: version >= 3.7 || (tier === "haiku" && version === 3.5),
    supportsCacheTtl: version >= 4.5,
    supportsImages,
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

function novaInfo(id: string): BedrockModelInfo {
  const micro = id.includes("micro");
  return {
    ...BASE,
    family: "nova",
    ...limits(id),
    supportsTopK: true,
    supportsCachePoints: true,
    supportsDocuments: !micro,
    supportsToolChoice: true,
    supportsToolChoiceTool: true,
    supportsToolResultStatus: true,
  };
}

/** The rules of the families other than Claude, by the provider prefix of the foundation-model id. */
const PROVIDER_RULES: ReadonlyMap<string, (id: string) => BedrockModelInfo> = new Map([
  ["amazon", (id: string) => id.includes("nova") ? novaInfo(id) : BASE],
  ["meta", (id: string): BedrockModelInfo => {
    return {
      ...BASE,
      family: "llama",
      ...limits(id),
      supportsDocuments: true,
    };
  }],
  ["mistral", (id: string): BedrockModelInfo => ({
    ...BASE,
    family: "mistral",
    ...limits(id),
    supportsDocuments: true,
  })],
  // Only R1 takes stop sequences (langchain-aws #664); V3.x rejects the field.
  ["deepseek", (id: string): BedrockModelInfo => ({
    ...BASE,
    family: "deepseek",
    ...limits(id),
    supportsStopSequences: id.includes("r1"),
  })],
  ["qwen", (id: string): BedrockModelInfo => ({
    ...BASE,
    family: "qwen",
    ...limits(id),
    // "This model doesn't support the stopSequences field" (dify-official-plugins #1767).
    supportsStopSequences: false,
  })],
  // gpt-oss rejects stopSequences on every call (crewAI #3317).
  ["openai", (id: string): BedrockModelInfo => ({
    ...BASE,
    family: "openai",
    ...limits(id),
    supportsStopSequences: false,
    supportsToolChoice: true,
  })],
]);

/**
 * The capabilities of a Bedrock model, from a foundation-model id, an inference-profile id or an ARN.
 *
 * @example
 * ```ts
 * bedrockModelInfo("global.anthropic.claude-opus-4-7").adaptiveOnly; // true
 * ```
 */
export function bedrockModelInfo(modelId: string): BedrockModelInfo {
  let info = known.get(modelId);
  if (info) return info;
  // Frozen: one object answers every later request for the id, so no caller may change it.
  info = Object.freeze(modelInfo(modelId));
  if (known.size >= KNOWN_MAX) known.clear();
  known.set(modelId, info);
  return info;
}

// Asked several times a request (media capabilities, the translator, the API choice) about the handful
// of ids a backend serves; the rules' regular expressions cost more than the rest of the lookup.
const known = new Map<string, BedrockModelInfo>();
const KNOWN_MAX = 256;

function modelInfo(modelId: string): BedrockModelInfo {
  const id = foundationModelId(modelId).toLowerCase();
  const dot = id.indexOf(".");
  const provider = dot > 0 ? id.slice(0, dot) : "";
  if (provider === "anthropic" || id.includes("claude")) return claudeInfo(id);
  return PROVIDER_RULES.get(provider)?.(id) ?? BASE;
}

/** Which Bedrock path a request goes through. */
export type BedrockApi = "converse" | "invoke";
