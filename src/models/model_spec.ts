/**
 * What relayx knows about one upstream model: its limits, what it takes, and what it costs. The model
 * registry answers these; the configuration file's `models` section overrides them.
 *
 * @module
 */

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
