/**
 * What a request cost: its four token counts times the upstream model's prices. A price relayx does not
 * know gives an unknown cost, never zero.
 *
 * @module
 */
import type { ModelPrice } from "../models/model_spec.ts";

/**
 * The price of an upstream model as served by one backend (the target's backend name, or the backend kind
 * without routes), or undefined when relayx does not know it.
 */
export type PriceOf = (upstreamModel: string, backend: string) => ModelPrice | undefined;

/** The four token counts of one request. */
export interface TokenCounts {
  /** Input tokens, not counting cached ones. */
  input: number;
  /** Output tokens. */
  output: number;
  /** Input tokens read from the prompt cache. */
  cacheRead: number;
  /** Input tokens written to the prompt cache. */
  cacheWrite: number;
}

/**
 * The cost in US dollars, or undefined when a count that is not zero has no price (a model without a
 * cache-read price that read from the cache: guessing would be wrong either way).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const price = { input: 3, output: 15 };
 * assert.equal(costOf({ input: 1_000_000, output: 100_000, cacheRead: 0, cacheWrite: 0 }, price), 4.5);
 * assert.equal(costOf({ input: 10, output: 1, cacheRead: 5, cacheWrite: 0 }, price), undefined);
 * ```
 */
export function costOf(tokens: TokenCounts, price: ModelPrice | undefined): number | undefined {
  if (!price) return undefined;
  const parts: [number, number | undefined][] = [
    [tokens.input, price.input],
    [tokens.output, price.output],
    [tokens.cacheRead, price.cacheRead],
    [tokens.cacheWrite, price.cacheWrite],
  ];
  let total = 0;
  for (const [count, perMillion] of parts) {
    if (count === 0) continue;
    if (perMillion === undefined) return undefined;
    total += count * perMillion;
  }
  return total / 1_000_000;
}
