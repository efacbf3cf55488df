/**
 * An Anthropic-format upstream's error answer -> the {@linkcode RelayError} the client gets. Such an
 * upstream already speaks Anthropic's error envelope, so its type and status pass through (a 529 stays
 * `overloaded_error`); a body that is no envelope (a proxy's HTML page, a bare string) gets the type its
 * status implies and a short excerpt. The caller redacts.
 *
 * @module
 */
import { errorTypeForStatus, isErrorType, RelayError } from "../../errors.ts";
import { rec, str } from "../_json.ts";

/** The response headers the mapping keeps. */
export interface UpstreamErrorHeaders {
  /** `retry-after`, passed on to the client. */
  retryAfter: string | null;
  /** `x-should-retry`. */
  shouldRetry: string | null;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Maps an error answer (status and body text) of an Anthropic-format upstream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const body = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
 * const err = fromAnthropicError(529, body, { retryAfter: "3", shouldRetry: null });
 * assert.equal(err.type, "overloaded_error");
 * assert.equal(err.status, 529);
 * assert.equal(err.retryAfter, "3");
 * ```
 */
export function fromAnthropicError(status: number, text: string, headers: UpstreamErrorHeaders): RelayError {
  const envelope = rec(parse(text));
  // Anthropic's envelope, and the bare `{"error": {...}}` some compatible servers send.
  const error = rec(envelope?.error);
  const declared = error?.type;
  // A non-error status (an error envelope sent with 200) keeps the type's own status.
  const type = isErrorType(declared) ? declared : errorTypeForStatus(status >= 400 ? status : 500);
  const message = str(error?.message) ||
    (typeof envelope?.error === "string" ? envelope.error : "") ||
    `Upstream answered HTTP ${status}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ""}`;
  return new RelayError(type, message, {
    status: status >= 400 ? status : undefined,
    retryAfter: headers.retryAfter ?? undefined,
    shouldRetry: headers.shouldRetry === null ? undefined : headers.shouldRetry !== "false",
  });
}
