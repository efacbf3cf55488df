/**
 * What relayx knows about one upstream model: its limits, what it takes, and what it costs. The model
 * registry answers these; the configuration file's `models` section overrides them.
 *
 * @module
 */
import type { ProviderName } from "../translate/openai/providers.ts";

/** Prices in US dollars per million tokens. */
export interface ModelPrice {
  /** Uncached input tokens. */
  input: number;
  /** Output tokens (reasoning included). */
  output: number;
  /** Input tokens read from the prompt cache. */
  cacheRead?: number;
  /** Input tokens written to the prompt cache. */
  cacheWrite?: number;
}

/**
 * One upstream model's facts. Every field is optional: an unknown model has none, and relayx then
 * applies its conservative defaults.
 *
 * @example An override as the configuration file gives it
 * ```ts
 * const spec: ModelSpec = { contextWindow: 65_536, maxOutputTokens: 16_384, images: false, pdf: false };
 * ```
 */
export interface ModelSpec {
  /** Input plus output tokens the model accepts in one request. */
  contextWindow?: number;
  /** The largest `max_tokens` it accepts. */
  maxOutputTokens?: number;
  /** It reasons (takes a thinking budget or effort). */
  reasoning?: boolean;
  /** It takes images. */
  images?: boolean;
  /** It takes PDF documents natively. */
  pdf?: boolean;
  /** What it costs. */
  price?: ModelPrice;
}

/**
 * Who serves a model: an OpenAI-compatible provider's name, `bedrock`, or `anthropic` (an
 * Anthropic-format upstream). The same model id can mean different limits at different upstreams
 * (DeepSeek's own API caps output lower than gateways do; a local server's output is capped by its
 * context setting).
 */
export type ModelProvider = ProviderName | "bedrock" | "anthropic";

/** What a lookup knows besides the model id. */
export interface ModelHints {
  /** The upstream that serves the model. */
  provider?: ModelProvider;
}
