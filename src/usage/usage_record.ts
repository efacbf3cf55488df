/**
 * One request's usage record, made from its log record when the request ends: figures and names only,
 * never a prompt, a completion, an error message or a header value other than the caller's names.
 *
 * @module
 */
import type { RequestLog } from "../log.ts";
import { costOf, type PriceOf } from "./cost.ts";

/** What the usage store keeps of one request. */
export interface UsageRecord {
  /** When the request started, in milliseconds since the epoch. */
  time: number;
  /** relayx's request id (`req_...`). */
  requestId: string;
  /** Claude Code's session id, when the client sent one. */
  session?: string;
  /** The client program (`claude-cli/2.1.3`). */
  client?: string;
  /** The route that matched, in configurations with routes. */
  route?: string;
  /** The backend kind (`router` when routes chose the target). */
  backend: string;
  /** The target that served (`NAME` or `NAME/MODEL`). */
  target?: string;
  /** The targets tried before it, with their outcome. */
  tried: string[];
  /** The model the client asked for. */
  model?: string;
  /** The upstream model that served. */
  upstreamModel?: string;
  /** True for a streamed answer. */
  stream: boolean;
  /** Input tokens, not counting cached ones. */
  inputTokens: number;
  /** Output tokens. */
  outputTokens: number;
  /** Input tokens read from the prompt cache. */
  cacheReadTokens: number;
  /** Input tokens written to the prompt cache. */
  cacheWriteTokens: number;
  /** US dollars; undefined when the upstream model's price is unknown. */
  cost?: number;
  /** Milliseconds to the first stream event. */
  ttfbMs?: number;
  /** Milliseconds to the end of the answer. */
  totalMs: number;
  /** The HTTP status (for a stream, how it ended). */
  status: number;
  /** The Anthropic error type of a failure. */
  errorType?: string;
}

/** The path whose requests are usage: the model calls. */
export const USAGE_PATH = "/v1/messages";

// The backend name a target's price is looked up under: `NAME` of `NAME/MODEL`, else the backend kind.
function _backendName(entry: RequestLog): string {
  const target = entry.target;
  if (target === undefined) return entry.backend;
  const slash = target.indexOf("/");
  return slash === -1 ? target : target.slice(0, slash);
}

/**
 * The usage record of a finished request, or undefined for a request that is not a model call (health
 * checks, model lists, token counts). `end` is when it ended (`Date.now()`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const record = toUsageRecord({
 *   request_id: "req_1", backend: "openai_compatible", method: "POST", path: "/v1/messages", status: 200,
 *   upstream_model: "gpt-4.1", input_tokens: 1000, output_tokens: 100, total_ms: 500,
 * }, 1_700_000_000_500, () => ({ input: 2, output: 8 }));
 * assert.equal(record?.time, 1_700_000_000_000);
 * assert.equal(record?.cost, 0.0028);
 * ```
 */
export function toUsageRecord(entry: RequestLog, end: number, priceOf: PriceOf): UsageRecord | undefined {
  if (entry.method !== "POST" || entry.path !== USAGE_PATH) return undefined;
  const tokens = {
    input: entry.input_tokens ?? 0,
    output: entry.output_tokens ?? 0,
    cacheRead: entry.cache_read_input_tokens ?? 0,
    cacheWrite: entry.cache_creation_input_tokens ?? 0,
  };
  const model = entry.upstream_model;
  const price = model === undefined ? undefined : priceOf(model, _backendName(entry));
  // A request that used no token cost nothing, priced or not (a 400 before the upstream was called).
  const used = tokens.input + tokens.output + tokens.cacheRead + tokens.cacheWrite > 0;
  const cost = used ? costOf(tokens, price) : 0;
  return {
    time: Math.round(end - entry.total_ms),
    requestId: entry.request_id,
    session: entry.session_id,
    client: entry.client,
    route: entry.route,
    backend: entry.backend,
    target: entry.target,
    tried: entry.tried ? [...entry.tried] : [],
    model: entry.model,
    upstreamModel: model,
    stream: entry.stream === true,
    inputTokens: tokens.input,
    outputTokens: tokens.output,
    cacheReadTokens: tokens.cacheRead,
    cacheWriteTokens: tokens.cacheWrite,
    cost,
    ttfbMs: entry.ttfb_ms,
    totalMs: entry.total_ms,
    status: entry.status,
    errorType: entry.error_type,
  };
}
