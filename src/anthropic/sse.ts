/**
 * Server-sent-event framing of Anthropic stream events: the one place that turns event objects into bytes.
 *
 * @module
 */
import type { StreamEvent } from "./types.ts";
import { RelayError, toRelayError } from "../errors.ts";

/** Frames one event as `event: <type>\ndata: <json>\n\n`. */
export function frameEvent(event: StreamEvent): string {
  if (event.type === "content_block_delta") {
    const delta = _deltaFrame(event);
    if (delta !== undefined) return delta;
  }
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

// True when the object's own enumerable keys are exactly these, in this order (JSON.stringify's order).
function keysAre(o: object, k0: string, k1: string, k2?: string): boolean {
  let i = 0;
  for (const k in o) {
    if (k !== (i === 0 ? k0 : i === 1 ? k1 : i === 2 ? k2 : undefined)) return false;
    i++;
  }
  return i === (k2 === undefined ? 2 : 3);
}

/**
 * Text and tool-input deltas are most of a stream's events, and their JSON is a fixed template around
 * one string: only the string is serialised (a third of the cost of the whole object). The bytes are
 * exactly `JSON.stringify(event)`'s: the template is used only for an event of exactly that shape.
 */
function _deltaFrame(event: Extract<StreamEvent, { type: "content_block_delta" }>): string | undefined {
  const { index, delta } = event;
  if (!Number.isInteger(index) || !keysAre(event, "type", "index", "delta")) return undefined;
  if (delta.type === "text_delta" && typeof delta.text === "string" && keysAre(delta, "type", "text")) {
    return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":${
      JSON.stringify(delta.text)
    }}}\n\n`;
  }
  if (
    delta.type === "input_json_delta" && typeof delta.partial_json === "string" &&
    keysAre(delta, "type", "partial_json")
  ) {
    return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"input_json_delta","partial_json":${
      JSON.stringify(delta.partial_json)
    }}}\n\n`;
  }
  return undefined;
}

/** Options for {@linkcode sseStream}. */
export interface SseStreamOptions {
  /** Sends `ping` after this many idle milliseconds so proxies and clients keep the socket (default 15 s). */
  pingMs?: number;
  /** Sees every event before it is framed (usage accounting, time to first byte). */
  observe?: (event: StreamEvent) => void;
  /** A batch already taken from the iterator (the route pulls one to learn that the upstream answered). */
  first?: StreamEvent[];
  /**
   * A `next()` already called on the iterator and not settled yet (the upstream is slow to answer): the
   * stream starts with a `ping`, so that the client has its response and a sign of life, and takes this
   * result before calling `next()` again.
   */
  pending?: Promise<IteratorResult<StreamEvent[]>>;
  /**
   * Ends the stream at once when aborted, with an `error` event for the reason (a `RelayError`, e.g. an
   * `overloaded_error` at shutdown), and returns the iterator.
   */
  signal?: AbortSignal;
  /** Called once when the stream ends, is cancelled or fails; `error` is set for failures. */
  onEnd?: (error?: RelayError) => void;
}

const encoder = new TextEncoder();

// Streams started and not yet ended, in this process.
let openCount = 0;

/**
 * How many Anthropic event streams are being written now: a collection that would pause them waits for
 * none (`server/idle_gc.ts`).
 */
export function openStreams(): number {
  return openCount;
}

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
 * A failure of the iterable becomes a final Anthropic `error` event, and so does an iterable that ends
 * without any batch, so the stream never just stops; cancelling the byte stream (client gone) returns the
 * iterator, whose `finally` aborts the upstream call.
 *
 * @example
 * ```ts
 * import type { StreamEvent } from "@relayx/server";
 *
 * async function* events(): AsyncGenerator<StreamEvent[]> {
 *   yield [{ type: "message_stop" }];
 * }
 * const text = await new Response(sseStream(events())).text();
 * console.log(text); // event: message_stop\ndata: {"type":"message_stop"}\n\n
 * ```
 */
export function sseStream(
  events: AsyncIterable<StreamEvent[]> | AsyncIterator<StreamEvent[]>,
  options: SseStreamOptions = {},
): ReadableStream<Uint8Array> {
  const iterator = Symbol.asyncIterator in events ? events[Symbol.asyncIterator]() : events;
  const pingMs = options.pingMs ?? 15_000;
  const signal = options.signal;
  let pending = options.pending;
  let answered = options.first !== undefined;
  let ended = false;
  let last = Date.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  const end = (error?: RelayError) => {
    if (ended) return;
    ended = true;
    openCount--;
    clearInterval(timer);
    signal?.removeEventListener("abort", onAbort);
    options.onEnd?.(error);
  };
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, err: unknown) => {
    if (ended) return;
    const relay = toRelayError(err);
    end(relay);
    try {
      controller.enqueue(
        encoder.encode(frameEvent({ type: "error", error: { type: relay.type, message: relay.message } })),
      );
      controller.close();
    } catch {
      // The client went away while this was written: it gets nothing more either way.
    }
  };
  function onAbort() {
    if (!stream || ended) return;
    const reason = toRelayError(signal?.reason);
    // A client that left has no use for an error event; the runtime may already be closing the body.
    if (reason.status === 499) end(reason);
    else fail(stream, reason);
    iterator.return?.().catch(() => {});
  }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      stream = controller;
      if (options.first) controller.enqueue(encoder.encode(frameEvents(options.first, options.observe)));
      else if (pending) controller.enqueue(encoder.encode(frameEvent({ type: "ping" })));
      // Counted once nothing here can throw any more: a stream that failed to start never ends.
      openCount++;
      // One interval per stream rather than a timer per chunk: the per-chunk path stays free of timers.
      timer = setInterval(() => {
        if (ended || Date.now() - last < pingMs) return;
        last = Date.now();
        controller.enqueue(encoder.encode(frameEvent({ type: "ping" })));
      }, pingMs);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    },
    async pull(controller) {
      try {
        const next = pending ?? iterator.next();
        pending = undefined;
        const result = await next;
        if (ended) return;
        if (result.done) {
          if (!answered) throw new RelayError("api_error", "Upstream returned an empty stream");
          end();
          controller.close();
          return;
        }
        answered = true;
        last = Date.now();
        controller.enqueue(encoder.encode(frameEvents(result.value, options.observe)));
      } catch (err) {
        fail(controller, err);
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
