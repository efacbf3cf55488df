/**
 * The one redaction step for text that may carry a credential: everything an upstream says in an error
 * (messages, malformed chunks, `JSON.parse` messages, exception causes) passes it before it reaches a
 * client or a log line. It hides the configured secrets (and their base64, URL- and JSON-escaped forms),
 * the value of any `Authorization`, `x-api-key`, `x-goog-api-key` or `x-amz-security-token` header an
 * upstream echoes, and the shapes of well-known keys (`sk-...`, `AKIA...`/`ASIA...`, `AIza...`, Bedrock
 * API keys, AWS session tokens, `Bearer ...`), and bounds the text.
 *
 * Built once from the configured secrets; it runs on error paths and once per log line, never per stream
 * chunk.
 *
 * @module
 */
import { errorDetail, RelayError } from "./errors.ts";

/** What a secret is replaced with. */
export const REDACTED = "[redacted]";

/** The longest text {@linkcode Redactor.text} returns by default, before its "…(N more)" marker. */
export const MAX_TEXT = 1000;

/** Hides secrets in text and errors; see {@linkcode createRedactor}. */
export interface Redactor {
  /**
   * `text` with every secret replaced by `[redacted]`, cut to `max` characters (default
   * {@linkcode MAX_TEXT}) with a "…(N more)" marker.
   */
  text(text: string, max?: number): string;
  /**
   * The error with its message and retry-after passed through {@linkcode Redactor.text}, and its causes
   * replaced by their redacted text (for the log line); type, status and `x-should-retry` kept.
   */
  error(err: RelayError): RelayError;
  /** A redactor that also hides `secrets`. */
  with(secrets: Iterable<string | null | undefined>): Redactor;
}

// Shorter values are no secrets worth the name, and hiding every "abc" would garble messages.
const MIN_SECRET = 4;

// A header whose value is a credential, as an upstream echoes it: `Authorization: Bearer ...`,
// `"x-api-key":"..."`, `\"authorization\":\"...\"` inside a JSON string, `x-amz-security-token=...`.
const HEADER = String
  .raw`((?:proxy-)?authorization|x-api-key|x-goog-api-key|api-key|x-amz-security-token)([\\"']*\s*[:=]\s*[\\"']*)[^\\"'\r\n]+`;

// V8's `JSON.parse` message quotes about ten characters either side of the error, cut anywhere:
// `Unexpected token 'r', "{"a": relayx-sec"... is not valid JSON`. A secret cut like that is no longer
// recognisable, so the whole quote goes.
const JSON_QUOTE = String.raw`(?<=Unexpected token '[\s\S]{1,2}', )[\s\S]*?(?= is not valid JSON)`;

