/**
 * Timeouts and limits: what relayx waits for and accepts, inbound and upstream, parsed from the
 * environment with defaults sized so that a normal Claude Code session never meets them (reasoning models
 * may think silently for minutes; Claude Code sends whole requests at once and reuses idle connections).
 *
 * Durations are given in seconds (decimals allowed, so tests can use `0.2`) and kept in milliseconds.
 *
 * @module
 */
import { ConfigError } from "./config_error.ts";

/** Every timeout and limit, in milliseconds, bytes or counts. */
export interface Limits {
  /** Upstream: establishing the connection (`RELAYX_UPSTREAM_CONNECT_TIMEOUT`, default 10 s). */
  upstreamConnectMs: number;
  /**
   * Upstream: from sending the request to the response headers (`RELAYX_UPSTREAM_HEADERS_TIMEOUT`,
   * default 600 s). A non-stream answer's headers come only when the whole answer is done.
   */
  upstreamHeadersMs: number;
  /** Upstream: silence between two chunks of a stream or body (`RELAYX_UPSTREAM_IDLE_TIMEOUT`, default 300 s). */
  upstreamIdleMs: number;
  /** Idle time before a stream sends `ping` (`RELAYX_PING_INTERVAL`, default 15 s). */
  pingMs: number;
  /** Inbound: reading a request's headers (`RELAYX_HEADER_TIMEOUT`, default 30 s). */
  headerReadMs: number;
  /** Inbound: reading a request's body once its headers are in (`RELAYX_BODY_TIMEOUT`, default 60 s). */
  bodyReadMs: number;
  /** Inbound: an idle keep-alive connection is closed after this (`RELAYX_KEEPALIVE_TIMEOUT`, default 75 s). */
  keepAliveMs: number;
  /** Inbound: connections open at once; more wait in the listen queue (`RELAYX_MAX_CONNECTIONS`, default 1024). */
  maxConnections: number;
  /** Inbound: size of a request's header block (`RELAYX_MAX_HEADER_BYTES`, default 64 KiB). */
  maxHeaderBytes: number;
  /** Inbound: length of the `model` field (`RELAYX_MAX_MODEL_LENGTH`, default 512 characters). */
  maxModelLength: number;
  /** Shutdown: how long streams in flight may run on after SIGINT/SIGTERM (`RELAYX_SHUTDOWN_TIMEOUT`, default 30 s). */
  shutdownMs: number;
  /**
   * `Host` names accepted besides loopback names and addresses (`RELAYX_ALLOWED_HOSTS`, comma-separated,
   * lower case, without port; `*` accepts any).
   */
  allowedHosts: string[];
  /** Web origins that get CORS headers (`RELAYX_CORS_ORIGINS`, comma-separated; none by default). */
  corsOrigins: string[];
  /**
   * Inbound connections go through relayx's connection guard (header, body and keep-alive timeouts,
   * connection cap, header size). On by default when listening beyond loopback (`RELAYX_GUARD=on|off`).
   */
  guard: "on" | "off" | "auto";
  /**
   * `count_tokens`: characters of text the BPE tokenizer counts at most; a larger request gets relayx's
   * estimate (`RELAYX_TOKENIZER_MAX_CHARS`, default 2,000,000, about 450,000 tokens of English).
   */
  tokenizerMaxChars: number;
  /**
   * `count_tokens`: how long a count may wait and run before it is answered with the estimate
   * (`RELAYX_TOKENIZER_TIMEOUT`, default 5 s).
   */
  tokenizerTimeoutMs: number;
  /**
   * `count_tokens`: counts waiting or running in the tokenizer at once; past it, `529 overloaded_error`
   * with `retry-after` (`RELAYX_TOKENIZER_QUEUE`, default 16).
   */
  tokenizerQueue: number;
  /**
   * `count_tokens`: the tokenizer worker (about 60 MB) stops after this long without a count
   * (`RELAYX_TOKENIZER_IDLE_TIMEOUT`, default 60 s).
   */
  tokenizerIdleMs: number;
  /**
   * PDFs sent to a model that takes none: characters of extracted text kept per document; the rest is cut
   * with a note (`RELAYX_PDF_TEXT_MAX_CHARS`, default 200,000, about 50,000 tokens).
   */
  pdfTextMaxChars: number;
}

