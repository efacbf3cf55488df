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
import { estimateInputTokens } from "../../tokens.ts";
import { connectionError, fromOpenAIError } from "../../translate/openai/openai_errors.ts";
import { contextWindow } from "../../translate/openai/providers.ts";
import { UpstreamHttpError } from "./client.ts";

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Maps a failed call. A {@linkcode RelayError} passes through; the input-token estimate (for
 * context-overflow messages) is computed only here, on failure.
 *
 * @example
 * ```ts
 * import { UpstreamHttpError } from "./client.ts";
 *
 * const request = { model: "claude-sonnet-4-5", messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "Hi" }] }] };
 * const err = new UpstreamHttpError(503, "Service Unavailable", new Headers());
 * mapError(err, request, "gpt-4.1", "https://api.openai.com/v1").status; // 529
 * ```
 */
export function mapError(
  err: unknown,
  request: Omit<MessagesRequest, "max_tokens">,
  model: string,
  baseUrl: string,
): RelayError {
  if (err instanceof RelayError) return err;
  const cause = err instanceof Error && err.cause instanceof UpstreamHttpError ? err.cause : err;
  if (cause instanceof UpstreamHttpError) {
    return fromOpenAIError(cause.status, parseBody(cause.body), {
      retryAfter: cause.headers.get("retry-after"),
      estimate: estimateInputTokens(request),
      window: contextWindow(model),
    });
  }
  if (err instanceof OpenAI.APIUserAbortError) {
    return new RelayError("api_error", "Request aborted", { status: 499 });
  }
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new RelayError("timeout_error", `Upstream at ${baseUrl} timed out`);
  }
  if (err instanceof OpenAI.APIConnectionError) return connectionError(baseUrl, err.cause ?? err);
  return connectionError(baseUrl, err);
}
