/**
 * Bedrock failures as Anthropic errors: SDK exceptions (by name, as in the SDK's schema), credential and
 * region errors from the credential chain, and the exception members of a ConverseStream.
 *
 * @module
 */
import type { ErrorType } from "../../anthropic/types.ts";
import { contextOverflowError, errorTypeForStatus, isContextOverflow, RelayError } from "../../errors.ts";

/** What {@linkcode fromBedrockError} needs besides the error. */
export interface BedrockErrorOptions {
  /** relayx's estimate of the prompt, for an overflow message that states no figures. */
  estimate: number;
  /** The model's context window, likewise. */
  window: number;
  /** The AWS profile in use, named in credential errors. */
  profile?: string;
}

interface ErrorFacts {
  name: string;
  message: string;
  status?: number;
}

function facts(err: unknown): ErrorFacts {
  if (typeof err !== "object" || err === null) return { name: "Error", message: String(err) };
  const e = err as Record<string, unknown>;
  const meta = e.$metadata;
  const status = typeof meta === "object" && meta !== null
    ? (meta as Record<string, unknown>).httpStatusCode
    : undefined;
  // Stream exception payloads carry the model's own words in originalMessage.
  const original = typeof e.originalMessage === "string" ? e.originalMessage : undefined;
  const message = typeof e.message === "string" && e.message !== "" ? e.message : original ?? "";
  return {
    name: typeof e.name === "string" ? e.name : typeof e.__type === "string" ? e.__type : "Error",
    message: original && !message.includes(original) ? `${message} ${original}`.trim() : message,
    status: typeof status === "number" ? status : undefined,
  };
}

const CREDENTIAL_NAMES = new Set([
  "CredentialsProviderError",
  "ExpiredTokenException",
  "ExpiredToken",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "InvalidClientTokenId",
  "TokenProviderError",
  "SSOTokenProviderFailure",
  "InvalidGrantException",
  "UnauthorizedException",
]);

const CREDENTIAL_TEXT =
  /token (?:is|has) expired|security token included in the request is (?:expired|invalid)|could not load credentials|sso session|sso token|refresh(?:ing)? (?:the )?(?:sso|token)|aws sso login/i;

function credentialError(f: ErrorFacts, profile: string | undefined, cause: unknown): RelayError {
  const who = profile ? `profile "${profile}"` : "the default AWS credential chain";
  const fix = profile
    ? `run \`aws sso login --profile ${profile}\` (or refresh the profile's credentials) and retry`
    : "refresh your AWS credentials (for SSO: `aws sso login --profile <name>`) and retry";
  return new RelayError(
    "authentication_error",
    `AWS credentials for ${who} are missing, expired or invalid (${f.name}: ${f.message}); ${fix}`,
    { shouldRetry: false, cause },
  );
}

interface Mapping {
  type: ErrorType;
  retry: boolean;
  hint?: string;
}

// Exception name -> Anthropic error, per the SDK schema's HTTP codes (protocol.md 6.7). Names appear in
// PascalCase on thrown SDK errors and in camelCase as ConverseStream union members.
const TABLE: Record<string, Mapping> = {
  validationexception: { type: "invalid_request_error", retry: false },
  conflictexception: { type: "invalid_request_error", retry: false },
  servicequotaexceededexception: { type: "rate_limit_error", retry: true },
  throttlingexception: { type: "rate_limit_error", retry: true },
  accessdeniedexception: {
    type: "permission_error",
    retry: false,
    hint:
      "check that model access is granted in the Bedrock console and that the IAM policy allows bedrock:InvokeModel",
  },
  resourcenotfoundexception: { type: "not_found_error", retry: false },
  modeltimeoutexception: { type: "timeout_error", retry: true },
  modelnotreadyexception: { type: "overloaded_error", retry: true },
  modelerrorexception: { type: "api_error", retry: true },
  modelstreamerrorexception: { type: "api_error", retry: true },
  internalserverexception: { type: "api_error", retry: true },
  serviceunavailableexception: { type: "overloaded_error", retry: true },
};

function mapped(f: ErrorFacts, opts: BedrockErrorOptions, cause: unknown): RelayError | undefined {
  const m = TABLE[f.name.toLowerCase()];
  if (!m) return undefined;
  if ((m.type === "invalid_request_error" || m.type === "api_error") && isContextOverflow(f.message)) {
    return contextOverflowError(f.message, opts.estimate, opts.window);
  }
  let message = `Bedrock ${f.name}: ${f.message || "no message"}`;
  if (/on-demand throughput isn.t supported/i.test(f.message)) {
    message += '; use an inference profile id (for example the "us." or "global." prefixed model id)';
  } else if (m.hint) {
    message += `; ${m.hint}`;
  }
  return new RelayError(m.type, message, { shouldRetry: m.retry, cause });
}

/**
 * A body that is not JSON (a 200 cut short, a gateway's HTML error page): the parser's message quotes
 * it, so it stays in the cause (logged, redacted); the status still decides the error.
 */
