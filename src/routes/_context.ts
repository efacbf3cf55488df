/**
 * What routes share: the app's dependencies and the per-request record that ends up as the log line.
 *
 * @module
 */
import type { Backend, IdSource } from "../backends/backend.ts";
import type { Limits } from "../limits.ts";
import type { Logger, RequestLog } from "../log.ts";
import type { TokenCounter } from "../tokens/token_counter.ts";
import type { Redactor } from "../redact.ts";
import type { LiveDeps } from "../live/live_routes.ts";
import type { RepeatedParts } from "../anthropic/repeated_parts.ts";

/** What `createApp` needs. */
export interface AppDeps {
  /** The backend every request goes to. */
  backend: Backend;
  /** Id generation (random in production, sequential in tests). */
  ids?: IdSource;
  /** Where the per-request line goes. */
  log?: Logger;
  /** Receives each request's record as it ends, after `log`: the usage recorder. */
  usage?: Logger;
  /** When set, clients must present it (`x-api-key` or `Authorization: Bearer`). */
  apiKey?: string;
  /** Counts `count_tokens` requests the backend cannot count (default: one with the default limits). */
  tokenCounter?: TokenCounter;
  /** Hides secrets in error answers and log lines (default: one that knows `apiKey`). */
  redact?: Redactor;
  /**
   * Timeouts and limits; unset ones take `DEFAULT_LIMITS`. The app uses `pingMs`, `bodyReadMs`,
   * `allowedHosts` and `corsOrigins`.
   */
  limits?: Partial<Limits>;
  /**
   * Aborted to end every request still in flight at once (the deadline of a graceful shutdown): streams
   * end with an `error` event and other requests with an error response, of the reason's type when it is
   * a `RelayError` (otherwise `overloaded_error`).
   */
  cutoff?: AbortSignal;
  /** The live page (`GET /` from a browser, `/api/usage`, `/api/usage/events`); absent, none is served. */
  live?: LiveDeps;
}

/** {@linkcode AppDeps} with every limit and the redactor filled in: what the routes receive. */
export interface RouteDeps extends AppDeps {
  /** Every timeout and limit. */
  limits: Limits;
  /** The request parts remembered across requests (absent: every body is parsed in full). */
  repeated?: RepeatedParts;
  /** The redactor (the given one, or one that knows `apiKey`). */
  redact: Redactor;
}

/** The per-request state routes fill in. */
export interface RequestState {
  /** The log record; routes add model, tokens and warnings. */
  record: RequestLog;
  /** Start time (performance.now()). */
  start: number;
  /** True when the route writes the log line itself (streams log when they end). */
  deferLog: boolean;
  /** Warnings for `x-relayx-warnings`. */
  warnings: string[];
}

/** Hono environment of relayx's app. */
export interface AppEnv {
  Variables: { state: RequestState };
}

/**
 * Formats warnings for the `x-relayx-warnings` header (ASCII, one line, bounded), redacted like a log
 * line: a warning may quote what an upstream said.
 */
export function warningsHeader(warnings: string[], redact: Redactor): string {
  return redact.text(warnings.join("; "), 2000).replace(/[^\x20-\x7e]/g, "?");
}
