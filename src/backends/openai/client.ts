/**
 * The `openai` SDK client of the OpenAI-compatible backend. The SDK builds and sends the request (base
 * URL, auth, headers); a non-2xx answer is thrown with its body intact ({@linkcode UpstreamHttpError}),
 * because the SDK's own errors lose bodies such as Gemini's array-shaped ones.
 *
 * @module
 */
import OpenAI from "openai";
import type { OpenAIConfig } from "../../config.ts";
import { abortableFetch } from "../abortable_fetch.ts";
import { retryOnce } from "../retry_once.ts";

/** An upstream answered with a non-2xx status; carries the raw body the SDK would discard. */
export class UpstreamHttpError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The response body as text (empty when it could not be read). */
  readonly body: string;
  /** The response headers (for retry-after). */
  readonly headers: Headers;

  /** Records an upstream's non-2xx answer. */
  constructor(status: number, body: string, headers: Headers) {
    super(`Upstream HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

// Handed to the SDK: a non-2xx answer is thrown with its body intact instead of being parsed by the SDK.
function capturing(base: typeof fetch): typeof fetch {
  return async (input, init) => {
    const res = await base(input, init);
    if (res.ok) return res;
    const body = await res.text().catch(() => "");
    throw new UpstreamHttpError(res.status, body, res.headers);
  };
}

/**
 * The client requests are sent with: no SDK retries, the capturing fetch, and under it the one retry of a
 * request the upstream never answered (`retry_once.ts`) and a fetch whose abort outlives the response
 * object (`abortable_fetch.ts`). relayx's own timeouts (`upstream_watch.ts`) end
 * calls; the SDK's `timeoutMs` is only a backstop behind them.
 *
 * @example
 * ```ts
 * const client = createOpenAIClient({
 *   kind: "openai_compatible",
 *   apiKey: "",
 *   baseUrl: "http://localhost:11434/v1",
 *   model: "qwen3-coder",
 *   smallModel: "qwen3-coder",
 *   provider: "ollama",
 * }, fetch);
 * ```
 */
export function createOpenAIClient(
  config: OpenAIConfig,
  base: typeof fetch,
  timeoutMs: number = 10 * 60 * 1000,
): OpenAI {
  return new OpenAI({
    apiKey: config.apiKey || "relayx-no-key",
    baseURL: config.baseUrl,
    // Claude Code retries itself, honouring retry-after; a second retry layer here would multiply waits.
    maxRetries: 0,
    timeout: timeoutMs,
    fetch: capturing(retryOnce(abortableFetch(base))),
  });
}
