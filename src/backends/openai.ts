/**
 * The OpenAI-compatible backend: OpenAI, Gemini's OpenAI endpoint, Ollama, LM Studio, OpenRouter,
 * DeepSeek, vLLM. The `openai` SDK builds and sends the request (base URL, auth, headers); the response
 * body is read raw, because the SDK's stream iterator costs about 8x a lean decoder per chunk
 * (see performance.md) and its errors lose bodies such as Gemini's array-shaped ones. Importing it loads
 * the `openai` SDK and nothing of the AWS SDK.
 *
 * @example
 * ```ts
 * import { createApp } from "@relayx/server";
 * import { createOpenAIBackend } from "@relayx/server/backends/openai";
 *
 * const backend = createOpenAIBackend({
 *   kind: "openai_compatible",
 *   apiKey: "",
 *   baseUrl: "http://localhost:11434/v1",
 *   model: "qwen3-coder",
 *   smallModel: "qwen3-coder",
 *   provider: "ollama",
 * });
 * Deno.serve(createApp({ backend }).fetch);
 * ```
 *
 * @module
 */
import type {
  CountTokensRequest,
  MessageResponse,
  MessagesRequest,
  StreamEvent,
} from "../anthropic/types.ts";
import { claudeFamily } from "../anthropic/claude_names.ts";
import type { OpenAIConfig } from "../config.ts";
import { createModelRegistry, type ModelRegistry } from "../models/registry.ts";
import { createRedactor, type Redactor } from "../redact.ts";
import { DEFAULT_LIMITS, type Limits } from "../limits.ts";
import { PROVIDERS } from "../translate/openai/providers.ts";
import type { Backend, CallContext, ModelInfo } from "./backend.ts";
import { describeOpenAI } from "./openai/banner.ts";
import { chatStream, type OpenAICall, upstreamLabel } from "./openai/_call.ts";
import { createChatSend } from "./openai/client.ts";
import { completeChat } from "./openai/complete_chat.ts";
import { openAIMediaCaps } from "./openai/media_caps.ts";
import { listModels } from "./openai/model_list.ts";
import { answeringPrewarm } from "./prewarm.ts";
import { completeWithMedia, type MediaPlan, streamWithMedia } from "./with_media.ts";
import type { UpstreamLimits } from "./upstream_watch.ts";

export type * from "../anthropic/types.ts";
export type { Backend, BackendKind, CallContext, IdSource, ModelInfo, RouteTrace } from "./backend.ts";
export type { OpenAIConfig } from "../config.ts";
export type { Redactor } from "../redact.ts";
export type { ProviderName } from "../translate/openai/providers.ts";
export type { UpstreamLimits } from "./upstream_watch.ts";
export type { ModelHints, ModelPrice, ModelProvider, ModelSpec } from "../models/model_spec.ts";
export type { ModelRegistry } from "../models/registry.ts";

/** Options for {@linkcode createOpenAIBackend}. */
export interface OpenAIBackendOptions {
  /** A fetch to send requests with (tests inject one; production uses the global fetch). */
  fetch?: typeof fetch;
  /** Hides secrets in the errors the backend maps (default: one that knows `config.apiKey`). */
  redact?: Redactor;
  /**
   * Connect, response-headers and idle timeouts of upstream calls (default {@linkcode DEFAULT_LIMITS};
   * `main.ts` passes the configured `config.limits`), and the size bound of PDF text for providers that
   * take no PDFs.
   */
  limits?: UpstreamLimits & Partial<Pick<Limits, "pdfTextMaxChars">>;
  /**
   * What relayx knows of upstream models: output caps, context windows, vision (default: relayx's own
   * entries and rules, without the catalogue; `main.ts` passes the full registry).
   */
  registry?: ModelRegistry;
}

/**
 * Creates the OpenAI-compatible backend.
 *
 * @example
 * ```ts
 * const backend = createOpenAIBackend({
 *   kind: "openai_compatible",
 *   apiKey: Deno.env.get("OPENAI_API_KEY") ?? "",
 *   baseUrl: "https://api.openai.com/v1",
 *   model: "gpt-4.1",
 *   smallModel: "gpt-4.1-mini",
 *   provider: "openai",
 * });
 * console.log(await backend.describe());
 * ```
 */
export function createOpenAIBackend(config: OpenAIConfig, options: OpenAIBackendOptions = {}): Backend {
  const limits = options.limits ?? DEFAULT_LIMITS;
  // What the SDK's `X-Stainless-Timeout` header tells the upstream; relayx's watch (upstream_watch.ts) ends
  // calls that stall.
  const backstopMs = limits.upstreamConnectMs + limits.upstreamHeadersMs + 1000;
  const registry = options.registry ?? createModelRegistry();
  const hints = { provider: config.provider };
  const call: OpenAICall = {
    config,
    send: createChatSend(config, options.fetch ?? fetch, backstopMs),
    provider: PROVIDERS[config.provider],
    redact: options.redact ?? createRedactor([config.apiKey]),
    limits,
    label: upstreamLabel(config.baseUrl),
    spec: (model) => registry.lookup(model, hints),
  };
  const stream = chatStream(call);
  const media: MediaPlan = {
    caps: (model) => openAIMediaCaps(call.provider, call.spec(model)),
    pdfTextMaxChars: limits.pdfTextMaxChars ?? DEFAULT_LIMITS.pdfTextMaxChars,
  };
  // `max_tokens: 0` (a cache pre-warm) is answered without the upstream: see prewarm.ts.
  return answeringPrewarm({
    kind: "openai_compatible",

    resolveModel(model: string): Promise<string> {
      // Claude names (Claude Code's defaults and its fixed background names) map to the configured
      // models; any other name is the user's choice of upstream model (`/model qwen3-coder`).
      const family = claudeFamily(model);
      if (family === undefined) return Promise.resolve(model);
      return Promise.resolve(family === "haiku" ? config.smallModel : config.model);
    },

    complete(request: MessagesRequest, ctx: CallContext): Promise<MessageResponse> {
      return completeWithMedia(media, request, ctx, (adapted) => completeChat(call, adapted, ctx));
    },

    stream(request: MessagesRequest, ctx: CallContext): AsyncIterable<StreamEvent[]> {
      return streamWithMedia(stream, media, request, ctx);
    },

    countTokens(_request: CountTokensRequest): Promise<number | undefined> {
      // Chat completions has no counting endpoint: relayx's tokenizer counts.
      return Promise.resolve(undefined);
    },

    listModels(): Promise<ModelInfo[]> {
      return Promise.resolve(listModels(config));
    },

    modelSpec: call.spec,

    describe(): Promise<string> {
      return Promise.resolve(describeOpenAI(config));
    },
  });
}