function notJson(status: number | undefined, cause: SyntaxError): RelayError {
  if (status === undefined || status < 400) {
    return new RelayError("api_error", "Bedrock answered with a body that is not JSON", { cause });
  }
  const type = status === 502 || status === 503 ? "overloaded_error" : errorTypeForStatus(status);
  return new RelayError(type, `Bedrock answered HTTP ${status} with a body that is not JSON`, {
    shouldRetry: status >= 500 || status === 429,
    cause,
  });
}

/**
 * Maps anything a Bedrock call threw to a {@linkcode RelayError}: SDK exceptions by name (context
 * overflow rewritten to the text Claude Code compacts on), credential failures to a 401 that says how to
 * log in again, a missing region to a 500 that names `AWS_REGION`.
 *
 * @example
 * ```ts
 * fromBedrockError({ name: "ThrottlingException", message: "Too many requests" }, { estimate: 0, window: 200000 });
 * ```
 */
export function fromBedrockError(err: unknown, opts: BedrockErrorOptions): RelayError {
  if (err instanceof RelayError) return err;
  const f = facts(err);
  if (err instanceof SyntaxError) return notJson(f.status, err);
  if (CREDENTIAL_NAMES.has(f.name) || CREDENTIAL_TEXT.test(f.message)) {
    return credentialError(f, opts.profile, err);
  }
  if (/region is missing/i.test(f.message)) {
    return new RelayError(
      "api_error",
      "AWS region is not configured: set AWS_REGION (the JavaScript SDK does not read AWS_DEFAULT_REGION) or give the profile a region",
      { shouldRetry: false, cause: err },
    );
  }
  const known = mapped(f, opts, err);
  if (known) return known;
  if (f.name === "TimeoutError" || /timed? ?out/i.test(f.name)) {
    return new RelayError("timeout_error", `Bedrock did not answer in time: ${f.message}`, { cause: err });
  }
  if (f.status !== undefined && f.status < 400) {
    // A success status the SDK could not read (a body cut short, not JSON): no fault of the client's.
    return new RelayError(
      "api_error",
      `Bedrock answered HTTP ${f.status} with a body relayx could not read`,
      {
        cause: err,
      },
    );
  }
  if (f.status !== undefined) {
    const type = f.status === 502 || f.status === 503 ? "overloaded_error" : errorTypeForStatus(f.status);
    if (type === "invalid_request_error" && isContextOverflow(f.message)) {
      return contextOverflowError(f.message, opts.estimate, opts.window);
    }
    return new RelayError(type, `Bedrock ${f.name} (HTTP ${f.status}): ${f.message}`, {
      shouldRetry: f.status >= 500 || f.status === 429,
      cause: err,
    });
  }
  const reason = networkReason(`${f.name} ${f.message} ${causes(err)}`);
  if (reason) return new RelayError("api_error", `Cannot reach Bedrock: ${reason}`, { cause: err });
  return new RelayError("api_error", `Bedrock call failed: ${f.name}: ${f.message}`, { cause: err });
}

// Deno's fetch says "fetch failed" and puts the OS error a level or two down its causes.
function causes(err: unknown): string {
  let text = "";
  let current = err instanceof Error ? err.cause : undefined;
  for (let i = 0; i < 4 && current instanceof Error; i++) {
    text += ` ${current.message}`;
    current = current.cause;
  }
  return text;
}

function networkReason(text: string): string | undefined {
  if (/connection refused|ECONNREFUSED/i.test(text)) return "connection refused";
  if (/connection reset|ECONNRESET|closed before message completed|socket hang up/i.test(text)) {
    return "connection reset";
  }
  if (/ENOTFOUND|EAI_AGAIN|dns error|failed to lookup|name or service not known/i.test(text)) {
    return "host not found";
  }
  if (/certificate|tls|handshake/i.test(text)) return "TLS handshake failed";
  if (/network|unreachable/i.test(text)) return "network error";
  return undefined;
}

/**
 * Maps an exception member of a ConverseStream (`throttlingException`, `modelStreamErrorException`, ...)
 * with its JSON payload to a {@linkcode RelayError}.
 */
export function streamExceptionToError(
  name: string,
  payload: unknown,
  opts: BedrockErrorOptions = { estimate: 0, window: 0 },
): RelayError {
  const p = typeof payload === "object" && payload !== null ? payload as Record<string, unknown> : {};
  const pascal = name.charAt(0).toUpperCase() + name.slice(1);
  const status = typeof p.originalStatusCode === "number" ? p.originalStatusCode : undefined;
  return fromBedrockError({
    name: pascal,
    message: typeof p.message === "string" ? p.message : "",
    originalMessage: p.originalMessage,
    $metadata: status === undefined ? undefined : { httpStatusCode: status },
  }, opts);
}

/**
 * Maps errors thrown while reading a Bedrock stream (SDK exceptions, network failures) to Anthropic's terms,
 * sizing an overflow with the prompt's estimate and the model's window.
 */
export function bedrockReadErrors(
  opts: { inputEstimate: number; contextWindow?: number },
): (err: unknown) => RelayError {
  return (err) => fromBedrockError(err, { estimate: opts.inputEstimate, window: opts.contextWindow ?? 0 });
}
