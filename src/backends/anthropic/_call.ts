/**
 * The calls of the Anthropic pass-through backend: headers and auth, the POST with relayx's upstream
 * timeouts, error mapping, and the streaming call `upstreamStream()` runs.
 *
 * @module
 */
import type { MessagesRequest } from "../../anthropic/types.ts";
import type { AnthropicConfig } from "../../config.ts";
import { RelayError } from "../../errors.ts";
import type { Redactor } from "../../redact.ts";
import { estimateInputTokens } from "../../tokens.ts";
import { fromAnthropicError } from "../../translate/anthropic/anthropic_errors.ts";
import type { AnthropicProviderProfile } from "../../translate/anthropic/providers.ts";
import { type AnthropicRequest, toAnthropicRequest } from "../../translate/anthropic/to_anthropic.ts";
import { invokeStreamTranslator } from "../../translate/bedrock/invoke_stream.ts";
import { connectionError } from "../../translate/openai/openai_errors.ts";
import { openAIChunkBatches } from "../../translate/openai/openai_sse.ts";
import { translateBatches } from "../../translate/stream_translator.ts";
import type { CountTokensRequest } from "../../anthropic/types.ts";
import type { CallContext } from "../backend.ts";
import type { StreamCall } from "../upstream_stream.ts";
import type { UpstreamLimits, UpstreamWatch } from "../upstream_watch.ts";

/** What the calls of one Anthropic pass-through backend share. */
export interface AnthropicCall {
  /** The backend's settings. */
  config: AnthropicConfig;
  /** What the upstream takes. */
  profile: AnthropicProviderProfile;
  /** Sends requests (with the one retry and an abort that outlives the response object). */
  fetch: typeof fetch;
  /** Hides secrets in the errors it maps. */
  redact: Redactor;
  /** The upstream's timeouts. */
  limits: UpstreamLimits;
  /** Names the upstream in messages (`The upstream at https://host/path`). */
  label: string;
  /** Provider drops already logged: each is warned once per backend, not on every request. */
  logged: Set<string>;
}

/**
 * How messages name the upstream: its base URL without credentials or query (the OpenAI backend's
 * helper lives beside the `openai` SDK, which this backend must not load).
 */
