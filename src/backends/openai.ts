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
import { createRedactor, type Redactor } from "../redact.ts";
import { estimateInputTokens } from "../tokens.ts";
import { fromOpenAIResponse } from "../translate/openai/from_openai.ts";
import { PROVIDERS } from "../translate/openai/providers.ts";
import type { Backend, CallContext, ModelInfo } from "./backend.ts";
import { describeOpenAI } from "./openai/banner.ts";
import { chatRequest, chatStream, type OpenAICall } from "./openai/_call.ts";
import { createOpenAIClient } from "./openai/client.ts";
import { mapError } from "./openai/map_error.ts";
import { listModels } from "./openai/model_list.ts";
import { upstreamStream } from "./upstream_stream.ts";

export type * from "../anthropic/types.ts";
export type { Backend, BackendKind, CallContext, IdSource, ModelInfo } from "./backend.ts";
export type { OpenAIConfig } from "../config.ts";
export type { Redactor } from "../redact.ts";
export type { ProviderName } from "../translate/openai/providers.ts";

/** Options for {@linkcode createOpenAIBackend}. */
export interface OpenAIBackendOptions {
  /** A fetch to send requests with (tests inject one; production uses the global fetch). */
  fetch?: typeof fetch;
  /** Hides secrets in the errors the backend maps (default: one that knows `config.apiKey`). */
  redact?: Redactor;
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
  const call: OpenAICall = {
    config,
    client: createOpenAIClient(config, options.fetch ?? fetch),
    provider: PROVIDERS[config.provider],
    redact: options.redact ?? createRedactor([config.apiKey]),
  };
  const stream = chatStream(call);
  return {
    kind: "openai_compatible",

    resolveModel(model: string): Promise<string> {
      // Claude names (Claude Code's defaults and its fixed background names) map to the configured
      // models; any other name is the user's choice of upstream model (`/model qwen3-coder`).
      const family = claudeFamily(model);
      if (family === undefined) return Promise.resolve(model);
      return Promise.resolve(family === "haiku" ? config.smallModel : config.model);
    },

    async complete(request: MessagesRequest, ctx: CallContext): Promise<MessageResponse> {
      const { body, from } = chatRequest(call, request, ctx, false);
      try {
        const res = await call.client.post("/chat/completions", { body, signal: ctx.signal }).asResponse();
        const json = await res.json();
        // Inside the try: an error body sent with a 200 is mapped (and redacted) like any other.
        return fromOpenAIResponse(json, { ...from, inputEstimate: estimateInputTokens(request) });
      } catch (err) {
        throw mapError(err, request, ctx.model, config.baseUrl, call.redact);
      }
    },

    stream(request: MessagesRequest, ctx: CallContext): AsyncIterable<StreamEvent[]> {
      return upstreamStream(stream, request, ctx);
    },

    countTokens(_request: CountTokensRequest): Promise<number | undefined> {
      // Chat completions has no counting endpoint: relayx's tokenizer counts.
      return Promise.resolve(undefined);
    },

    listModels(): Promise<ModelInfo[]> {
      return Promise.resolve(listModels(config));
    },

    describe(): Promise<string> {
      return Promise.resolve(describeOpenAI(config));
    },
  };
}
