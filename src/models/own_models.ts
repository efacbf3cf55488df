/**
 * relayx's own model facts, which the registry puts above the catalogue: entries for models released
 * after the catalogue's data ends (2025-09), and the limits of the upstreams themselves where they differ
 * from a model's published ones (Bedrock's request schemas cap some models' output below the model's
 * own cap; a local server's output is bounded by the context it was started with). Pure.
 *
 * Sources (Dec 2026): the providers' model pages and price lists, AWS's per-model request schemas.
 *
 * @module
 */
import type { ModelHints, ModelSpec } from "./model_spec.ts";
import { modelKeys, servedId } from "./model_id.ts";

/** Entries by canonical key (see `modelKeys`): models the catalogue predates. */
const ENTRIES: Readonly<Record<string, ModelSpec>> = {
  "claude-opus-4-5": {
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    reasoning: true,
    images: true,
    pdf: true,
    price: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  },
  "claude-sonnet-4-5": {
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    reasoning: true,
    images: true,
    pdf: true,
    price: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  },
  "claude-haiku-4-5": {
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    reasoning: true,
    images: true,
    pdf: true,
    price: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  },
  "gemini-3-pro-preview": {
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    reasoning: true,
    images: true,
    pdf: true,
    price: { input: 2, output: 12, cacheRead: 0.2 },
  },
  "gemini-2-5-flash-lite": {
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    reasoning: true,
    images: true,
    pdf: true,
    price: { input: 0.1, output: 0.4, cacheRead: 0.01 },
  },
  "gpt-5-1": {
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    reasoning: true,
    images: true,
    price: { input: 1.25, output: 10, cacheRead: 0.125 },
  },
  "gpt-5-1-codex": {
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    reasoning: true,
    images: true,
    price: { input: 1.25, output: 10, cacheRead: 0.125 },
  },
  "gpt-5-1-codex-mini": {
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    reasoning: true,
    images: true,
    price: { input: 0.25, output: 2, cacheRead: 0.025 },
  },
  "gpt-5-codex": {
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    reasoning: true,
    images: true,
    price: { input: 1.25, output: 10, cacheRead: 0.125 },
  },
  // The catalogue gives deepseek-reasoner its context as output cap; DeepSeek's API takes 64K at most.
  "deepseek-reasoner": {
    contextWindow: 128_000,
    maxOutputTokens: 65_536,
    reasoning: true,
    images: false,
    price: { input: 0.28, output: 0.42, cacheRead: 0.028 },
  },
  "glm-4-6": {
    contextWindow: 200_000,
    maxOutputTokens: 128_000,
    reasoning: true,
    images: false,
    price: { input: 0.6, output: 2.2, cacheRead: 0.11 },
  },
  "kimi-k2-thinking": {
    contextWindow: 262_144,
    reasoning: true,
    images: false,
    price: { input: 0.6, output: 2.5, cacheRead: 0.15 },
  },
};

// Local servers: the output budget must fit the context the server was started with, which relayx cannot
// see; 16K is ample for an agent turn and fits every current open model (override per model to change).
const LOCAL_MAX_OUTPUT = 16_384;
const LOCAL = new Set(["ollama", "lmstudio", "vllm"]);

/** The largest `maxTokens` Bedrock's request schema takes for a foundation model other than Claude. */
function bedrockOutputCap(provider: string, id: string): number | undefined {
  switch (provider) {
    case "amazon":
      // The Nova 1 request schema caps maxTokens at 5,000; newer Nova models are assumed to take 10,000.
      return id.includes("nova") ? (/nova-(?:micro|lite|pro)-v1/.test(id) ? 5000 : 10_000) : undefined;
    case "meta":
      // Bedrock's Llama 3 takes max_gen_len up to 2,048.
      return id.includes("llama4") ? 8192 : 2048;
    case "mistral":
      return 8192;
    case "deepseek":
      return 32_768;
    case "qwen":
      return id.includes("qwen3-32b") ? 16_384 : 32_768;
    case "openai":
      return 16_384;
    default:
      return undefined;
  }
}

function upstreamRule(model: string, hints: ModelHints): ModelSpec {
  if (hints.provider !== undefined && LOCAL.has(hints.provider)) return { maxOutputTokens: LOCAL_MAX_OUTPUT };
  const id = servedId(model);
  const dot = id.indexOf(".");
  if (dot <= 0 || id.includes("/") || id.includes("claude")) return {};
  const cap = bedrockOutputCap(id.slice(0, dot), id);
  return cap === undefined ? {} : { maxOutputTokens: cap };
}

/**
 * relayx's own facts about a model: its entry (for models newer than the catalogue) merged under the
 * upstream's own limits; empty when relayx has neither.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(ownSpec("us.anthropic.claude-sonnet-4-5-20250929-v1:0", {}).price?.input, 3);
 * assert.equal(ownSpec("amazon.nova-pro-v1:0", { provider: "bedrock" }).maxOutputTokens, 5000);
 * assert.equal(ownSpec("qwen3-coder:30b", { provider: "ollama" }).maxOutputTokens, 16_384);
 * ```
 */
export function ownSpec(model: string, hints: ModelHints): ModelSpec {
  let entry: ModelSpec | undefined;
  for (const key of modelKeys(model)) {
    entry = ENTRIES[key];
    if (entry) break;
  }
  return { ...entry, ...upstreamRule(model, hints) };
}
