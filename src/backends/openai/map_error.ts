/**
 * OpenAI-compatible failures -> the {@linkcode RelayError} the client gets: an upstream's error status
 * and body through `translate/openai/openai_errors.ts`, the SDK's abort, timeout and connection errors
 * by class.
 *
 * @module
 */
import OpenAI from "openai";
import type { MessagesRequest } from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import type { Redactor } from "../../redact.ts";
import { estimateInputTokens } from "../../tokens.ts";
import { connectionError, fromOpenAIError } from "../../translate/openai/openai_errors.ts";
import { UpstreamHttpError } from "./client.ts";

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Maps a failed call, through `redact` (the one place an OpenAI-compatible upstream's words reach the
 * client: error bodies, malformed chunks, exception causes). A {@linkcode RelayError} is redacted as
 * well; the input-token estimate (for context-overflow messages) is computed only here, on failure;
 * `window` is the model's context window, which such a message states when the upstream names none.
 *
 * @example
 * ```ts
 * import { UpstreamHttpError } from "./client.ts";
 * import { createRedactor } from "../../redact.ts";
 *
 * const request = { model: "claude-sonnet-4-5", messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "Hi" }] }] };
 * const err = new UpstreamHttpError(503, "Service Unavailable", new Headers());
 * mapError(err, request, 1_047_576, "https://api.openai.com/v1", createRedactor([])).status; // 529
 * ```
 */
export function mapError(
  err: unknown,
  request: Omit<MessagesRequest, "max_tokens">,
  window: number,
  baseUrl: string,
  redact: Redactor,
): RelayError {
  return redact.error(classify(err, request, window, baseUrl));
}

function classify(
  err: unknown,
  request: Omit<MessagesRequest, "max_tokens">,
  window: number,
  baseUrl: string,
): RelayError {
  if (err instanceof RelayError) return err;
  const cause = err instanceof Error && err.cause instanceof UpstreamHttpError ? err.cause : err;
  if (cause instanceof UpstreamHttpError) {
    return fromOpenAIError(cause.status, parseBody(cause.body), {
      retryAfter: cause.headers.get("retry-after"),
      estimate: estimateInputTokens(request),
      window,
    });
  }
  if (err instanceof OpenAI.APIUserAbortError) {
    return new RelayError("api_error", "Request aborted", { status: 499 });
  }
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new RelayError("timeout_error", `Upstream at ${baseUrl} timed out`);
  }
  if (err instanceof OpenAI.APIConnectionError) return connectionError(baseUrl, err.cause ?? err);
  // `res.json()` of a 200 body that is not JSON; the parser's message quotes the body, so it stays in
  // the cause (logged, redacted) and out of the answer.
  if (err instanceof SyntaxError) {
    return new RelayError("api_error", "Upstream answered with a body that is not JSON", { cause: err });
  }
  return connectionError(baseUrl, err);
}
