/**
 * Upstream failures of OpenAI-compatible servers, as Anthropic errors: the status table of protocol.md 9.5,
 * the three body shapes seen in the wild (OpenAI's `{error: {...}}`, Gemini's array
 * `[{error: {code, message, status}}]`, plain text), context overflow rewritten into the message Claude
 * Code compacts on, and connection failures explained.
 *
 * @module
 */
import { contextOverflowError, isContextOverflow, RelayError } from "../../errors.ts";
import { isRecord, str } from "../_json.ts";

/** Options for {@linkcode fromOpenAIError}. */
export interface OpenAIErrorOptions {
  /** The upstream's `retry-after` header, copied to the client on 429. */
  retryAfter?: string | null;
  /** relayx's estimate of the prompt's tokens (used when an overflow message states no count). */
  estimate: number;
  /** The model's context window (used when an overflow message states no maximum). */
  window: number;
}

interface ErrorInfo {
  message: string;
  code?: string | number;
  type?: string;
}

/** Reads message, code and type from any of the error body shapes. */
function errorInfo(body: unknown): ErrorInfo | undefined {
  if (typeof body === "string") {
    const text = body.trim();
    if (text.startsWith("{") || text.startsWith("[")) {
      try {
        const parsed = errorInfo(JSON.parse(text));
        if (parsed) return parsed;
      } catch {
        // Not JSON after all: the text is the message.
      }
    }
    if (text === "") return undefined;
    // A gateway's error page (nginx, Cloudflare, a load balancer): its title says it all.
    if (/^<(?:!doctype html|html)\b/i.test(text)) {
      const title = text.match(/<title[^>]*>([^<]*)<\/title>/i)?.[1]?.trim();
      return { message: title ? `${title} (HTML page)` : "an HTML page" };
    }
    return { message: text };
  }
  if (Array.isArray(body)) return errorInfo(body[0]);
  if (!isRecord(body)) return undefined;
  const inner = body.error;
  if (isRecord(inner)) {
    // Empty strings say nothing: `||` passes over them.
    const message = str(inner.message) || str(inner.status) || str(inner.type);
    const code = typeof inner.code === "number" || typeof inner.code === "string" ? inner.code : undefined;
    return message ? { message, code, type: str(inner.type) || str(inner.status) || undefined } : undefined;
  }
  if (typeof inner === "string") return { message: inner };
  // vLLM / FastAPI shapes: `{object: "error", message, type, code}`, `{detail: "..."}`.
  const message = str(body.message) || str(body.detail);
  if (!message) return undefined;
  const code = typeof body.code === "number" || typeof body.code === "string" ? body.code : undefined;
  return { message, code, type: str(body.type) || undefined };
}

// Local servers' wordings the shared pattern does not know: llama.cpp "the request exceeds the available
// context size", LM Studio "context overflow", Ollama/vLLM "input length exceeds the context length".
const LOCAL_OVERFLOW_RE =
  /context size|context overflow|context (?:is )?full|exceeds? the (?:available )?context/i;

function retryAfterOf(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === "" ? undefined : value;
}

/**
 * The Anthropic error for a failed OpenAI-compatible call.
 *
 * 400/422 -> 400 `invalid_request_error`; any context-overflow wording (or code `context_length_exceeded`)
 * -> the `prompt is too long: N tokens > M maximum` error; 401 -> 500 `api_error` "Upstream authentication
 * failed" with `shouldRetry: false` (a 401 would blame the client's own key); 403 -> `permission_error`;
 * 404 -> `not_found_error`; 408 -> 504 `timeout_error`; 409 -> 409 `invalid_request_error` (transient: no
 * `x-should-retry`); 413 -> `request_too_large`; 429 -> `rate_limit_error` with `retry-after`;
 * 502/503/504/529 -> 529 `overloaded_error` with `retry-after`; other 5xx -> 500 `api_error`.
 *
 * The message is the upstream's, whole: pass the error through a redactor (`createRedactor` of
 * `src/redact.ts`, as the backend does) before showing it, since upstreams quote the key they rejected.
 *
 * @example
 * ```ts
 * fromOpenAIError(400, { error: { message: "...", code: "context_length_exceeded" } }, { estimate: 9000, window: 8192 });
 * // RelayError 400 "prompt is too long: 9000 tokens > 8192 maximum"
 * ```
 */
