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

// Longest piece the tokenizer gets. Its cost grows with the square of a piece's length; at 256 UTF-16
// units the worst text costs about as much per character as random bytes, and the text of every
// captured Claude Code request counts exactly as it does whole (pieces end where the tokenizer's own do).
const MAX_PIECE = 256;

// Claude Code resends the same system blocks, tools and history each turn: counts are remembered per
// text (≥ 64 characters), so only new text is tokenized. Bounded by the characters the keys hold.
const MAX_CACHED_CHARS = 4 * 1024 * 1024;
const MIN_CACHED_LENGTH = 64;

function _remember(cache: Map<string, number>, texts: string[], counts: number[], size: { chars: number }) {
  texts.forEach((text, i) => {
    const n = counts[i];
    if (n === undefined || text.length < MIN_CACHED_LENGTH || cache.has(text)) return;
    cache.set(text, n);
    size.chars += text.length;
  });
  for (const oldest of cache.keys()) {
    if (size.chars <= MAX_CACHED_CHARS) break;
    cache.delete(oldest);
    size.chars -= oldest.length;
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
  const cache = new Map<string, number>();
  const size = { chars: 0 };
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
    const missing = [...new Set(texts.filter((t) => !cache.has(t)))];
    const known = new Map<string, number>();
    if (missing.length) {
      const outcome = await queue.run(missing, MAX_PIECE, signal);
      if (outcome.kind !== "counted") return _notCounted(outcome, request, options, estimate);
      outcome.counts.forEach((n, i) => known.set(missing[i] ?? "", n));
      _remember(cache, missing, outcome.counts, size);
    }
    let tokens = fixed;
    for (const t of texts) tokens += known.get(t) ?? cache.get(t) ?? 0;
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
