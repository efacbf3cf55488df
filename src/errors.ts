/**
 * One error class for everything relayx rejects or fails at, the status <-> type table,
 * and the Anthropic error envelope. Handlers throw; `app.ts` renders once.
 *
 * @module
 */
import type { ErrorType } from "./anthropic/types.ts";

const STATUS_OF: Record<ErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** Options for {@linkcode RelayError}. */
export interface RelayErrorOptions {
  /** Overrides the status the error type implies. */
  status?: number;
  /** Seconds the client should wait (copied from the upstream's `retry-after`). */
  retryAfter?: string;
  /** False for failures a retry cannot fix (sent as `x-should-retry: false`). */
  shouldRetry?: boolean;
  /** The underlying error, kept for logs (never rendered). */
  cause?: unknown;
  /**
   * True for a failure inside relayx itself (a bug), not an upstream's answer: the router neither falls
   * back on it nor cools the target down. {@linkcode toRelayError} sets it for anything not a RelayError.
   */
  internal?: boolean;
}

/**
 * An error that renders as an Anthropic error envelope.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const err = new RelayError("rate_limit_error", "Too many requests", { retryAfter: "20" });
 * assert.equal(err.status, 429);
 * assert.equal(err.retryAfter, "20");
 * ```
 */
export class RelayError extends Error {
  /** The Anthropic error type. */
  readonly type: ErrorType;
  /** The HTTP status. */
  readonly status: number;
  /** Value for the `retry-after` response header. */
  readonly retryAfter?: string;
  /** Value for the `x-should-retry` response header. */
  readonly shouldRetry?: boolean;
  /** A failure inside relayx itself, not an upstream's answer (see {@linkcode RelayErrorOptions.internal}). */
  readonly internal: boolean;

  /** Creates the error; its status is the one `type` implies unless `options.status` says otherwise. */
  constructor(type: ErrorType, message: string, options: RelayErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "RelayError";
    this.type = type;
    this.status = options.status ?? STATUS_OF[type];
    this.retryAfter = options.retryAfter;
    this.shouldRetry = options.shouldRetry;
    this.internal = options.internal ?? false;
  }
}

/** The JSON body Anthropic returns for an error. */
export interface ErrorEnvelope {
  /** Always `"error"`. */
  type: "error";
  /** The error type and its one-line message. */
  error: { type: ErrorType; message: string };
  /** The request's id, or null when it failed before it got one. */
  request_id: string | null;
}

/** Builds the Anthropic error envelope. */
export function errorEnvelope(type: ErrorType, message: string, requestId: string | null): ErrorEnvelope {
  return { type: "error", error: { type, message }, request_id: requestId };
}

/**
 * True for Anthropic's error type names (an upstream's envelope or `error` event may carry anything).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(isErrorType("overloaded_error"), true);
 * assert.equal(isErrorType("quota_error"), false);
 * ```
 */
export function isErrorType(value: unknown): value is ErrorType {
  return typeof value === "string" && Object.hasOwn(STATUS_OF, value);
}

/** The Anthropic error type that belongs to an HTTP status. */
export function errorTypeForStatus(status: number): ErrorType {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 504:
      return "timeout_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

/**
 * Turns anything thrown into a RelayError: unexpected errors (bugs; every upstream failure is mapped to
 * a RelayError where it happens) become a 500 without internals, marked `internal`.
 */
export function toRelayError(err: unknown): RelayError {
  if (err instanceof RelayError) return err;
  return new RelayError("api_error", "Internal error in relayx", { cause: err, internal: true });
}

/**
 * The error's message followed by its causes' (nested ones too, at most four deep), for the log line:
 * "Cannot reach the upstream at http://localhost:11434/v1: network error: error sending request: ...".
 * A cause whose message the text already holds is skipped. Its text is an upstream's as much as relayx's:
 * it goes through the redactor before it is logged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const cause = new TypeError("error sending request", { cause: new Error("connection refused") });
 * const err = new RelayError("api_error", "Cannot reach the upstream", { cause });
 * assert.equal(errorDetail(err), "Cannot reach the upstream: error sending request: connection refused");
 * ```
 */
export function errorDetail(err: Error): string {
  let text = err.message;
  let cause: unknown = err.cause;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    if (cause.message && !text.includes(cause.message)) text += `: ${cause.message}`;
    cause = cause.cause;
  }
  return text;
}

