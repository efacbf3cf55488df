/**
 * The Anthropic pass-through backend: Anthropic itself and the servers that speak its Messages format
 * (DeepSeek's, z.ai's and Moonshot's `/anthropic` endpoints, Ollama, LM Studio, llama.cpp's server,
 * vLLM, SGLang). The request goes nearly as it is (`translate/anthropic/to_anthropic.ts` drops what the
 * provider rejects); answers come back in Anthropic form, checked at the boundary. Plain fetch, no SDK:
 * the wire format is the one relayx already speaks. The same upstream timeouts, single retry of an
 * unanswered request, cancellation on client disconnect and redaction apply as on the other backends.
 *
 * @example
 * ```ts
 * import { createApp } from "../../app.ts";
 * import { createAnthropicBackend } from "./anthropic_backend.ts";
 *
 * const backend = createAnthropicBackend({
 *   kind: "anthropic",
 *   baseUrl: "https://api.z.ai/api/anthropic",
 *   apiKey: Deno.env.get("ZAI_API_KEY") ?? "",
 *   model: "glm-4.6",
 * });
 * Deno.serve(createApp({ backend }).fetch);
 * ```
 *
 * @module
 */
import { createModelRegistry, type ModelRegistry } from "../../models/registry.ts";
import type {
  CountTokensRequest,
  MessageResponse,
  MessagesRequest,
  StreamEvent,
} from "../../anthropic/types.ts";
import type { AnthropicConfig } from "../../config.ts";
import { DEFAULT_LIMITS } from "../../limits.ts";
import { createRedactor, type Redactor } from "../../redact.ts";
import {
  ANTHROPIC_PROVIDERS,
  anthropicModelHints,
  type AnthropicProviderName,
  detectAnthropicProvider,
} from "../../translate/anthropic/providers.ts";
import { fromInvokeResponse } from "../../translate/bedrock/from_invoke.ts";
import { num, rec, str } from "../../translate/_json.ts";
import { abortableFetch } from "../abortable_fetch.ts";
import type { Backend, CallContext, ModelInfo } from "../backend.ts";
import { retryOnce } from "../retry_once.ts";
import { upstreamStream } from "../upstream_stream.ts";
import { type UpstreamLimits, UpstreamWatch } from "../upstream_watch.ts";
import {
  type AnthropicCall,
  anthropicLabel,
  anthropicRequest,
  anthropicStream,
  mapError,
  notAStream,
  readJson,
  SAME_NAMES,
  send,
} from "./_call.ts";

export type * from "../../anthropic/types.ts";
export type { Backend, BackendKind, CallContext, IdSource, ModelInfo } from "../backend.ts";
export type { AnthropicConfig } from "../../config.ts";
export type { Redactor } from "../../redact.ts";
export type { RelayError } from "../../errors.ts";
export type { Limits } from "../../limits.ts";
export type { AnthropicProviderName } from "../../translate/anthropic/providers.ts";
export type { UpstreamLimits } from "../upstream_watch.ts";

/** Options for {@linkcode createAnthropicBackend}. */
export interface AnthropicBackendOptions {
  /** A fetch to send requests with (tests inject one; production uses the global fetch). */
  fetch?: typeof fetch;
  /** Hides secrets in the errors the backend maps (default: one that knows `config.apiKey`). */
  redact?: Redactor;
  /** Upstream timeouts (default {@linkcode DEFAULT_LIMITS}; `main.ts` passes `config.limits`). */
  limits?: UpstreamLimits;
  /** Which provider the upstream is (default: told by the base URL's host and port). */
  provider?: AnthropicProviderName;
  /** What relayx knows of upstream models (default: relayx's own entries and rules, without the catalogue). */
  registry?: ModelRegistry;
}

// One watched call that reads a JSON answer.
async function callJson(
  call: AnthropicCall,
  path: string,
  init: { method: "GET" | "POST"; body?: string; betas?: string[] },
  signal: AbortSignal,
): Promise<unknown> {
  const watch = new UpstreamWatch(signal, call.limits, call.label);
  try {
    const json = await readJson(await send(call, path, init, watch), watch);
    watch.end(false);
    return json;
  } catch (err) {
    watch.end(true);
    throw watch.error ?? mapError(call, err);
  }
}

