/**
 * The media step of a backend call: a request whose images or PDFs the target model cannot take is
 * adapted (`src/media/adapt_media.ts`) before the backend translates it, so that no translator meets a
 * block its upstream rejects. A request without such blocks goes straight on, with no copy and no await.
 *
 * @module
 */
import type { MessageResponse, MessagesRequest, StreamEvent } from "../anthropic/types.ts";
import { adaptMedia, type MediaCaps, needsMediaAdapt } from "../media/adapt_media.ts";
import type { CallContext } from "./backend.ts";
import { type StreamCall, upstreamStream } from "./upstream_stream.ts";

/** How a backend adapts media: the target model's capabilities, and the size bound of PDF text. */
export interface MediaPlan {
  /** What the upstream model takes (a small function per backend; later, a model registry). */
  caps(model: string): MediaCaps;
  /** Characters of text kept per PDF. */
  pdfTextMaxChars: number;
}

function _adapt(plan: MediaPlan, caps: MediaCaps, request: MessagesRequest, ctx: CallContext) {
  return adaptMedia(request, caps, ctx.warn, { pdfTextMaxChars: plan.pdfTextMaxChars });
}

async function* _adaptedStream<I>(
  call: StreamCall<I>,
  plan: MediaPlan,
  caps: MediaCaps,
  request: MessagesRequest,
  ctx: CallContext,
): AsyncGenerator<StreamEvent[]> {
  // A failure here (a broken PDF's 400) comes before the first batch: the client gets it as an HTTP error.
  yield* upstreamStream(call, await _adapt(plan, caps, request, ctx), ctx);
}

/**
 * `Backend.stream` with the media step in front of {@linkcode upstreamStream}.
 *
 * @example
 * ```ts
 * import type { MessagesRequest, StreamEvent } from "../anthropic/types.ts";
 * import { RelayError } from "../errors.ts";
 * import { DEFAULT_LIMITS } from "../limits.ts";
 * import type { StreamCall } from "./upstream_stream.ts";
 *
 * const echo: StreamCall<number> = {
 *   limits: DEFAULT_LIMITS,
 *   label: "Echo",
 *   prepare: (request) => request.messages.length,
 *   open: () => {
 *     async function* batches(): AsyncGenerator<StreamEvent[]> {
 *       yield [{ type: "ping" }];
 *     }
 *     return Promise.resolve(batches());
 *   },
 *   mapError: (err) => new RelayError("api_error", String(err)),
 * };
 * const plan: MediaPlan = { caps: () => ({ images: false, pdf: false }), pdfTextMaxChars: 200_000 };
 * const request: MessagesRequest = { model: "m", max_tokens: 1, messages: [] };
 * const ctx = {
 *   model: "m",
 *   signal: new AbortController().signal,
 *   requestId: "req_1",
 *   warn: console.warn,
 *   ids: { messageId: () => "msg_1", toolUseId: () => "toolu_1" },
 * };
 * for await (const batch of streamWithMedia(echo, plan, request, ctx)) console.log(batch);
 * ```
 */
export function streamWithMedia<I>(
  call: StreamCall<I>,
  plan: MediaPlan,
  request: MessagesRequest,
  ctx: CallContext,
): AsyncIterable<StreamEvent[]> {
  const caps = plan.caps(ctx.model);
  if (!needsMediaAdapt(request, caps)) return upstreamStream(call, request, ctx);
  return _adaptedStream(call, plan, caps, request, ctx);
}

/**
 * `Backend.complete` with the media step in front of `complete`.
 *
 * @example
 * ```ts
 * import type { MessageResponse, MessagesRequest } from "../anthropic/types.ts";
 *
 * const plan: MediaPlan = { caps: () => ({ images: false, pdf: false }), pdfTextMaxChars: 200_000 };
 * const request: MessagesRequest = { model: "m", max_tokens: 1, messages: [] };
 * const ctx = {
 *   model: "m",
 *   signal: new AbortController().signal,
 *   requestId: "req_1",
 *   warn: console.warn,
 *   ids: { messageId: () => "msg_1", toolUseId: () => "toolu_1" },
 * };
 * const answer = (r: MessagesRequest): Promise<MessageResponse> =>
 *   Promise.resolve({
 *     id: "msg_1",
 *     type: "message",
 *     role: "assistant",
 *     model: r.model,
 *     content: [],
 *     stop_reason: "end_turn",
 *     stop_sequence: null,
 *     usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
 *   });
 * console.log(await completeWithMedia(plan, request, ctx, answer));
 * ```
 */
export async function completeWithMedia(
  plan: MediaPlan,
  request: MessagesRequest,
  ctx: CallContext,
  complete: (request: MessagesRequest) => Promise<MessageResponse>,
): Promise<MessageResponse> {
  const caps = plan.caps(ctx.model);
  return await complete(needsMediaAdapt(request, caps) ? await _adapt(plan, caps, request, ctx) : request);
}