/** The defaults, in the units of {@linkcode Limits}. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  upstreamConnectMs: 10_000,
  upstreamHeadersMs: 600_000,
  upstreamIdleMs: 300_000,
  pingMs: 15_000,
  headerReadMs: 30_000,
  bodyReadMs: 60_000,
  keepAliveMs: 75_000,
  maxConnections: 1024,
  maxHeaderBytes: 64 * 1024,
  maxModelLength: 512,
  shutdownMs: 30_000,
  allowedHosts: [],
  corsOrigins: [],
  guard: "auto",
  tokenizerMaxChars: 2_000_000,
  tokenizerTimeoutMs: 5_000,
  tokenizerQueue: 16,
  tokenizerIdleMs: 60_000,
  pdfTextMaxChars: 200_000,
});

type Env = Record<string, string | undefined>;

function seconds(env: Env, name: string, fallbackMs: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallbackMs;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${name}: expected seconds > 0, got "${raw}"`);
  return Math.round(n * 1000);
}

function count(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new ConfigError(`${name}: expected a positive integer, got "${raw}"`);
  }
  return n;
}

function list(env: Env, name: string): string[] {
  return (env[name] ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
}

/**
 * Reads the limits from environment variables; unset ones take {@linkcode DEFAULT_LIMITS}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const limits = parseLimits({ RELAYX_UPSTREAM_IDLE_TIMEOUT: "0.5", RELAYX_ALLOWED_HOSTS: "Relay.Lan" });
 * assert.equal(limits.upstreamIdleMs, 500);
 * assert.deepEqual(limits.allowedHosts, ["relay.lan"]);
 * assert.equal(limits.upstreamHeadersMs, 600_000);
 * ```
 * @throws {ConfigError} naming the variable that is wrong.
 */
export function parseLimits(env: Env): Limits {
  const guard = env.RELAYX_GUARD?.trim().toLowerCase() || "auto";
  if (guard !== "on" && guard !== "off" && guard !== "auto") {
    throw new ConfigError(`RELAYX_GUARD: expected on, off or auto, got "${guard}"`);
  }
  const d = DEFAULT_LIMITS;
  return {
    upstreamConnectMs: seconds(env, "RELAYX_UPSTREAM_CONNECT_TIMEOUT", d.upstreamConnectMs),
    upstreamHeadersMs: seconds(env, "RELAYX_UPSTREAM_HEADERS_TIMEOUT", d.upstreamHeadersMs),
    upstreamIdleMs: seconds(env, "RELAYX_UPSTREAM_IDLE_TIMEOUT", d.upstreamIdleMs),
    pingMs: seconds(env, "RELAYX_PING_INTERVAL", d.pingMs),
    headerReadMs: seconds(env, "RELAYX_HEADER_TIMEOUT", d.headerReadMs),
    bodyReadMs: seconds(env, "RELAYX_BODY_TIMEOUT", d.bodyReadMs),
    keepAliveMs: seconds(env, "RELAYX_KEEPALIVE_TIMEOUT", d.keepAliveMs),
    maxConnections: count(env, "RELAYX_MAX_CONNECTIONS", d.maxConnections),
    maxHeaderBytes: count(env, "RELAYX_MAX_HEADER_BYTES", d.maxHeaderBytes),
    maxModelLength: count(env, "RELAYX_MAX_MODEL_LENGTH", d.maxModelLength),
    shutdownMs: seconds(env, "RELAYX_SHUTDOWN_TIMEOUT", d.shutdownMs),
    allowedHosts: list(env, "RELAYX_ALLOWED_HOSTS"),
    corsOrigins: list(env, "RELAYX_CORS_ORIGINS"),
    guard,
    tokenizerMaxChars: count(env, "RELAYX_TOKENIZER_MAX_CHARS", d.tokenizerMaxChars),
    tokenizerTimeoutMs: seconds(env, "RELAYX_TOKENIZER_TIMEOUT", d.tokenizerTimeoutMs),
    tokenizerQueue: count(env, "RELAYX_TOKENIZER_QUEUE", d.tokenizerQueue),
    tokenizerIdleMs: seconds(env, "RELAYX_TOKENIZER_IDLE_TIMEOUT", d.tokenizerIdleMs),
    pdfTextMaxChars: count(env, "RELAYX_PDF_TEXT_MAX_CHARS", d.pdfTextMaxChars),
  };
}
