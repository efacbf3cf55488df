/**
 * Server-sent-event framing of Anthropic stream events: the one place that turns event objects into bytes.
 *
 * @module
 */
import type { StreamEvent } from "./types.ts";
import { RelayError, toRelayError } from "../errors.ts";

/** Frames one event as `event: <type>\ndata: <json>\n\n`. */
export function frameEvent(event: StreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Options for {@linkcode sseStream}. */
export interface SseStreamOptions {
  /** Sends `ping` after this many idle milliseconds so proxies and clients keep the socket (default 15 s). */
  pingMs?: number;
  /** Sees every event before it is framed (usage accounting, time to first byte). */
  observe?: (event: StreamEvent) => void;
  /** A batch already taken from the iterator (the route pulls one to learn that the upstream answered). */
  first?: StreamEvent[];
  /** Called once when the stream ends, is cancelled or fails; `error` is set for failures. */
  onEnd?: (error?: RelayError) => void;
}

const encoder = new TextEncoder();

/** Frames a batch of events as one string. */
export function frameEvents(events: readonly StreamEvent[], observe?: (event: StreamEvent) => void): string {
  let text = "";
  for (const event of events) {
    observe?.(event);
    text += frameEvent(event);
  }
  return text;
}

/**
 * Frames an async iterable of event batches into an SSE byte stream, one write per batch.
 *
 * A failure of the iterable becomes a final Anthropic `error` event, so the stream never just stops;
 * cancelling the byte stream (client gone) returns the iterator, whose `finally` aborts the upstream call.
 */
export function sseStream(
  events: AsyncIterable<StreamEvent[]> | AsyncIterator<StreamEvent[]>,
  options: SseStreamOptions = {},
): ReadableStream<Uint8Array> {
  const iterator = Symbol.asyncIterator in events ? events[Symbol.asyncIterator]() : events;
  const pingMs = options.pingMs ?? 15_000;
  let ended = false;
  let last = Date.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  const end = (error?: RelayError) => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    options.onEnd?.(error);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (options.first) controller.enqueue(encoder.encode(frameEvents(options.first, options.observe)));
      // One interval per stream rather than a timer per chunk: the per-chunk path stays free of timers.
      timer = setInterval(() => {
        if (ended || Date.now() - last < pingMs) return;
        last = Date.now();
        controller.enqueue(encoder.encode(frameEvent({ type: "ping" })));
      }, pingMs);
    },
    async pull(controller) {
      try {
        const result = await iterator.next();
        if (ended) return;
        if (result.done) {
          end();
          controller.close();
          return;
        }
        last = Date.now();
        controller.enqueue(encoder.encode(frameEvents(result.value, options.observe)));
      } catch (err) {
        if (ended) return;
        const relay = toRelayError(err);
        controller.enqueue(
          encoder.encode(frameEvent({ type: "error", error: { type: relay.type, message: relay.message } })),
        );
        end(relay);
        controller.close();
      }
    },
    cancel() {
      // onEnd aborts the upstream call first: a generator blocked on an upstream read cannot run its
      // finally until that read settles.
      end(new RelayError("api_error", "Client disconnected", { status: 499 }));
      iterator.return?.().catch(() => {});
    },
  }, { highWaterMark: 0 });
}
