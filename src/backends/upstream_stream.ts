/**
 * The one way both backends run a streaming upstream call: the request's abort signal joined with the
 * call's own timeouts (`upstream_watch.ts`), failures before the first event mapped to the HTTP error the
 * client gets, and the upstream aborted when the consumer stops early (client gone), the stream fails, or
 * the upstream stalls.
 *
 * @module
 */
import type { MessagesRequest, StreamEvent } from "../anthropic/types.ts";
import type { RelayError } from "../errors.ts";
import type { CallContext } from "./backend.ts";
import { type UpstreamLimits, UpstreamWatch } from "./upstream_watch.ts";

/**
 * One backend's streaming call, in three steps. Built once per backend, so that a request allocates no
 * closures for it.
 */
export interface StreamCall<I> {
  /** The upstream's timeouts. */
  readonly limits: UpstreamLimits;
  /** Names the upstream in timeout messages ("The upstream at http://host/v1", "Bedrock"). */
  readonly label: string;
  /** Translates the request; runs before any upstream call, and what it throws (400s) is thrown as is. */
  prepare(request: MessagesRequest, ctx: CallContext): I;
  /**
   * Sends the translated request (aborted through `watch.signal`) and resolves to the translated batches
   * once the response headers are in; `watch.headersIn()` may be called earlier, as soon as they are.
   * The body's decoder calls `watch.touch` after each network read.
   */
  open(input: I, request: MessagesRequest, ctx: CallContext, watch: UpstreamWatch): Promise<
    AsyncIterable<StreamEvent[]>
  >;
  /** The error the client gets for an upstream failure. */
  mapError(err: unknown, request: MessagesRequest, ctx: CallContext): RelayError;
}

/**
 * Runs a streaming call for `Backend.stream`: failing before the first batch throws the mapped
 * error (an HTTP error for the client); failing after it throws the mapped error too, unless the client
 * is gone (`ctx.signal` aborted), when the original error is rethrown; an early return aborts the upstream.
 * An upstream that sends no headers within `upstreamConnectMs + upstreamHeadersMs`, or nothing for
 * `upstreamIdleMs` while a batch is awaited, is aborted and the call throws a `504 timeout_error`.
 *
 * @example
 * ```ts
 * import type { MessagesRequest, StreamEvent } from "../anthropic/types.ts";
 * import { RelayError } from "../errors.ts";
 * import { DEFAULT_LIMITS } from "../limits.ts";
 *
 * const echo: StreamCall<string> = {
 *   limits: DEFAULT_LIMITS,
 *   label: "Echo",
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
  const prepared: Prepared<I> = { input: call.prepare(request, ctx) };
  const watch = new UpstreamWatch(ctx.signal, call.limits, call.label);
  let events: AsyncIterator<StreamEvent[]>;
  try {
    events = (await openPrepared(call, prepared, request, ctx, watch))[Symbol.asyncIterator]();
  } catch (err) {
    watch.end(true);
    throw watch.error ?? call.mapError(err, request, ctx);
  }
  watch.headersIn();
  let finished = false;
  try {
    while (true) {
      // Only the wait for the next batch counts as upstream silence, not the time the client takes;
      // inside it, the decoder touches the watch on every network read.
      watch.reading();
      const next = await events.next();
      watch.read();
      if (next.done) break;
      yield next.value;
    }
    finished = true;
  } catch (err) {
    throw watch.error ?? (ctx.signal.aborted ? err : call.mapError(err, request, ctx));
  } finally {
    // Early return (client gone), failure or timeout: stop the upstream generation too.
    watch.end(!finished);
    if (!finished) await events.return?.();
  }
}

/** A prepared upstream request, handed over once. */
interface Prepared<I> {
  input?: I;
}

// The stream is opened in a frame of its own, which takes the prepared request out of `prepared`: a
// suspended generator keeps what its registers held, and the translated request (a copy of the prompt's
// text) is not needed for the seconds the answer streams.
function openPrepared<I>(
  call: StreamCall<I>,
  prepared: Prepared<I>,
  request: MessagesRequest,
  ctx: CallContext,
  watch: UpstreamWatch,
): Promise<AsyncIterable<StreamEvent[]>> {
  const input = prepared.input as I;
  prepared.input = undefined;
  return call.open(input, request, ctx, watch);
}
