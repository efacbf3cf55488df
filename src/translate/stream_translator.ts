/**
 * The shape every stream translator shares: a synchronous transducer from upstream chunks to Anthropic
 * events, and two drivers over it. Events come out in batches, one per upstream network read, so that the
 * server writes one SSE frame group per read instead of one socket write and several promise hops per
 * event (the per-chunk path decides throughput; see performance.md).
 *
 * @module
 */
import type { StreamEvent } from "../anthropic/types.ts";

/** Upstream chunks in, Anthropic events out; no I/O. */
export interface StreamTranslator {
  /**
   * Translates one upstream chunk, appending events to `out`.
   *
   * @throws {RelayError} for an upstream error carried inside the stream.
   */
  push(chunk: unknown, out: StreamEvent[]): void;
  /** True once `message_stop` was produced: the rest of the upstream is not needed. */
  readonly done: boolean;
  /**
   * The upstream ended: closes the open block and sends `message_delta` and `message_stop`.
   *
   * @throws {RelayError} when the upstream ended too early to make a message.
   */
  end(out: StreamEvent[]): void;
}

/** A translator's state machine: handles chunks and knows when the message is complete. */
export interface StreamState {
  /** True once `message_stop` was produced. */
  readonly done: boolean;
  /** Translates one upstream chunk, appending events to `out`. */
  handle(chunk: unknown, out: StreamEvent[]): void;
}

/**
 * Wraps a state machine as a {@linkcode StreamTranslator}; `finish` completes a message whose upstream
 * ended before `message_stop` (or throws when it ended too early to make one).
 */
export function stateTranslator(state: StreamState, finish: (out: StreamEvent[]) => void): StreamTranslator {
  return {
    get done() {
      return state.done;
    },
    push(chunk: unknown, out: StreamEvent[]): void {
      state.handle(chunk, out);
    },
    end(out: StreamEvent[]): void {
      if (!state.done) finish(out);
    },
  };
}

/** Maps an error thrown while reading the upstream (a network failure, an SDK exception) to a RelayError. */
export type ReadErrorMapper = (err: unknown) => unknown;

/**
 * Runs a translator over upstream chunks, yielding one event at a time (the convenient form for library
 * users; the server uses {@linkcode translateBatches}).
 */
export async function* translateEvents(
  chunks: AsyncIterable<unknown>,
  translator: StreamTranslator,
  mapReadError: ReadErrorMapper = (err) => err,
): AsyncGenerator<StreamEvent> {
  const out: StreamEvent[] = [];
  try {
    for await (const chunk of chunks) {
      translator.push(chunk, out);
      for (let i = 0; i < out.length; i++) yield out[i] as StreamEvent;
      out.length = 0;
      if (translator.done) return;
    }
  } catch (err) {
    throw mapReadError(err);
  }
  translator.end(out);
  yield* out;
}

/**
 * Runs a translator over batches of upstream chunks (one batch per network read), yielding the events of
 * each batch together. Empty batches yield nothing.
 */
export async function* translateBatches(
  batches: AsyncIterable<readonly unknown[]>,
  translator: StreamTranslator,
  mapReadError: ReadErrorMapper = (err) => err,
): AsyncGenerator<StreamEvent[]> {
  try {
    for await (const batch of batches) {
      const out: StreamEvent[] = [];
      try {
        for (let i = 0; i < batch.length && !translator.done; i++) translator.push(batch[i], out);
      } catch (err) {
        // What was translated before the upstream's error still goes out first, exactly as if the error
        // had come in a later read: the client sees the partial message, then the error event.
        if (out.length) yield out;
        throw err;
      }
      if (out.length) yield out;
      if (translator.done) return;
    }
  } catch (err) {
    throw mapReadError(err);
  }
  const out: StreamEvent[] = [];
  translator.end(out);
  yield out;
}
