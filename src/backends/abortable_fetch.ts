/**
 * A fetch whose abort signal keeps working for as long as the response body is read. Under Deno, once a
 * `Response` object has been garbage-collected, aborting its request's signal no longer cancels a read
 * of its body that is waiting: a stalled upstream, or one whose client has left, would then never be
 * cancelled. Readers (relayx's decoders, the SDKs' body collectors) keep only the body, so each response
 * is kept alive by its body here.
 *
 * @module
 */

// Body -> its Response: the entry lives exactly as long as something holds the body.
const owners = new WeakMap<ReadableStream<Uint8Array>, Response>();

/**
 * Wraps a fetch (the global one, looked up at each call, when none is given) so that aborting a request's signal cancels its body reads even after the `Response`
 * object itself is no longer referenced.
 *
 * @example
 * ```ts
 * const send = abortableFetch(fetch);
 * const abort = new AbortController();
 * const res = await send("http://127.0.0.1:11434/v1/models", { signal: abort.signal });
 * const reader = res.body!.getReader(); // holding only the reader is enough
 * abort.abort(); // a pending reader.read() rejects
 * ```
 */
export function abortableFetch(base?: typeof fetch): typeof fetch {
  return async (input, init) => {
    // Without a base, the global fetch is looked up per call, so that a fetch installed later (tests,
    // instrumentation) is the one used.
    const res = await (base ?? globalThis.fetch)(input, init);
    if (res.body) owners.set(res.body, res);
    return res;
  };
}
