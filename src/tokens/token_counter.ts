/**
 * `count_tokens` for backends without a counting API: a BPE count (o200k, `gpt-tokenizer`) made in a
 * worker behind a bounded queue, with relayx's estimate wherever the input or the time is past its bound.
 *
 * @module
 */
import { RelayError } from "../errors.ts";
import { DEFAULT_LIMITS, type Limits } from "../limits.ts";
import { estimateInputTokens, textsToCount, type TokenCountRequest } from "../tokens.ts";
import { createTokenizerQueue, type QueueOutcome } from "./tokenizer_queue.ts";
import { tokenizerWorkerUrl } from "./tokenizer_worker.ts";

/** The limits a counter keeps (see {@linkcode Limits}), and the tokenizer module tests replace. */
export type TokenCounterOptions =
  & Pick<Limits, "tokenizerMaxChars" | "tokenizerTimeoutMs" | "tokenizerQueue" | "tokenizerIdleMs">
  & {
    /** The module the worker imports `countTokens` from (tests pass a `data:` module). */
    tokenizerModule?: string;
  };

/** A count, and how it was made. */
export type TokenCount =
  | { tokens: number; method: "tokenizer" }
  /** relayx's estimate, and why the tokenizer did not count. */
  | { tokens: number; method: "estimate"; reason: string };

/** Counts requests' input tokens: see {@linkcode createTokenCounter}. */
export interface TokenCounter {
  /**
   * Counts a request's input tokens.
   *
   * @throws {RelayError} `overloaded_error` (529, `retry-after`) when the queue is full, and a 499
   * "Client disconnected" when `signal` aborts while the count waits.
   */
  count(request: TokenCountRequest, signal?: AbortSignal): Promise<TokenCount>;
  /** Stops the worker (counts in flight get the estimate); the next count starts a new one. */
  close(): void;
}

// Longest piece the tokenizer gets. BPE costs time quadratic in a piece's length: whole, 100,000 random
// Thai letters (one piece) take about 46 s, 100,000 CJK characters 26 s; in pieces of 256, the worst text
// we could construct costs about 4 µs a character (bench/tokenizer.ts). Pieces end where the tokenizer's
// own do, so the text of the captured Claude Code requests counts exactly as it does whole.
const MAX_PIECE = 256;

// Claude Code resends the same system blocks, tools and history each turn: counts are remembered per
// text of 64 characters or more, so only new text is tokenized; least recently used first out, bounded by
// the characters the keys hold.
const MAX_CACHED_CHARS = 4 * 1024 * 1024;
const MIN_CACHED_LENGTH = 64;

class _CountCache {
  #counts = new Map<string, number>();
  #chars = 0;

  get(text: string): number | undefined {
    const n = this.#counts.get(text);
    if (n !== undefined) {
      this.#counts.delete(text);
      this.#counts.set(text, n);
    }
    return n;
  }

  set(text: string, n: number): void {
    if (text.length < MIN_CACHED_LENGTH || this.#counts.has(text)) return;
    this.#counts.set(text, n);
    this.#chars += text.length;
    for (const oldest of this.#counts.keys()) {
      if (this.#chars <= MAX_CACHED_CHARS) break;
      this.#counts.delete(oldest);
      this.#chars -= oldest.length;
    }
  }
}

/**
 * Creates a counter. Its worker starts on the first count, stops after `tokenizerIdleMs` without one,
 * and never keeps the process alive while idle.
 *
 * Queue full: `529 overloaded_error` with `retry-after: 1`, rather than `429 rate_limit_error`, because
 * the limit is relayx's own capacity, shared by every client, not a rate this client exceeded; both are
 * retried by the Anthropic SDKs and Claude Code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_LIMITS } from "../limits.ts";
 *
 * const counter = createTokenCounter(DEFAULT_LIMITS);
 * const count = await counter.count({
 *   model: "claude-sonnet-4-5",
 *   messages: [{ role: "user", content: [{ type: "text", text: "Hello, world" }] }],
 * });
 * assert.deepEqual(count, { tokens: 7, method: "tokenizer" }); // 4 per message, "Hello", ",", " world"
 * counter.close();
 * ```
 */
export function createTokenCounter(options: TokenCounterOptions): TokenCounter {
  const queue = createTokenizerQueue({
    url: tokenizerWorkerUrl(options.tokenizerModule),
    maxJobs: options.tokenizerQueue,
    timeoutMs: options.tokenizerTimeoutMs,
    idleMs: options.tokenizerIdleMs,
  });
  const cache = new _CountCache();
  const estimate = (request: TokenCountRequest, reason: string): TokenCount => ({
    tokens: estimateInputTokens(request),
    method: "estimate",
    reason,
  });

  const count = async (request: TokenCountRequest, signal?: AbortSignal): Promise<TokenCount> => {
    const { fixed, texts } = textsToCount(request);
    let chars = 0;
    for (const t of texts) chars += t.length;
    if (chars > options.tokenizerMaxChars) {
      return estimate(
        request,
        `${chars} characters are past the tokenizer's bound (RELAYX_TOKENIZER_MAX_CHARS)`,
      );
    }
    // Counts in hand before the worker's arrive, so that remembering those cannot evict these.
    const known = new Map<string, number>();
    const missing = new Set<string>();
    for (const t of texts) {
      if (known.has(t) || missing.has(t)) continue;
      const n = cache.get(t);
      if (n === undefined) missing.add(t);
      else known.set(t, n);
    }
    if (missing.size) {
      const asked = [...missing];
      const outcome = await queue.run(asked, MAX_PIECE, signal);
      if (outcome.kind !== "counted") return _notCounted(outcome, request, options, estimate);
      asked.forEach((t, i) => {
        const n = outcome.counts[i] ?? 0;
        known.set(t, n);
        cache.set(t, n);
      });
    }
    let tokens = fixed;
    for (const t of texts) tokens += known.get(t) ?? 0;
    return { tokens: Math.max(1, Math.round(tokens)), method: "tokenizer" };
  };

  return { count, close: () => queue.close() };
}

function _notCounted(
  outcome: Exclude<QueueOutcome, { kind: "counted" }>,
  request: TokenCountRequest,
  options: TokenCounterOptions,
  estimate: (request: TokenCountRequest, reason: string) => TokenCount,
): TokenCount {
  switch (outcome.kind) {
    case "full":
      throw new RelayError(
        "overloaded_error",
        `relayx's tokenizer is busy: ${options.tokenizerQueue} counts are waiting (RELAYX_TOKENIZER_QUEUE)`,
        { retryAfter: "1", shouldRetry: true },
      );
    case "aborted":
      throw new RelayError("api_error", "Client disconnected", { status: 499 });
    case "timeout":
      return estimate(
        request,
        `the tokenizer took longer than ${options.tokenizerTimeoutMs} ms (RELAYX_TOKENIZER_TIMEOUT)`,
      );
    case "failed":
      return estimate(request, outcome.reason);
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

let shared: TokenCounter | undefined;

/**
 * The counter of apps created without one: default limits, created on first use.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(sharedTokenCounter(), sharedTokenCounter());
 * ```
 */
export function sharedTokenCounter(): TokenCounter {
  shared ??= createTokenCounter(DEFAULT_LIMITS);
  return shared;
}