export function fromOpenAIError(status: number, body: unknown, opts: OpenAIErrorOptions): RelayError {
  const info = errorInfo(body);
  // Upstream messages may quote (part of) the key they rejected: the backend passes the result through
  // the redactor (src/redact.ts), which also bounds it; the overflow figures below need the text whole.
  const message = info ? info.message.trim() : `Upstream returned HTTP ${status}`;
  // Rate limits ("tokens per minute") and auth errors can mention tokens without being about the window.
  if (info !== undefined && status !== 429 && status !== 401 && status !== 403) {
    if (
      info.code === "context_length_exceeded" || isContextOverflow(info.message) ||
      LOCAL_OVERFLOW_RE.test(info.message)
    ) {
      return contextOverflowError(info.message, opts.estimate, opts.window);
    }
  }
  switch (status) {
    case 400:
    case 422:
      return new RelayError("invalid_request_error", message, { shouldRetry: false });
    case 401:
      return new RelayError("api_error", `Upstream authentication failed: ${message}`, {
        shouldRetry: false,
      });
    case 403:
      return new RelayError("permission_error", message, { shouldRetry: false });
    case 404:
      return new RelayError("not_found_error", message, { shouldRetry: false });
    case 408:
      return new RelayError("timeout_error", message);
    case 409:
      // A conflict is transient (a lock, a concurrent update): the client's own retry rules decide.
      return new RelayError("invalid_request_error", message, { status: 409 });
    case 413:
      return new RelayError("request_too_large", message, { shouldRetry: false });
    case 429:
      return new RelayError("rate_limit_error", message, { retryAfter: retryAfterOf(opts.retryAfter) });
    case 502:
    case 503:
    case 504:
    case 529:
      return new RelayError("overloaded_error", message, { retryAfter: retryAfterOf(opts.retryAfter) });
    default:
      if (status >= 500) return new RelayError("api_error", message);
      return new RelayError("invalid_request_error", message, { status: 400, shouldRetry: false });
  }
}

/** The HTTP status an in-stream error object stands for (Gemini puts it in `code`, OpenAI only a `type`). */
function streamErrorStatus(info: ErrorInfo | undefined): number {
  if (typeof info?.code === "number" && info.code >= 400 && info.code < 600) return info.code;
  const kind = `${info?.type ?? ""} ${typeof info?.code === "string" ? info.code : ""}`.toLowerCase();
  if (kind.includes("context_length")) return 400;
  if (kind.includes("rate_limit") || kind.includes("resource_exhausted")) return 429;
  if (kind.includes("invalid_request") || kind.includes("invalid_argument")) return 400;
  if (kind.includes("overloaded") || kind.includes("unavailable")) return 503;
  if (kind.includes("timeout") || kind.includes("deadline")) return 408;
  return 500;
}

/**
 * The Anthropic error for an `{error: {...}}` object that arrived inside a 200 stream or body.
 *
 * @example
 * ```ts
 * fromOpenAIErrorChunk({ error: { message: "Overloaded", code: 503 } }, { estimate: 0, window: 0 });
 * // RelayError 529 overloaded_error
 * ```
 */
export function fromOpenAIErrorChunk(chunk: unknown, opts: OpenAIErrorOptions): RelayError {
  return fromOpenAIError(streamErrorStatus(errorInfo(chunk)), chunk, opts);
}

function causeText(cause: unknown): string {
  const parts: string[] = [];
  let current: unknown = cause;
  // Deno wraps the OS error a few levels down ("error sending request ...: tcp connect error: ...").
  for (let i = 0; i < 5 && current !== undefined && current !== null; i++) {
    if (current instanceof Error) {
      parts.push(current.name, current.message, (current as { code?: unknown }).code?.toString() ?? "");
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(" ");
}

/** The base URL without credentials, query or fragment: safe to show. */
function displayUrl(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return "the configured base URL";
  }
}

/**
 * The Anthropic error for an upstream that could not be reached at all (fetch threw before a response).
 *
 * @example
 * ```ts
 * connectionError("http://localhost:11434/v1", new TypeError("... Connection refused (os error 111)"));
 * // RelayError 500 api_error
 * // "Cannot reach the upstream at http://localhost:11434/v1: connection refused (is the server running?)"
 * ```
 */
export function connectionError(baseUrl: string, cause: unknown): RelayError {
  const text = causeText(cause);
  const where = displayUrl(baseUrl);
  if (/TimeoutError|timed? ?out|ETIMEDOUT/i.test(text)) {
    return new RelayError("timeout_error", `Timed out connecting to the upstream at ${where}`, { cause });
  }
  let reason = "network error";
  if (/connection refused|ECONNREFUSED|ConnectionRefused/i.test(text)) {
    reason = "connection refused (is the server running?)";
  } else if (
    /dns|lookup|name or service not known|ENOTFOUND|no such host|nodename nor servname/i.test(text)
  ) {
    reason = "host not found";
  } else if (/certificate|tls|ssl|handshake/i.test(text)) reason = "TLS handshake failed";
  else if (/reset|ECONNRESET|broken pipe|EPIPE/i.test(text)) reason = "connection reset";
  else if (/unreachable|EHOSTUNREACH|ENETUNREACH/i.test(text)) reason = "network unreachable";
  return new RelayError("api_error", `Cannot reach the upstream at ${where}: ${reason}`, { cause });
}
