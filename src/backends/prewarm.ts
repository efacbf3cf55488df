/**
 * `max_tokens: 0` answered by relayx itself. Anthropic takes 0 as "read the prompt into the cache and
 * generate nothing" (protocol.md 1.2; Claude Code sends such requests to warm the cache), and answers an
 * empty message. No other upstream has a prompt cache to warm that way, and none takes a budget of 0
 * (OpenAI-style APIs answer "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1";
 * Bedrock's `maxTokens` starts at 1 too), so sending one would buy a token of output the client did not
 * want. A translating backend answers it at once instead, with relayx's estimate of the input and no
 * upstream call. The Anthropic pass-through does not use this: its upstream has the real cache.
 *
 * @module
 */
import type { MessageResponse, MessagesRequest, StreamEvent, Usage } from "../anthropic/types.ts";
import { estimateInputTokens } from "../tokens.ts";
import { assistantMessage, messageStartEvent } from "../translate/message.ts";
import type { Backend, CallContext } from "./backend.ts";

/** True for a request that asks for no output at all (a cache pre-warm). */
export function isPrewarm(request: MessagesRequest): boolean {
  return request.max_tokens === 0;
}

function usage(request: MessagesRequest): Usage {
  return {
    input_tokens: estimateInputTokens(request),
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

/**
 * The empty message a pre-warm gets: no content, `stop_reason: "max_tokens"`, the input estimate.
 *
 * @example
 * ```ts
 * const ctx = {
 *   model: "qwen3-coder",
 *   signal: new AbortController().signal,
 *   requestId: "req_1",
 *   warn: () => {},
 *   ids: { messageId: () => "msg_1", toolUseId: () => "toolu_1" },
 * };
 * const request = { model: "claude-sonnet-4-5", max_tokens: 0, messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "Hi" }] }] };
 * console.log(prewarmMessage(request, ctx).stop_reason); // "max_tokens"
 * ```
 */
export function prewarmMessage(request: MessagesRequest, ctx: CallContext): MessageResponse {
  const who = { messageId: ctx.ids.messageId(), model: request.model };
  return assistantMessage(who, [], { stop_reason: "max_tokens", stop_sequence: null }, usage(request));
}

/**
 * The same answer as a stream: `message_start`, `message_delta` (stop reason `max_tokens`, no output),
 * `message_stop`, in one batch.
 *
 * @example
 * ```ts
 * const ctx = {
 *   model: "qwen3-coder",
 *   signal: new AbortController().signal,
 *   requestId: "req_1",
 *   warn: () => {},
 *   ids: { messageId: () => "msg_1", toolUseId: () => "toolu_1" },
 * };
 * const request = { model: "claude-sonnet-4-5", max_tokens: 0, messages: [] };
 * console.log(prewarmEvents(request, ctx).map((e) => e.type)); // ["message_start", "message_delta", "message_stop"]
 * ```
 */
export function prewarmEvents(request: MessagesRequest, ctx: CallContext): StreamEvent[] {
  const who = { messageId: ctx.ids.messageId(), model: request.model };
  return [
    messageStartEvent(who, usage(request)),
    {
      type: "message_delta",
      delta: { stop_reason: "max_tokens", stop_sequence: null },
      usage: { output_tokens: 0 },
    },
    { type: "message_stop" },
  ];
}

async function* once(batch: StreamEvent[]): AsyncGenerator<StreamEvent[]> {
  yield batch;
}

/**
 * A backend that answers `max_tokens: 0` itself ({@linkcode prewarmMessage}, {@linkcode prewarmEvents})
 * and hands every other request to `backend`. Each translating backend wraps itself in it, so that the
 * router's targets and a sole backend behave alike.
 *
 * @example
 * ```ts
 * import type { Backend } from "./backend.ts";
 *
 * declare const upstream: Backend;
 * const backend = answeringPrewarm(upstream);
 * ```
 */
export function answeringPrewarm(backend: Backend): Backend {
  return {
    ...backend,
    complete: (request, ctx) =>
      isPrewarm(request) ? Promise.resolve(prewarmMessage(request, ctx)) : backend.complete(request, ctx),
    stream: (request, ctx) =>
      isPrewarm(request) ? once(prewarmEvents(request, ctx)) : backend.stream(request, ctx),
  };
}
