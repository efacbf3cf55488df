/**
 * One chat-completions call of the OpenAI-compatible backend: the request translation (body and the
 * options for translating the answer back), and the streaming call `upstreamStream()` runs.
 *
 * @module
 */
import type { MessagesRequest } from "../../anthropic/types.ts";
import type { OpenAIConfig } from "../../config.ts";
import type { ModelSpec } from "../../models/model_spec.ts";
import { DEFAULT_CONTEXT_WINDOW, outputCap } from "../../models/registry.ts";
import { RelayError } from "../../errors.ts";
import type { Redactor } from "../../redact.ts";
import { estimateInputTokens } from "../../tokens.ts";
import type { FromOpenAIOptions } from "../../translate/openai/from_openai.ts";
import { fromOpenAIErrorChunk } from "../../translate/openai/openai_errors.ts";
import type { OpenAIChatRequest } from "../../translate/openai/openai_types.ts";
import { openAIChunkBatches } from "../../translate/openai/openai_sse.ts";
import { openAIStreamTranslator } from "../../translate/openai/openai_stream.ts";
import type { ProviderProfile } from "../../translate/openai/providers.ts";
import { toOpenAIRequest } from "../../translate/openai/to_openai.ts";
import { isCustomTool } from "../../translate/prepare.ts";
import { translateBatches } from "../../translate/stream_translator.ts";
import { toolNameMap } from "../../translate/tool_names.ts";
import type { CallContext } from "../backend.ts";
import type { ChatSend } from "./client.ts";
import type { StreamCall } from "../upstream_stream.ts";
import type { UpstreamLimits, UpstreamWatch } from "../upstream_watch.ts";
import { mapError } from "./map_error.ts";
import { chatBodyBytes } from "../../translate/openai/_openai_tools.ts";

/** What the calls of one OpenAI-compatible backend share. */
export interface OpenAICall {
  /** The backend's settings. */
  config: OpenAIConfig;
  /** Sends every call. */
  send: ChatSend;
  /** The quirks of the configured provider. */
  provider: ProviderProfile;
  /** Hides secrets in the errors it maps. */
  redact: Redactor;
  /** The upstream's timeouts. */
  limits: UpstreamLimits;
  /** Names the upstream in timeout messages (`The upstream at http://host/v1`). */
  label: string;
  /** What the model registry knows of an upstream model served by this provider. */
  spec(model: string): ModelSpec;
}

/** The context window an overflow message states for a model: the registry's, else a default. */
export function windowOf(call: OpenAICall, model: string): number {
  return call.spec(model).contextWindow ?? DEFAULT_CONTEXT_WINDOW;
}

/** How timeout messages name an OpenAI-compatible upstream: its base URL without credentials or query. */
export function upstreamLabel(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    return `The upstream at ${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return "The upstream";
  }
}

/** A translated request: the chat-completions body, and how to translate the answer back. */
export interface ChatRequest {
  /** The body to POST to `/chat/completions`. */
  body: OpenAIChatRequest;
  /** Options for the response or stream translator; `inputEstimate` is filled in once the call succeeded. */
  from: FromOpenAIOptions;
}

/** Translates a request (takes the message id from `ctx.ids`). Throws a 400 `RelayError` on what it cannot. */
export function chatRequest(
  call: OpenAICall,
  request: MessagesRequest,
  ctx: CallContext,
  stream: boolean,
): ChatRequest {
  const { config, provider } = call;
  const names = toolNameMap((request.tools ?? []).filter(isCustomTool).map((t) => t.name));
  // The backend's own setting (MAX_OUTPUT_TOKENS, the file's maxOutputTokens) wins over the registry.
  const cap = config.maxOutputTokens ?? outputCap(call.spec(ctx.model), { provider: config.provider });
  const body = toOpenAIRequest(request, {
    model: ctx.model,
    provider,
    maxOutputTokens: cap,
    stream,
    warn: ctx.warn,
  });
  const thinking = request.thinking;
  const from: FromOpenAIOptions = {
    model: request.model,
    messageId: ctx.ids.messageId(),
    ids: ctx.ids,
    names,
    provider,
    thinkingDisplay: !thinking || thinking.type === "disabled" ? "off" : (thinking.display ?? "summarized"),
    inputEstimate: 0,
    contextWindow: windowOf(call, ctx.model),
    warn: ctx.warn,
  };
  return { body, from };
}

/**
 * The streaming call of an OpenAI-compatible backend, for `upstreamStream()`: the body is read raw and
 * decoded by `translate/openai/openai_sse.ts` (the SDK's iterator costs about 8x per chunk).
 *
 * @example
 * ```ts
 * import { createChatSend } from "./client.ts";
 * import { PROVIDERS } from "../../translate/openai/providers.ts";
 * import type { OpenAIConfig } from "../../config.ts";
 * import { createRedactor } from "../../redact.ts";
 * import { DEFAULT_LIMITS } from "../../limits.ts";
 *
 * const config: OpenAIConfig = {
 *   kind: "openai_compatible",
 *   apiKey: "",
 *   baseUrl: "http://localhost:11434/v1",
 *   model: "qwen3-coder",
 *   smallModel: "qwen3-coder",
 *   provider: "ollama",
 * };
 * const stream = chatStream({
 *   config,
 *   send: createChatSend(config, fetch),
 *   provider: PROVIDERS.ollama,
 *   redact: createRedactor([config.apiKey]),
 *   limits: DEFAULT_LIMITS,
 *   label: upstreamLabel(config.baseUrl),
 *   spec: () => ({}),
 * });
 * ```
 */
export function chatStream(call: OpenAICall): StreamCall<ChatRequest> {
  return {
    limits: call.limits,
    label: call.label,
    prepare(request, ctx) {
      return chatRequest(call, request, ctx, true);
    },
    async open({ body, from }, request, ctx, watch) {
      const res = await call.send(chatBodyBytes(body), watch.signal);
      watch.headersIn();
      if (!res.body) throw new RelayError("api_error", "Upstream returned no body");
      const type = res.headers.get("content-type") ?? "";
      if (/json|html/i.test(type)) {
        throw await notAStream(res, type, request, windowOf(call, ctx.model), watch);
      }
      const translator = openAIStreamTranslator({ ...from, inputEstimate: estimateInputTokens(request) });
      return translateBatches(openAIChunkBatches(res.body, watch.touch), translator);
    },
    mapError(err, request, ctx) {
      return mapError(err, request, windowOf(call, ctx.model), call.config.baseUrl, call.redact);
    },
  };
}

/**
 * The error for a 200 that answers a stream request with JSON or HTML instead of an event stream: the
 * error object such a body may carry (a provider's error sent with status 200), else what it is.
 */
async function notAStream(
  res: Response,
  type: string,
  request: MessagesRequest,
  window: number,
  watch: UpstreamWatch,
): Promise<RelayError> {
  watch.reading();
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (typeof json === "object" && json !== null && "error" in json) {
    return fromOpenAIErrorChunk(json, {
      estimate: estimateInputTokens(request),
      window,
    });
  }
  return new RelayError(
    "api_error",
    `Upstream answered a stream request with content-type "${type.slice(0, 80)}" instead of an event stream`,
  );
}
