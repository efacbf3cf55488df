/**
 * A non-streaming chat-completions call of the OpenAI-compatible backend, watched by relayx's upstream
 * timeouts, translated back into an Anthropic message.
 *
 * @module
 */
import type { MessageResponse, MessagesRequest } from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import { estimateInputTokens } from "../../tokens.ts";
import { fromOpenAIResponse } from "../../translate/openai/from_openai.ts";
import type { CallContext } from "../backend.ts";
import { UpstreamWatch } from "../upstream_watch.ts";
import { chatRequest, type OpenAICall, windowOf } from "./_call.ts";
import { mapError } from "./map_error.ts";
import { chatBodyBytes } from "../../translate/openai/_openai_tools.ts";

// The parser's message quotes the body; the client gets what the body is instead.
function parseAnswer(text: string, type: string | null): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RelayError(
      "api_error",
      `Upstream answered HTTP 200 with a body that is not JSON (content-type "${
        (type ?? "none").slice(0, 80)
      }")`,
    );
  }
}

/**
 * Sends one request and returns the complete message. Throws the mapped `RelayError` on failure, and a
 * `504 timeout_error` when the upstream sends no headers in time or its body stalls.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS } from "../../limits.ts";
 * import { createRedactor } from "../../redact.ts";
 * import { PROVIDERS } from "../../translate/openai/providers.ts";
 * import { upstreamLabel } from "./_call.ts";
 * import { createChatSend } from "./client.ts";
 *
 * const config = {
 *   kind: "openai_compatible" as const,
 *   apiKey: "",
 *   baseUrl: "http://localhost:11434/v1",
 *   model: "qwen3-coder",
 *   smallModel: "qwen3-coder",
 *   provider: "ollama" as const,
 * };
 * const call = {
 *   config,
 *   send: createChatSend(config, fetch),
 *   provider: PROVIDERS.ollama,
 *   limits: DEFAULT_LIMITS,
 *   label: upstreamLabel(config.baseUrl),
 *   redact: createRedactor([config.apiKey]),
 *   spec: () => ({}),
 * };
 * const message = await completeChat(
 *   call,
 *   { model: "qwen3-coder", max_tokens: 256, messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }] },
 *   {
 *     model: "qwen3-coder",
 *     signal: AbortSignal.timeout(60_000),
 *     requestId: "req_1",
 *     warn: console.warn,
 *     ids: { messageId: () => "msg_1", toolUseId: () => `toolu_${crypto.randomUUID()}` },
 *   },
 * );
 * console.log(message.content);
 * ```
 */
export async function completeChat(
  call: OpenAICall,
  request: MessagesRequest,
  ctx: CallContext,
): Promise<MessageResponse> {
  const { bytes, from } = chatBytes(call, request, ctx);
  const watch = new UpstreamWatch(ctx.signal, call.limits, call.label);
  let json: unknown;
  try {
    const res = await call.send(bytes, watch.signal);
    watch.headersIn();
    watch.reading();
    json = parseAnswer(await res.text(), res.headers.get("content-type"));
  } catch (err) {
    watch.end(true);
    throw watch.error ?? mapError(err, request, windowOf(call, ctx.model), call.config.baseUrl, call.redact);
  }
  watch.end(false);
  try {
    return fromOpenAIResponse(json, { ...from, inputEstimate: estimateInputTokens(request) });
  } catch (err) {
    // An error body sent with a 200 is mapped (and redacted) like any other.
    throw mapError(err, request, windowOf(call, ctx.model), call.config.baseUrl, call.redact);
  }
}

// The upstream body as bytes, translated in a frame of its own: a suspended async function keeps what its
// registers held, and the translated request (a copy of the prompt's text) is not needed while waiting.
function chatBytes(call: OpenAICall, request: MessagesRequest, ctx: CallContext) {
  const { body, from } = chatRequest(call, request, ctx, false);
  return { bytes: chatBodyBytes(body), from };
}