const OVERFLOW_RE =
  /prompt is too long|input is too long|context[_ ]length|context window|maximum context|too many tokens|exceeds the (?:maximum|context)|input token count|reduce the length|tokens? > \d+/i;

/** True when an upstream error message says the prompt did not fit the model's context. */
export function isContextOverflow(message: string): boolean {
  return OVERFLOW_RE.test(message);
}

function toInt(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s.replaceAll(",", ""));
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The error Claude Code recognises as a full context window, so that it compacts instead of retrying.
 * The figures come from the upstream message where it states them (Anthropic/Bedrock "N tokens > M maximum",
 * OpenAI "maximum context length is M tokens ... resulted in N tokens"); otherwise from relayx's own
 * estimate of the prompt and the model's context window.
 *
 * When the upstream says the prompt itself fits and only prompt plus `max_tokens` does not (OpenAI's and
 * vLLM's "P in the messages, C in the completion"), the answer is Anthropic's own wording for that case,
 * "input length and `max_tokens` exceed context limit: P + C > M", on which Claude Code retries with a
 * smaller `max_tokens` instead of compacting a conversation that is not too long.
 */
export function contextOverflowError(upstreamMessage: string, estimate: number, window: number): RelayError {
  const maxContext = toInt(upstreamMessage.match(/maximum context length is (\d[\d,]*)/i)?.[1]);
  const split = upstreamMessage.match(/(\d[\d,]*) in the messages, (\d[\d,]*) in the completion/i);
  const prompt = toInt(split?.[1]) ??
    toInt(upstreamMessage.match(/request has (\d[\d,]*) input tokens/i)?.[1]);
  const completion = toInt(split?.[2]) ??
    toInt(upstreamMessage.match(/max_(?:completion_)?tokens'?[^.]{0,60}?too large:\s*(\d[\d,]*)/i)?.[1]);
  if (maxContext !== undefined && prompt !== undefined && completion !== undefined && prompt <= maxContext) {
    return new RelayError(
      "invalid_request_error",
      `input length and \`max_tokens\` exceed context limit: ${prompt} + ${completion} > ${maxContext}, ` +
        "decrease input length or `max_tokens` and try again",
      { shouldRetry: false },
    );
  }
  const anthropic = upstreamMessage.match(/(\d[\d,]*)\s*tokens?\s*>\s*(\d[\d,]*)/i);
  let tokens = toInt(anthropic?.[1]) ?? prompt;
  let maximum = toInt(anthropic?.[2]) ?? maxContext;
  maximum ??= toInt(upstreamMessage.match(/(?:maximum|max|limit)[a-z ]{0,30}?(?:is|of)?\s*(\d[\d,]*)/i)?.[1]);
  tokens ??= toInt(
    upstreamMessage.match(/(?:resulted in|requested|you requested|has|contains)\s*(\d[\d,]*)/i)?.[1],
  );
  if (!maximum || maximum <= 0) maximum = window > 0 ? window : Math.max(estimate, 1);
  // Claude Code sizes what it drops from the gap N - M: without figures from the upstream, a gap of 10%
  // (or relayx's estimate, when larger) is believable, where M + 1 would make it trim one message at a time.
  if (tokens === undefined || tokens <= maximum) {
    tokens = estimate > maximum ? estimate : Math.ceil((maximum * 11) / 10);
  }
  return new RelayError(
    "invalid_request_error",
    `prompt is too long: ${tokens} tokens > ${maximum} maximum`,
    {
      shouldRetry: false,
    },
  );
}
