/**
 * The one retry relayx makes itself: an upstream request that failed before the upstream answered a
 * single byte, because the connection was refused or closed (reset) under it, is sent once more.
 * Nothing else is retried here: the client (Claude Code, the SDKs) retries what it can see, honouring
 * `retry-after` and `x-should-retry`, and a second layer of retries would multiply its waits.
 *
 * @module
 */

// Deno's fetch: "client error (Connect): tcp connect error: Connection refused (os error 111)", hyper's
// "connection closed before message completed" (a pooled connection the server closed as it was reused,
// or a server that closed without answering), and a bare "Connection reset by peer (os error 104)".
const UNANSWERED_RE =
  /connection refused|ECONNREFUSED|connection closed before message completed|connection reset|ECONNRESET/i;

function causeText(err: unknown): string {
  let text = "";
  let current: unknown = err;
  // Deno wraps the OS error a level or two down ("fetch failed" <- "error sending request ...").
  for (let i = 0; i < 4 && current instanceof Error; i++) {
    text += ` ${current.message}`;
    current = current.cause;
  }
  return text;
}

/**
 * True when a request failed before the upstream sent any byte of an answer, in a way a second attempt
 * may fix: a refused connection, or one closed or reset before the response began. Aborts, timeouts,
 * DNS and TLS failures, and anything after the response began are not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const refused = new TypeError("fetch failed", {
 *   cause: new Error("client error (Connect): tcp connect error: Connection refused (os error 111)"),
 * });
 * assert.equal(isUnanswered(refused), true);
 * assert.equal(isUnanswered(new DOMException("The signal has been aborted", "AbortError")), false);
 * ```
 */
export function isUnanswered(err: unknown): boolean {
  if (!(err instanceof TypeError)) return false;
  return UNANSWERED_RE.test(causeText(err));
}

function resendable(body: unknown): boolean {
  return body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;
}

/**
 * A fetch that sends a request once more when it failed {@linkcode isUnanswered}, unless its signal
 * was aborted or its body cannot be sent twice (a stream, a `Request` object).
 *
 * @example
 * ```ts
 * const post = retryOnce(fetch);
 * const res = await post("http://127.0.0.1:11434/v1/chat/completions", { method: "POST", body: "{}" });
 * ```
 */
export function retryOnce(base: typeof fetch): typeof fetch {
  return async (input, init) => {
    try {
      return await base(input, init);
    } catch (err) {
      if (
        !isUnanswered(err) || init?.signal?.aborted || input instanceof Request || !resendable(init?.body)
      ) throw err;
      return await base(input, init);
    }
  };
}
