/**
 * Bedrock failures -> the {@linkcode RelayError} the client gets: the SDK's typed exceptions through
 * `translate/bedrock/bedrock_errors.ts`, plus what only the backend sees (the response's retry-after
 * header, an aborted request, the credential profile for the login hint).
 *
 * @module
 */
import type { MessagesRequest } from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import type { Redactor } from "../../redact.ts";
import { estimateInputTokens } from "../../tokens.ts";
import { rec } from "../../translate/_json.ts";
import { fromBedrockError } from "../../translate/bedrock/bedrock_errors.ts";

function retryAfterOf(err: unknown): string | undefined {
  const headers = rec(rec(rec(err)?.$response)?.headers);
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === "retry-after" && typeof v === "string") return v;
  }
  return undefined;
}

function isAbort(err: unknown): boolean {
  const name = rec(err)?.name;
  return name === "AbortError" || name === "RequestAbortedError";
}

/**
 * Maps a failed Bedrock call, through `redact` (the one place Bedrock's words reach the client: exception
 * messages, stream exception frames, malformed events, exception causes). A {@linkcode RelayError} is
 * redacted as well; an abort becomes a 499; the input-token estimate (for context-overflow messages) is
 * computed only here, on failure; `window` is the model's context window, which such a message states when
 * Bedrock names none.
 *
 * @example
 * ```ts
 * import { createRedactor } from "../../redact.ts";
 *
 * const request = { model: "claude-sonnet-4-5", messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "Hi" }] }] };
 * const err = Object.assign(new Error("Too many requests"), { name: "ThrottlingException" });
 * mapError(err, request, 200_000, undefined, createRedactor([])).status; // 429
 * ```
 */
export function mapError(
  err: unknown,
  request: Omit<MessagesRequest, "max_tokens">,
  window: number,
  profile: string | undefined,
  redact: Redactor,
): RelayError {
  return redact.error(classify(err, request, window, profile));
}

function classify(
  err: unknown,
  request: Omit<MessagesRequest, "max_tokens">,
  window: number,
  profile: string | undefined,
): RelayError {
  if (err instanceof RelayError) return err;
  if (isAbort(err)) return new RelayError("api_error", "Request aborted", { status: 499, cause: err });
  const relay = fromBedrockError(err, {
    estimate: estimateInputTokens(request),
    window,
    profile,
  });
  const retryAfter = retryAfterOf(err);
  if (!retryAfter) return relay;
  return new RelayError(relay.type, relay.message, {
    status: relay.status,
    retryAfter,
    shouldRetry: relay.shouldRetry,
    cause: err,
  });
}

/**
 * An error as one short line (`Name: first line of the message`, at most 240 characters), for warnings
 * and the start-up banner.
 *
 * @example
 * ```ts
 * shortError(new TypeError("fetch failed\nat ...")); // "TypeError: fetch failed"
 * ```
 */
export function shortError(err: unknown): string {
  const e = rec(err);
  const name = typeof e?.name === "string" ? e.name : "Error";
  const message = typeof e?.message === "string" ? e.message.split("\n")[0] ?? "" : String(err);
  return `${name}: ${message}`.slice(0, 240);
}
