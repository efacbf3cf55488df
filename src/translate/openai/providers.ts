/**
 * What each OpenAI-compatible provider accepts. Everything provider-specific in the OpenAI translation
 * reads these flags, so that adding a provider is one entry here.
 *
 * @module
 */

/** The OpenAI-compatible providers relayx knows the quirks of. */
export type ProviderName =
  | "openai"
  | "gemini"
  | "ollama"
  | "lmstudio"
  | "openrouter"
  | "deepseek"
  | "vllm"
  | "generic";

/** How a provider takes reasoning settings and returns reasoning. */
export type ReasoningStyle = "openai" | "gemini" | "openrouter" | "deepseek" | "ollama" | "vllm" | "generic";

/** The quirks of one provider. */
export interface ProviderProfile {
  /** Which provider this is. */
  name: ProviderName;
  /** Takes `role: "system"` messages after the first (else they become marked user text). */
  laterSystemMessages: boolean;
  /** Accepts `top_k`. */
  topK: boolean;
  /** Accepts the `user` field. */
  userField: boolean;
  /** Accepts image parts. */
  images: boolean;
  /** Accepts PDF `file` parts. */
  pdfFiles: boolean;
  /** Rejects JSON-Schema keywords outside an OpenAPI subset (Gemini). */
  strictSchemas: boolean;
  /** Passes Anthropic `cache_control` through on content parts (OpenRouter). */
  cacheControl: boolean;
  /** Accepts `stream_options.include_usage`. */
  streamUsage: boolean;
  /** How reasoning is requested and returned. */
  reasoning: ReasoningStyle;
  /** Needs a non-empty API key (hosted) or not (local servers). */
  needsKey: boolean;
  /** The default base URL. */
  baseUrl: string;
  /**
   * The longest tool call id it takes (OpenAI: 40, "string too long"); longer ids, which other upstreams
   * make, are aliased. Default 64.
   */
  maxToolIdLength?: number;
}

const base: Omit<ProviderProfile, "name" | "baseUrl"> = {
  laterSystemMessages: true,
  topK: false,
  userField: false,
  images: true,
  pdfFiles: false,
  strictSchemas: false,
  cacheControl: false,
  streamUsage: true,
  reasoning: "generic",
  needsKey: false,
};

/** The built-in provider profiles. */
export const PROVIDERS: Readonly<Record<ProviderName, ProviderProfile>> = {
  openai: {
    ...base,
    name: "openai",
    userField: true,
    pdfFiles: true,
    reasoning: "openai",
    needsKey: true,
    baseUrl: "https://api.openai.com/v1",
    maxToolIdLength: 40,
  },
  gemini: {
    ...base,
    name: "gemini",
    // Gemini folds every system message into one system instruction; later ones are rejected or
    // reordered, so mid-conversation system text travels as a marked user note.
    laterSystemMessages: false,
    strictSchemas: true,
    reasoning: "gemini",
    needsKey: true,
    baseUrl: "https://generativelanguage.googleapis.com/v1beta/openai",
  },
  ollama: {
    ...base,
    name: "ollama",
    // Local chat templates usually accept one leading system message only.
    laterSystemMessages: false,
    reasoning: "ollama",
    baseUrl: "http://localhost:11434/v1",
  },
  lmstudio: {
    ...base,
    name: "lmstudio",
    laterSystemMessages: false,
    topK: true,
    reasoning: "generic",
    baseUrl: "http://localhost:1234/v1",
  },
  openrouter: {
    ...base,
    name: "openrouter",
    topK: true,
    userField: true,
    pdfFiles: true,
    cacheControl: true,
    reasoning: "openrouter",
    needsKey: true,
    baseUrl: "https://openrouter.ai/api/v1",
  },
  deepseek: {
    ...base,
    name: "deepseek",
    laterSystemMessages: false,
    images: false,
    reasoning: "deepseek",
    needsKey: true,
    baseUrl: "https://api.deepseek.com/v1",
  },
  vllm: {
    ...base,
    name: "vllm",
    laterSystemMessages: false,
    topK: true,
    reasoning: "vllm",
    baseUrl: "http://localhost:8000/v1",
  },
  generic: { ...base, name: "generic", laterSystemMessages: false, baseUrl: "http://localhost:8000/v1" },
};

/** Guesses the provider from a base URL (used when `OPENAI_PROVIDER` is unset). */
export function detectProvider(baseUrl: string): ProviderName {
  let host = "";
  let port = "";
  try {
    const url = new URL(baseUrl);
    host = url.hostname;
    port = url.port;
  } catch {
    return "generic";
  }
  if (host.endsWith("generativelanguage.googleapis.com")) return "gemini";
  if (host.endsWith("openai.com")) return "openai";
  if (host.endsWith("openrouter.ai")) return "openrouter";
  if (host.endsWith("deepseek.com")) return "deepseek";
  if (port === "11434") return "ollama";
  if (port === "1234") return "lmstudio";
  if (port === "8000") return "vllm";
  return "generic";
}

/**
 * The smallest `max_tokens` a model accepts, where it is more than 1; relayx raises a smaller one (a
 * client's one-token model check) to it rather than get a 400.
 *
 * OpenRouter serves OpenAI's models through OpenAI's or Azure's Responses API, whose `max_output_tokens`
 * starts at 16: "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but
 * got 10 instead" (relayed by OpenRouter, github.com/vectorize-io/hindsight/issues/58). Chat completions
 * at OpenAI itself take 1, and thinking models elsewhere (Gemini, DeepSeek, OpenAI's reasoning models)
 * accept a tiny budget and spend it on thinking: they answer empty, with `finish_reason: "length"`.
 *
 * @example
 * ```ts
 * minOutputTokens("openrouter", "openai/gpt-5"); // 16
 * minOutputTokens("openai", "gpt-5"); // 1
 * ```
 */
export function minOutputTokens(provider: ProviderName, model: string): number {
  if (provider === "openrouter" && model.toLowerCase().startsWith("openai/")) return 16;
  return 1;
}

/** True for OpenAI reasoning models, which take `max_completion_tokens`, `developer` and no temperature. */
export function isOpenAIReasoningModel(model: string): boolean {
  return /^(?:openai\/)?(?:o\d|gpt-5)/.test(model);
}
