/**
 * The AWS SDK client configuration the Bedrock backend shares between its runtime client and the
 * control-plane client that lists profiles: Deno's fetch as the HTTP handler (with relayx's one retry of
 * a request Bedrock never answered), a user agent built from Deno itself, no SDK retries, and the SDK's
 * credential chain for the profile the auth plan chose.
 *
 * @module
 */
import type { BedrockRuntimeClientConfig } from "@aws-sdk/client-bedrock-runtime";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import { abortableFetch } from "../abortable_fetch.ts";
import { isUnanswered } from "../retry_once.ts";
import type { AuthPlan } from "./auth.ts";

/** Static credentials, for tests and embedders that hold their own. */
export interface StaticCredentials {
  /** The access key id (`AKIA...` or `ASIA...`). */
  accessKeyId: string;
  /** The secret access key. Never logged. */
  secretAccessKey: string;
  /** The session token of temporary credentials. */
  sessionToken?: string;
}

// The SDK's own user-agent provider calls os.release(), which under Deno needs --allow-sys=osRelease;
// this one reports the same kind of facts from Deno itself, so `--allow-net --allow-env` is enough.
const USER_AGENT: [string, string?][] = [
  ["aws-sdk-js", "3"],
  ["ua", "2.1"],
  [`os/${Deno.build.os}`],
  ["lang/js"],
  ["md/deno", Deno.version.deno],
  ["api/bedrock-runtime", "3"],
  ["app/relayx"],
];

function userAgent(): Promise<[string, string?][]> {
  return Promise.resolve(USER_AGENT);
}

/**
 * The `user-agent` header the SDK writes from {@linkcode sharedClientConfig}'s user agent (without its
 * per-call feature list), for calls relayx signs and sends itself.
 *
 * @example
 * ```ts
 * userAgentHeader(); // "aws-sdk-js/3 ua/2.1 os/linux lang/js md/deno#2.9.6 api/bedrock-runtime#3 app/relayx"
 * ```
 */
export function userAgentHeader(): string {
  // The SDK joins a versioned "prefix/name" with "#", a bare name with "/".
  return USER_AGENT.map(([name, version]) =>
    version === undefined ? name : `${name}${name.includes("/") ? "#" : "/"}${version}`
  ).join(" ");
}

/**
 * Deno's fetch as the SDK's handler, sending a request once more when it failed before Bedrock answered
 * a byte (`retry_once.ts`). At this level the SDK's request (signed, with a byte or string body) can be
 * sent again as is, where a `Request` object built from it could not.
 */
class RetryOnceHandler extends FetchHttpHandler {
  override async handle(
    ...args: Parameters<FetchHttpHandler["handle"]>
  ): ReturnType<FetchHttpHandler["handle"]> {
    try {
      return await super.handle(...args);
    } catch (err) {
      const [request, options] = args;
      const body: unknown = request.body;
      const resendable = body === undefined || typeof body === "string" || body instanceof Uint8Array;
      if (!isUnanswered(err) || options?.abortSignal?.aborted || !resendable) throw err;
      return await super.handle(...args);
    }
  }
}

/**
 * The configuration both Bedrock clients start from (region, handler, user agent, retries, credentials);
 * `customFetch` replaces the global fetch (tests count attempts with it).
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
 *
 * const config = sharedClientConfig("us-east-1", { bearer: false, summary: "default AWS credential chain" });
 * const client = new BedrockRuntimeClient(config);
 * ```
 */
export function sharedClientConfig(
  region: string,
  plan: AuthPlan,
  credentials?: StaticCredentials,
  customFetch?: typeof fetch,
): BedrockRuntimeClientConfig {
  const shared: BedrockRuntimeClientConfig = {
    region,
    defaultUserAgentProvider: userAgent,
    // Deno's fetch instead of the SDK's NodeHttp2Handler, which opens and closes an HTTP/2 session (a new
    // TCP + TLS connection) for every request of this client; fetch pools connections, negotiates HTTP/2
    // with Bedrock's https endpoints, and hands over a web ReadableStream for the raw event-stream path.
    // The handler keeps only the body of each response: see abortable_fetch.ts.
    requestHandler: new RetryOnceHandler({ customFetch: abortableFetch(customFetch) }),
    // Claude Code retries by itself, honouring retry-after; SDK retries underneath would multiply waits.
    maxAttempts: 1,
  };
  if (plan.profile) shared.profile = plan.profile;
  // The SDK's chain, built here only so that its nested clients (SSO, SSO-OIDC, STS) get the same
  // user agent and so need no --allow-sys either.
  shared.credentials = credentials ??
    defaultProvider({ profile: plan.profile, clientConfig: { defaultUserAgentProvider: userAgent } });
  return shared;
}
