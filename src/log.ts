/**
 * One structured line per request. Only figures and names go in; never a key, a header or a body.
 *
 * @module
 */

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
  /** The HTTP status; for a stream, how it ended (200, 499 when the client left, or the error's status). */
  status: number;
  /** The model the client asked for. */
  model?: string;
  /** The upstream model it resolved to. */
  upstream_model?: string;
  /** True for a streamed answer. */
  stream?: boolean;
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

/**
 * A logger writing JSON lines, readable `key=value` text, or nothing.
 *
 * @example
 * ```ts
 * const log = createLogger("text");
 * log({ request_id: "req_1", backend: "bedrock", method: "GET", path: "/health", status: 200, total_ms: 1 });
 * // request_id="req_1" backend="bedrock" method="GET" path="/health" status=200 total_ms=1
 * ```
 */
export function createLogger(format: "json" | "text" | "off"): Logger {
  switch (format) {
    case "off":
      return () => {};
    case "json":
      return (entry) => console.log(JSON.stringify({ time: new Date().toISOString(), ...entry }));
    case "text":
      return (entry) =>
        console.log(
          Object.entries(entry).filter(([, v]) => v !== undefined).map(([k, v]) =>
            `${k}=${typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? JSON.stringify(v) : v}`
          ).join(" "),
        );
    default: {
      const never: never = format;
      return never;
    }
  }
}
