/**
 * The one way both backends run a streaming upstream call: the request's abort signal joined with one of
 * the call's own, failures before the first event mapped to the HTTP error the client gets, and the
 * upstream aborted when the consumer stops early (client gone) or the stream fails.
 *
 * @module
 */
import type { MessagesRequest, StreamEvent } from "../anthropic/types.ts";
import type { RelayError } from "../errors.ts";
import type { CallContext } from "./backend.ts";

/**
 * One backend's streaming call, in three steps. Built once per backend, so that a request allocates no
 * closures for it.
 */
export interface StreamCall<I> {
  /** Translates the request; runs before any upstream call, and what it throws (400s) is thrown as is. */
  prepare(request: MessagesRequest, ctx: CallContext): I;
  /** Sends the translated request (aborted through `signal`) and resolves to the translated batches. */
  open(input: I, request: MessagesRequest, ctx: CallContext, signal: AbortSignal): Promise<
    AsyncIterable<StreamEvent[]>
  >;
  /** The error the client gets for an upstream failure. */
  mapError(err: unknown, request: MessagesRequest, ctx: CallContext): RelayError;
}

/**
 * Runs a streaming call for `Backend.stream`: failing before the first batch throws the mapped
 * error (an HTTP error for the client); failing after it throws the mapped error too, unless the client
 * is gone (`ctx.signal` aborted), when the original error is rethrown; an early return aborts the upstream.
 *
 * @example
 * ```ts
 * import type { MessagesRequest, StreamEvent } from "../anthropic/types.ts";
 * import { RelayError } from "../errors.ts";
 *
 * const echo: StreamCall<string> = {
 *   prepare: (request) => request.model,
 *   open: (model) => {
 *     async function* batches(): AsyncGenerator<StreamEvent[]> {
 *       yield [{ type: "ping" }];
 *     }
 *     return Promise.resolve(batches());
 *   },
 *   mapError: (err) => new RelayError("api_error", String(err)),
 * };
 * const request: MessagesRequest = { model: "m", max_tokens: 1, messages: [] };
 * const ctx = {
 *   model: "m",
 *   signal: new AbortController().signal,
 *   requestId: "req_1",
 *   warn: console.warn,
 *   ids: { messageId: () => "msg_1", toolUseId: () => "toolu_1" },
 * };
 * for await (const batch of upstreamStream(echo, request, ctx)) console.log(batch);
 * ```
 */
export async function* upstreamStream<I>(
  call: StreamCall<I>,
  request: MessagesRequest,
  ctx: CallContext,
): AsyncGenerator<StreamEvent[]> {
  const input = call.prepare(request, ctx);
  const local = new AbortController();
  const signal = AbortSignal.any([ctx.signal, local.signal]);
  let events: AsyncIterable<StreamEvent[]>;
  try {
    events = await call.open(input, request, ctx, signal);
  } catch (err) {
    local.abort();
    throw call.mapError(err, request, ctx);
  }
  let finished = false;
  try {
    yield* events;
    finished = true;
  } catch (err) {
    throw ctx.signal.aborted ? err : call.mapError(err, request, ctx);
  } finally {
    // Early return (client gone) or failure: stop the upstream generation too.
    if (!finished) local.abort();
  }
}