// Shapes of keys relayx may not know of: OpenAI-style (`sk-`, `sk-proj-`, `sk-or-v1-`, `sk-ant-`, Groq's
// `gsk_`-like `gsk-`, xAI), Google (`AIza`), AWS access key ids, Bedrock API keys (long-term `ABSK`,
// short-term `bedrock-api-key-`), AWS session tokens (their usual base64 starts), bearer tokens.
const TOKENS = [
  String.raw`\b(?:sk|rk|pk|gsk|xai)-[A-Za-z0-9_*.-]{6,}`,
  String.raw`\bAIza[0-9A-Za-z_-]{10,}`,
  String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{12,}`,
  String.raw`\bABSK[A-Za-z0-9+/=]{20,}`,
  String.raw`\bbedrock-api-key-[A-Za-z0-9+/=._-]{10,}`,
  String.raw`\b(?:IQoJb3JpZ2lu|FwoGZXIvYXdz)[A-Za-z0-9+/=]{10,}`,
  String.raw`\bBearer\s+[^\s"'\\]+`,
];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function base64(s: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(s)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** A secret as it may appear in text: as is, base64 (padded or not, and URL-safe), URL- and JSON-escaped. */
function forms(secret: string): string[] {
  const b64 = base64(secret);
  const bare = b64.replace(/=+$/, "");
  return [
    secret,
    b64,
    bare,
    bare.replaceAll("+", "-").replaceAll("/", "_"),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ];
}

function clip(text: string, max: number, more = text.length - max): string {
  return more > 0 ? `${text.slice(0, max)}…(${more} more)` : text;
}

function build(secrets: readonly string[]): Redactor {
  const literals = [...new Set(secrets.flatMap(forms))].filter((s) => s.length >= MIN_SECRET);
  // Longest first: a secret that contains another is hidden whole.
  literals.sort((a, b) => b.length - a.length);
  // The JSON quote comes first: at its start, a secret inside it must not match alone and leave a cut
  // one behind.
  const re = new RegExp([JSON_QUOTE, HEADER, ...literals.map(escapeRe), ...TOKENS].join("|"), "gi");
  // A secret cut in two where a long text is cut before redaction would escape it: see bounded().
  const margin = Math.max(256, literals[0]?.length ?? 0);
  const replace = (text: string): string =>
    text.replace(re, (_m, header?: string, sep?: string) => header ? `${header}${sep}${REDACTED}` : REDACTED);

  // Only the head of a long text is searched (a 10 MB model name costs no 10 MB scan). What is shown of
  // it ends at least `margin` characters before the cut, so no piece of a secret cut there is shown;
  // where redaction shrank the head so much that it would be, the whole text is redacted instead.
  const bounded = (text: string, max: number): string => {
    const cut = max + margin;
    if (text.length <= cut) {
      const clean = replace(text);
      return clip(clean, max);
    }
    const clean = replace(text.slice(0, cut));
    if (clean.length < max + margin) return clip(replace(text), max);
    return clip(clean, max, clean.length - max + text.length - cut);
  };

  const redactor: Redactor = {
    text: (text, max = MAX_TEXT) => text === "" ? text : bounded(text, max),
    error(err) {
      const message = redactor.text(err.message);
      const retryAfter = err.retryAfter === undefined ? undefined : redactor.text(err.retryAfter, 64);
      // The cause is kept for the log line only: it becomes its own text, redacted here, by the one
      // redactor that knows this upstream's secrets (an app built without it would not).
      const cause = err.cause instanceof Error ? new Error(redactor.text(errorDetail(err.cause))) : undefined;
      if (message === err.message && retryAfter === err.retryAfter && err.cause === undefined) return err;
      return new RelayError(err.type, message, {
        status: err.status,
        retryAfter,
        shouldRetry: err.shouldRetry,
        cause,
        internal: err.internal,
      });
    },
    with: (more) => build([...secrets, ...clean(more)]),
  };
  return redactor;
}

function clean(secrets: Iterable<string | null | undefined>): string[] {
  const out: string[] = [];
  for (const s of secrets) {
    const v = s?.trim();
    if (v && v.length >= MIN_SECRET) out.push(v);
  }
  return out;
}

/**
 * Builds the redactor for a set of secrets (empty and missing ones are skipped). With no secrets it still
 * hides header values and the well-known key shapes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const redact = createRedactor(["relayx-local-secret"]);
 * assert.equal(
 *   redact.text('bad chunk: {"key": "relayx-local-secret", "auth": "Bearer sk-proj-abcdef123"}'),
 *   'bad chunk: {"key": "[redacted]", "auth": "[redacted]"}',
 * );
 * assert.equal(redact.text("x".repeat(1500)), `${"x".repeat(1000)}…(500 more)`);
 * ```
 */
export function createRedactor(secrets: Iterable<string | null | undefined>): Redactor {
  return build(clean(secrets));
}

// Credentials relayx or the AWS SDK read from the environment. These are the SDK's own names and the
// keys of config.ts; listed here because their values, not their parsing, are what matters.
const SECRET_VARIABLES = [
  "RELAYX_API_KEY",
  "OPENAI_API_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_BEARER_TOKEN_BEDROCK",
  "WEB_SEARCH_API_KEY",
];

/**
 * The values of the environment's credential variables (`RELAYX_API_KEY`, `OPENAI_API_KEY`,
 * `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_BEARER_TOKEN_BEDROCK`,
 * `WEB_SEARCH_API_KEY`).
 *
 * @example
 * ```ts
 * const redact = createRedactor(secretsOf({ OPENAI_API_KEY: "sk-example-key", HOME: "/home/me" }));
 * redact.text("key sk-example-key rejected"); // "key [redacted] rejected"
 * ```
 */
export function secretsOf(env: Record<string, string | undefined>): string[] {
  return SECRET_VARIABLES.map((name) => env[name]).filter((v): v is string => Boolean(v));
}
