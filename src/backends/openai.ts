/**
 * The OpenAI-compatible backend: OpenAI, Gemini's OpenAI endpoint, Ollama, LM Studio, OpenRouter,
 * DeepSeek, vLLM. The `openai` SDK builds and sends the request (base URL, auth, headers); the response
 * body is read raw, because the SDK's stream iterator costs about 8x a lean decoder per chunk
 * (see performance.md) and its errors lose bodies such as Gemini's array-shaped ones.
 *
 * @module
 */
import OpenAI from "openai";
import type {
  CountTokensRequest,
  MessageResponse,
  MessagesRequest,
  StreamEvent,
} from "../anthropic/types.ts";
import type { OpenAIConfig } from "../config.ts";
import { claudeFamily } from "../anthropic/claude_names.ts";
import { RelayError } from "../errors.ts";
import { countInputTokens, estimateInputTokens } from "../tokens.ts";
import { type FromOpenAIOptions, fromOpenAIResponse } from "../translate/openai/from_openai.ts";
import { connectionError, fromOpenAIError } from "../translate/openai/openai_errors.ts";
import { openAIStreamTranslator } from "../translate/openai/openai_stream.ts";
import { translateBatches } from "../translate/stream_translator.ts";
import { contextWindow, maxOutputTokens, PROVIDERS } from "../translate/openai/providers.ts";
import { openAIChunkBatches } from "../translate/openai/openai_sse.ts";
import { toOpenAIRequest } from "../translate/openai/to_openai.ts";
import { toolNameMap } from "../translate/tool_names.ts";
import { isCustomTool } from "../translate/prepare.ts";
import type { Backend, CallContext, ModelInfo } from "./backend.ts";

/** An upstream answered with a non-2xx status; carries the raw body the SDK would discard. */
class UpstreamHttpError extends Error {
  constructor(readonly status: number, readonly body: string, readonly headers: Headers) {
    super(`Upstream HTTP ${status}`);
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

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Options for {@linkcode createOpenAIBackend}. */
export interface OpenAIBackendOptions {
  /** A fetch to send requests with (tests inject one; production uses the global fetch). */
  fetch?: typeof fetch;
}

/**
 * Creates the OpenAI-compatible backend.
 *
 * @example
 * ```ts
 * const backend = createOpenAIBackend(config.backend as OpenAIConfig);
 * ```
 */
export function createOpenAIBackend(config: OpenAIConfig, options: OpenAIBackendOptions = {}): Backend {
  const provider = PROVIDERS[config.provider];
  const client = new OpenAI({
    apiKey: config.apiKey || "relayx-no-key",
    baseURL: config.baseUrl,
    // Claude Code retries itself, honouring retry-after; a second retry layer here would multiply waits.
    maxRetries: 0,
    timeout: 10 * 60 * 1000,
    fetch: capturing(options.fetch ?? fetch),
  });

  function mapError(err: unknown, request: Omit<MessagesRequest, "max_tokens">, model: string): RelayError {
    if (err instanceof RelayError) return err;
    const cause = err instanceof Error && err.cause instanceof UpstreamHttpError ? err.cause : err;
    if (cause instanceof UpstreamHttpError) {
      return fromOpenAIError(cause.status, parseBody(cause.body), {
        retryAfter: cause.headers.get("retry-after"),
        estimate: estimateInputTokens(request),
        window: contextWindow(model),
      });
    }
    if (err instanceof OpenAI.APIUserAbortError) {
      return new RelayError("api_error", "Request aborted", { status: 499 });
    }
    if (err instanceof OpenAI.APIConnectionTimeoutError) {
      return new RelayError("timeout_error", `Upstream at ${config.baseUrl} timed out`);
    }
    if (err instanceof OpenAI.APIConnectionError) return connectionError(config.baseUrl, err.cause ?? err);
    return connectionError(config.baseUrl, err);
  }

  function translate(request: MessagesRequest, ctx: CallContext, stream: boolean) {
    const names = toolNameMap((request.tools ?? []).filter(isCustomTool).map((t) => t.name));
    const cap = config.maxOutputTokens ?? maxOutputTokens(config.provider, ctx.model);
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
      contextWindow: contextWindow(ctx.model),
      warn: ctx.warn,
    };
    return { body, from };
  }

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
      const { body, from } = translate(request, ctx, false);
      let json: unknown;
      try {
        const res = await client.post("/chat/completions", { body, signal: ctx.signal }).asResponse();
        json = await res.json();
      } catch (err) {
        throw mapError(err, request, ctx.model);
      }
      return fromOpenAIResponse(json, { ...from, inputEstimate: estimateInputTokens(request) });
    },

    async *stream(request: MessagesRequest, ctx: CallContext): AsyncGenerator<StreamEvent[]> {
      const { body, from } = translate(request, ctx, true);
      const local = new AbortController();
      const signal = AbortSignal.any([ctx.signal, local.signal]);
      let res: Response;
      try {
        res = await client.post("/chat/completions", { body, signal, stream: true }).asResponse();
      } catch (err) {
        throw mapError(err, request, ctx.model);
      }
      if (!res.body) throw new RelayError("api_error", "Upstream returned no body");
      let finished = false;
      try {
        const translator = openAIStreamTranslator({ ...from, inputEstimate: estimateInputTokens(request) });
        yield* translateBatches(openAIChunkBatches(res.body), translator);
        finished = true;
      } catch (err) {
        throw ctx.signal.aborted ? err : mapError(err, request, ctx.model);
      } finally {
        // Early return (client gone) or failure: stop the upstream generation too.
        if (!finished) local.abort();
      }
    },

    countTokens(request: CountTokensRequest): Promise<number> {
      return countInputTokens(request);
    },

    listModels(): Promise<ModelInfo[]> {
      const models: ModelInfo[] = [
        { id: "claude-opus-4-5", display_name: `Claude Opus -> ${config.model}`, upstream: config.model },
        { id: "claude-sonnet-4-5", display_name: `Claude Sonnet -> ${config.model}`, upstream: config.model },
        {
          id: "claude-haiku-4-5",
          display_name: `Claude Haiku -> ${config.smallModel}`,
          upstream: config.smallModel,
        },
      ];
      for (const m of new Set([config.model, config.smallModel])) {
        models.push({ id: m, display_name: m, upstream: m });
      }
      return Promise.resolve(models);
    },

    describe(): Promise<string> {
      const host = new URL(config.baseUrl).host;
      const models = config.smallModel === config.model
        ? config.model
        : `${config.model} (haiku: ${config.smallModel})`;
      return Promise.resolve(`upstream ${config.provider} at ${host}, model ${models}`);
    },
  };
}
