/**
 * One structured line per request. Only figures and names go in; never a key, a header or a body.
 *
 * @module
 */

/** What is logged for one request. */
export interface RequestLog {
  request_id: string;
  backend: string;
  method: string;
  path: string;
  status: number;
  model?: string;
  upstream_model?: string;
  stream?: boolean;
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  ttfb_ms?: number;
  total_ms: number;
  error_type?: string;
  error?: string;
  warnings?: string[];
}

/** Where request lines go. */
export type Logger = (entry: RequestLog) => void;

/** A logger writing JSON lines, readable `key=value` text, or nothing. */
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