export function anthropicLabel(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    return `The upstream at ${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return "The upstream";
  }
}

/** Identity for tool names: the pass-through sends them as the client wrote them. */
export const SAME_NAMES = { toUpstream: (name: string) => name, fromUpstream: (name: string) => name };

/** Translates a request, warning each provider drop the first time it happens. */
export function anthropicRequest(
  call: AnthropicCall,
  request: CountTokensRequest,
  ctx: CallContext,
): AnthropicRequest {
  const translated = toAnthropicRequest(request, { model: ctx.model, profile: call.profile, warn: ctx.warn });
  for (const line of translated.dropped) {
    if (call.logged.has(line)) continue;
    call.logged.add(line);
    ctx.warn(line);
  }
  return translated;
}

function headers(call: AnthropicCall, betas: string[]): Headers {
  const h = new Headers({
    "content-type": "application/json",
    "accept": "application/json",
    "anthropic-version": "2023-06-01",
  });
  const key = call.config.apiKey;
  if (key) {
    h.set("x-api-key", key);
    if (!call.profile.xApiKeyOnly) h.set("authorization", `Bearer ${key}`);
  }
  if (betas.length) h.set("anthropic-beta", betas.join(","));
  return h;
}

/** An upstream's non-2xx answer, body read. */
class UpstreamStatusError extends Error {
  constructor(readonly status: number, readonly text: string, readonly headers: Headers) {
    super(`Upstream HTTP ${status}`);
  }
}

/**
 * Sends one request to `path` (under the base URL). Resolves with a 2xx response once its headers are
 * in (the watch is told); throws {@linkcode UpstreamStatusError} for any other status.
 */
export async function send(
  call: AnthropicCall,
  path: string,
  init: { method: "GET" | "POST"; body?: string; betas?: string[] },
  watch: UpstreamWatch,
): Promise<Response> {
  const url = `${call.config.baseUrl.replace(/\/+$/, "")}${path}`;
  const res = await call.fetch(url, {
    method: init.method,
    headers: headers(call, init.betas ?? []),
    body: init.body,
    signal: watch.signal,
  });
  watch.headersIn();
  if (res.ok) return res;
  watch.reading();
  const text = await res.text().catch(() => "");
  throw new UpstreamStatusError(res.status, text, res.headers);
}

/** Maps any failure of a call to the (redacted) error the client gets. */
export function mapError(call: AnthropicCall, err: unknown): RelayError {
  return call.redact.error(classify(call, err));
}

function classify(call: AnthropicCall, err: unknown): RelayError {
  if (err instanceof RelayError) return err;
  if (err instanceof UpstreamStatusError) {
    return fromAnthropicError(err.status, err.text, {
      retryAfter: err.headers.get("retry-after"),
      shouldRetry: err.headers.get("x-should-retry"),
    });
  }
  if (err instanceof DOMException && err.name === "AbortError") {
    return new RelayError("api_error", "Request aborted", { status: 499 });
  }
  if (err instanceof SyntaxError) {
    return new RelayError("api_error", "Upstream answered with a body that is not JSON", { cause: err });
  }
  return connectionError(call.config.baseUrl, err);
}

/** The body of a 2xx answer, parsed (or a 502-style `api_error` naming what it is). */
export async function readJson(res: Response, watch: UpstreamWatch): Promise<unknown> {
  watch.reading();
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    const type = (res.headers.get("content-type") ?? "none").slice(0, 80);
    throw new RelayError(
      "api_error",
      `Upstream answered HTTP 200 with a body that is not JSON (content-type "${type}")`,
    );
  }
}

/**
 * The streaming call for `upstreamStream()`: Anthropic's SSE read raw, its `data:` payloads decoded per
 * network read, and checked by the same translator that reads Claude's events on Bedrock (exact grammar,
 * contiguous indexes, usage, a cut stream or an `error` event thrown as a `RelayError`).
 */
export function anthropicStream(call: AnthropicCall): StreamCall<AnthropicRequest> {
  return {
    limits: call.limits,
    label: call.label,
    prepare(request, ctx) {
      return anthropicRequest(call, request, ctx);
    },
    async open({ body, betas }, request, ctx, watch) {
      const res = await send(call, "/v1/messages", {
        method: "POST",
        body: JSON.stringify({ ...body, stream: true }),
        betas,
      }, watch);
      if (!res.body) throw new RelayError("api_error", "Upstream returned no body");
      const type = res.headers.get("content-type") ?? "";
      if (/json|html/i.test(type)) throw notAStream(await readJson(res, watch).catch(() => undefined), type);
      const translator = invokeStreamTranslator({
        model: request.model,
        messageId: ctx.ids.messageId(),
        ids: ctx.ids,
        names: SAME_NAMES,
        warn: ctx.warn,
        inputEstimate: estimateInputTokens(request),
      });
      return translateBatches(openAIChunkBatches(res.body, watch.touch), translator);
    },
    mapError(err: unknown, _request: MessagesRequest) {
      return mapError(call, err);
    },
  };
}

// A 200 that answers a stream request with JSON: an error envelope sent with 200, else what it is.
/** The error for a 200 whose JSON body is an error envelope (or any body that is no event stream). */
export function notAStream(json: unknown, type: string): RelayError {
  if (typeof json === "object" && json !== null && "error" in json) {
    return fromAnthropicError(200, JSON.stringify(json), { retryAfter: null, shouldRetry: null });
  }
  return new RelayError(
    "api_error",
    `Upstream answered a stream request with content-type "${type.slice(0, 80)}" instead of an event stream`,
  );
}
