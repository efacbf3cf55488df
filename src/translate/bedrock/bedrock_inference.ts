/**
 * The per-request inference settings both Bedrock paths (Converse and the native Invoke body) resolve the
 * same way for one model: max tokens, sampling, thinking, effort and `anthropic_beta` flags, with a warning
 * for everything dropped or changed. What a model accepts comes from `bedrock_models.ts`.
 *
 * @module
 */
import type { Effort, MessagesRequest, ThinkingConfig } from "../../anthropic/types.ts";
import { isRelaySignature } from "../signature.ts";
import type { BedrockApi, BedrockModelInfo } from "./bedrock_models.ts";

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

/**
 * True when resolved thinking is on (budgeted or adaptive), which forbids forced tool use and sampling
 * changes.
 *
 * @example
 * ```ts
 * isThinkingOn({ type: "adaptive" }); // true
 * isThinkingOn({ type: "disabled" }); // false
 * ```
 */
export function isThinkingOn(thinking: BedrockThinking | undefined): boolean {
  return thinking !== undefined && thinking.type !== "disabled";
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

/** The effort a Claude model takes for the one asked: none where it has none, else the nearest it has. */
function claudeEffort(
  effort: Effort | undefined,
  info: BedrockModelInfo,
  warn: (message: string) => void,
): Effort | undefined {
  if (effort && !info.supportsEffort) {
    warn(`output_config.effort: not supported by this Claude version on Bedrock; dropped`);
    return undefined;
  }
  // xhigh exists from Opus 4.7 on, max from 4.6 on; older models would reject either.
  if (effort === "xhigh" && !info.adaptiveOnly) return "high";
  if (effort === "max" && !info.supportsAdaptiveThinking) return "high";
  return effort;
}

function resolveThinking(
  req: MessagesRequest,
  info: BedrockModelInfo,
  maxTokens: number,
  warn: (message: string) => void,
): { thinking?: BedrockThinking; effort?: Effort } {
  const requested: ThinkingConfig | undefined = req.thinking;
  if (info.family !== "claude") {
    if (requested && requested.type !== "disabled") {
      warn("thinking: not supported by this Bedrock model; dropped");
    }
    if (req.output_config?.effort) warn("output_config.effort: not supported by this Bedrock model; dropped");
    return {};
  }
  let effort = claudeEffort(req.output_config?.effort, info, warn);
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
  let temperature = req.temperature;
  let topP = req.top_p;
  let topK = req.top_k;
  if (info.family === "claude" && (isThinkingOn(thinking) || info.adaptiveOnly)) {
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