async function complete(
  call: AnthropicCall,
  request: MessagesRequest,
  ctx: CallContext,
): Promise<MessageResponse> {
  const { body, betas } = anthropicRequest(call, request, ctx);
  const json = await callJson(
    call,
    "/v1/messages",
    { method: "POST", body: JSON.stringify(body), betas },
    ctx.signal,
  );
  const message = rec(json);
  if (message?.type === "error") throw mapError(call, notAStream(json, "application/json"));
  // The upstream's own message id is kept: it is the one its logs know.
  return fromInvokeResponse(json, {
    model: request.model,
    messageId: str(message?.id) || ctx.ids.messageId(),
    ids: ctx.ids,
    names: SAME_NAMES,
    warn: ctx.warn,
  });
}

async function countTokens(
  call: AnthropicCall,
  request: CountTokensRequest,
  ctx: CallContext,
): Promise<number | undefined> {
  if (!call.profile.countTokens) return undefined;
  const { body, betas } = anthropicRequest(call, request, ctx);
  delete body.max_tokens;
  delete body.stream;
  const path = "/v1/messages/count_tokens";
  const json = await callJson(call, path, { method: "POST", body: JSON.stringify(body), betas }, ctx.signal);
  return num(rec(json)?.input_tokens);
}

async function listModels(call: AnthropicCall): Promise<ModelInfo[]> {
  const fixed = call.config.model;
  if (fixed || !call.profile.models) {
    return fixed ? [{ id: fixed, display_name: fixed, upstream: fixed }] : [];
  }
  const json = await callJson(call, "/v1/models?limit=1000", { method: "GET" }, AbortSignal.timeout(30_000));
  const data = rec(json)?.data;
  const out: ModelInfo[] = [];
  for (const item of Array.isArray(data) ? data : []) {
    const id = str(rec(item)?.id);
    if (id) out.push({ id, display_name: str(rec(item)?.display_name) || id, upstream: id });
  }
  return out;
}

/**
 * Creates the Anthropic pass-through backend; the provider (what it takes) is told by the base URL.
 *
 * @example
 * ```ts
 * const backend = createAnthropicBackend({ kind: "anthropic", baseUrl: "http://localhost:11434", apiKey: "" });
 * console.log(await backend.describe()); // "anthropic (ollama) at localhost:11434, the client's model"
 * ```
 */
export function createAnthropicBackend(
  config: AnthropicConfig,
  options: AnthropicBackendOptions = {},
): Backend {
  const call: AnthropicCall = {
    config,
    profile: ANTHROPIC_PROVIDERS[options.provider ?? detectAnthropicProvider(config.baseUrl)],
    fetch: retryOnce(abortableFetch(options.fetch)),
    redact: options.redact ?? createRedactor([config.apiKey]),
    limits: options.limits ?? DEFAULT_LIMITS,
    label: anthropicLabel(config.baseUrl),
    logged: new Set(),
  };
  const stream = anthropicStream(call);
  const registry = options.registry ?? createModelRegistry();
  const hints = anthropicModelHints(call.profile.name);
  return {
    kind: "anthropic",
    modelSpec: (model) => registry.lookup(model, hints),
    resolveModel(model: string): Promise<string> {
      return Promise.resolve(config.model ?? model);
    },
    complete(request: MessagesRequest, ctx: CallContext): Promise<MessageResponse> {
      return complete(call, request, ctx);
    },
    stream(request: MessagesRequest, ctx: CallContext): AsyncIterable<StreamEvent[]> {
      return upstreamStream(stream, request, ctx);
    },
    countTokens(request: CountTokensRequest, ctx: CallContext): Promise<number | undefined> {
      return countTokens(call, request, ctx);
    },
    listModels(): Promise<ModelInfo[]> {
      return listModels(call);
    },
    describe(): Promise<string> {
      let host = config.baseUrl;
      try {
        host = new URL(config.baseUrl).host;
      } catch { /* shown as configured */ }
      const model = config.model ? `model ${config.model}` : "the client's model";
      return Promise.resolve(`anthropic (${call.profile.name}) at ${host}, ${model}`);
    },
  };
}
