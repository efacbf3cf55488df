/**
 * One structured line per request. Only figures and names go in; never a key, a header or a body. As a
 * last line of defence the logger itself passes every string through the redactor and bounds it (a
 * 10 MB model name gives a 1,000-character field, not a 20 MB line).
 *
 * @module
 */
import { createRedactor, type Redactor } from "./redact.ts";

/** What is logged for one request. */
export interface RequestLog {
  /** The `request-id` relayx sent back (`req_...`). */
  request_id: string;
  /** The backend kind that served it. */
  backend: string;
  /** The HTTP method. */
  method: string;
  /** The request path, without the query. */
  path: string;
  /** Claude Code's session id (`X-Claude-Code-Session-Id`), when sent. */
  session_id?: string;
  /** The client program (`User-Agent`'s first product, `claude-cli/2.1.3`), when sent. */
  client?: string;
  /** The HTTP status; for a stream, how it ended (200, 499 when the client left, or the error's status). */
  status: number;
  /** The model the client asked for. */
  model?: string;
  /** The upstream model it resolved to. */
  upstream_model?: string;
  /** True for a streamed answer. */
  stream?: boolean;
  /** The route that matched (configurations with several backends). */
  route?: string;
  /** The target that served it (`NAME` or `NAME/MODEL`). */
  target?: string;
  /** The targets tried before it, with their outcome. */
  tried?: string[];
  /** Input tokens, not counting cached ones (the upstream's figure, or relayx's estimate). */
  input_tokens?: number;
  /** Output tokens. */
  output_tokens?: number;
  /** Input tokens read from the prompt cache. */
  cache_read_input_tokens?: number;
  /** Input tokens written to the prompt cache. */
  cache_creation_input_tokens?: number;
  /** Milliseconds until the first stream event was written. */
  ttfb_ms?: number;
  /** Milliseconds until the answer (or the stream) ended. */
  total_ms: number;
  /** The Anthropic error type of a failure. */
  error_type?: string;
  /** The failure's message (and its cause's, for unexpected errors). */
  error?: string;
  /** What relayx dropped or changed in the request (also sent as `x-relayx-warnings`). */
  warnings?: string[];
}

/** Where request lines go. */
export type Logger = (entry: RequestLog) => void;

/** The longest a logged string gets, before its "…(N more)" marker. */
export const MAX_LOG_FIELD = 1000;

/** The most warnings one line lists; more are counted in a last entry. */
export const MAX_LOG_WARNINGS = 10;

type Field = RequestLog[keyof RequestLog];

function bounded(value: Field, redact: Redactor): Field {
  if (typeof value === "string") return redact.text(value, MAX_LOG_FIELD);
  if (!Array.isArray(value)) return value;
  const shown = value.slice(0, MAX_LOG_WARNINGS).map((w) => redact.text(w, MAX_LOG_FIELD));
  if (value.length > MAX_LOG_WARNINGS) shown.push(`…(${value.length - MAX_LOG_WARNINGS} more)`);
  return shown;
}

// The line's fields, redacted and bounded, in the record's order, without the unset ones.
function fields(entry: RequestLog, redact: Redactor): [string, Field][] {
  const out: [string, Field][] = [];
  for (const [key, value] of Object.entries(entry) as [string, Field][]) {
    if (value !== undefined) out.push([key, bounded(value, redact)]);
  }
  return out;
}

/**
 * A logger writing JSON lines, readable `key=value` text, or nothing. Every string field passes `redact`
 * (by default one that knows no configured secret but hides header values and well-known key shapes)
 * and is cut to {@linkcode MAX_LOG_FIELD} characters; at most {@linkcode MAX_LOG_WARNINGS} warnings are
 * listed, so a line stays under about 20 KB whatever the request held.
 *
 * @example
 * ```ts
 * import { createRedactor } from "./redact.ts";
 *
 * const log = createLogger("text", createRedactor(["relayx-local-secret"]));
 * log({ request_id: "req_1", backend: "bedrock", method: "GET", path: "/health", status: 200, total_ms: 1 });
 * // request_id="req_1" backend="bedrock" method="GET" path="/health" status=200 total_ms=1
 * log({
 *   request_id: "req_2",
 *   backend: "bedrock",
 *   method: "POST",
 *   path: "/v1/messages",
 *   status: 500,
 *   total_ms: 3,
 *   error: "Upstream sent a malformed stream chunk: relayx-local-secret",
 * });
 * // ... error="Upstream sent a malformed stream chunk: [redacted]"
 * ```
 */
export function createLogger(format: "json" | "text" | "off", redact: Redactor = createRedactor([])): Logger {
  switch (format) {
    case "off":
      return () => {};
    case "json":
      return (entry) =>
        console.log(
          JSON.stringify(Object.fromEntries([["time", new Date().toISOString()], ...fields(entry, redact)])),
        );
    case "text":
      return (entry) =>
        console.log(
          fields(entry, redact).map(([k, v]) =>
            `${k}=${typeof v === "string" || Array.isArray(v) ? JSON.stringify(v) : v}`
          ).join(" "),
        );
    default: {
      const never: never = format;
      return never;
    }
  }
}
