/**
 * How the OpenAI-compatible backend sends a chat-completions call: the `openai` SDK builds the URL and
 * headers (base URL, auth, its identifying headers) once, and each call is one plain `fetch` with them.
 * The SDK's per-call layer (option merging, header building, its timers and abort wiring) cost about a
 * third of relayx's CPU per request and most of the garbage that outlived a scavenge (bench, issue 13);
 * relayx's own watch (`upstream_watch.ts`) already times calls out. A non-2xx answer is thrown with its
 * body intact ({@linkcode UpstreamHttpError}): Gemini's error bodies are arrays, which the SDK's errors
 * lose.
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

// A non-2xx answer is thrown with its body intact.
function capturing(base: typeof fetch): typeof fetch {
  return async (input, init) => {
    const res = await base(input, init);
    if (res.ok) return res;
    const body = await res.text().catch(() => "");
    throw new UpstreamHttpError(res.status, body, res.headers);
  };
}

/** Sends one chat-completions POST: the JSON body (text or UTF-8 bytes), aborted by `signal`. */
export type ChatSend = (body: string | Uint8Array<ArrayBuffer>, signal: AbortSignal) => Promise<Response>;

/**
 * The SDK client that builds requests: no SDK retries (Claude Code retries itself, honouring
 * retry-after; a second layer here would multiply waits), and `timeoutMs` for its `X-Stainless-Timeout`
 * header.
 */
function sdkClient(config: OpenAIConfig, timeoutMs: number): OpenAI {
  return new OpenAI({
    apiKey: config.apiKey || "relayx-no-key",
    baseURL: config.baseUrl,
    maxRetries: 0,
    timeout: timeoutMs,
  });
}

/**
 * The send function of an OpenAI-compatible backend. The SDK builds the URL and headers of
 * `POST /chat/completions` once (on the first call); each call then goes through `base` wrapped by the
 * one retry of a request the upstream never answered (`retry_once.ts`), a fetch whose abort outlives the
 * response object (`abortable_fetch.ts`), and the capture of non-2xx answers. relayx's own timeouts
 * (`upstream_watch.ts`) end calls; `timeoutMs` is only what the SDK's `X-Stainless-Timeout` header says.
 *
 * @example
 * ```ts
 * const send = createChatSend({
 *   kind: "openai_compatible",
 *   apiKey: "",
 *   baseUrl: "http://localhost:11434/v1",
 *   model: "qwen3-coder",
 *   smallModel: "qwen3-coder",
 *   provider: "ollama",
 * }, fetch);
 * const body = JSON.stringify({ model: "qwen3-coder", messages: [{ role: "user", content: "Hi" }] });
 * const res = await send(body, AbortSignal.timeout(60_000));
 * console.log(res.status);
 * ```
 */
export function createChatSend(
  config: OpenAIConfig,
  base: typeof fetch,
  timeoutMs: number = 10 * 60 * 1000,
): ChatSend {
  const send = capturing(retryOnce(abortableFetch(base)));
  let template: Promise<{ url: string; headers: [string, string][] }> | undefined;
  const build = async () => {
    const { url, req } = await sdkClient(config, timeoutMs).buildRequest({
      method: "post",
      path: "/chat/completions",
      body: {},
    });
    return { url, headers: [...new Headers(req.headers)] };
  };
  return async (body, signal) => {
    // A failed build (none is expected: it only reads the configuration) is tried again next call.
    template ??= build().catch((err) => {
      template = undefined;
      throw err;
    });
    const { url, headers } = await template;
    try {
      return await send(url, { method: "POST", headers, body, signal });
    } catch (err) {
      throw sdkError(err, signal);
    }
  };
}

/**
 * A failed call as the SDK reported it when it sent the calls itself, so that it maps as before
 * (`map_error.ts`): an abort of the caller's signal, a timeout, or a connection error carrying the cause.
 */
function sdkError(err: unknown, signal: AbortSignal): unknown {
  if (err instanceof UpstreamHttpError) return err;
  if (signal.aborted) return new OpenAI.APIUserAbortError();
  const error = err instanceof Error ? err : new Error(String(err));
  const text = String(error) + ("cause" in error ? String(error.cause) : "");
  if (error.name === "AbortError" || /timed? ?out/i.test(text)) return new OpenAI.APIConnectionTimeoutError();
  return new OpenAI.APIConnectionError({ cause: error });
}
