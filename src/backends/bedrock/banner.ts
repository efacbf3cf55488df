/**
 * The Bedrock backend's start-up line: region and endpoint host, API, where the credentials come from
 * (with a warning and the fix when there are none), and what each Claude family resolves to. Never
 * prints a secret, and never waits longer than its timeout on credentials or the profile listing.
 *
 * @module
 */
import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { BedrockConfig } from "../../config.ts";
import { type AuthPlan, type CredentialFacts, describeCredentials, loginHint } from "./auth.ts";
import { shortError } from "./map_error.ts";
import type { ModelResolver } from "./model_resolver.ts";
import { accountOfProfiles, CURRENT_CLAUDE, type InferenceProfile, newestProfile } from "./profiles.ts";

/** What the banner describes. */
export interface BannerSource {
  /** The backend's settings. */
  config: BedrockConfig;
  /** The credentials chosen at start-up. */
  plan: AuthPlan;
  /** The runtime client, whose credential provider is asked once. */
  client: BedrockRuntimeClient;
  /** The model resolver (its listing and defaults). */
  resolver: ModelResolver;
  /** True when the credentials were injected (`BedrockBackendOptions.credentials`). */
  injectedCredentials: boolean;
  /** The runtime endpoint relayx was given, if any. */
  endpoint?: string;
  /** The environment (for the SDK's endpoint variables). */
  env: Record<string, string | undefined>;
  /** Milliseconds to wait for credentials and the profile list. */
  timeoutMs: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function endpointHost(source: BannerSource): string {
  const { env } = source;
  const endpoint = source.endpoint ?? env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME ?? env.AWS_ENDPOINT_URL;
  let host = `bedrock-runtime.${source.config.region}.amazonaws.com`;
  try {
    if (endpoint) host = new URL(endpoint).host;
  } catch {
    host = endpoint ?? host;
  }
  return host;
}

async function describeAuth({ plan, client, injectedCredentials }: BannerSource): Promise<string> {
  if (plan.bearer && !injectedCredentials) return plan.summary;
  try {
    const provider = client.config.credentials;
    const creds = await provider() as CredentialFacts;
    return `${plan.summary}: ${describeCredentials(creds)}`;
  } catch (err) {
    // Profiles are invisible to the SDK too when relayx may not read ~/.aws; say so instead of failing later.
    const files = plan.filesUnreadable ? "; to use a profile from ~/.aws, add --allow-read=$HOME/.aws" : "";
    return `${plan.summary} | WARNING: no usable AWS credentials (${shortError(err)}); ${
      loginHint(plan.profile)
    }${files}`;
  }
}

// What each family resolves to: its newest model in the account, or the naming rule for the newest
// Claude when the account's profiles could not be listed.
async function familyMap(source: BannerSource, profiles: InferenceProfile[] | undefined): Promise<string> {
  const { config, resolver } = source;
  const parts: string[] = [];
  for (const tier of ["opus", "sonnet", "haiku"] as const) {
    if (tier === "haiku" && config.smallModelId) {
      parts.push(`haiku -> ${config.smallModelId}`);
      continue;
    }
    const id = profiles
      ? newestProfile(tier, profiles, config.region)
      : await resolver.resolve(CURRENT_CLAUDE[tier]);
    parts.push(
      `${tier} -> ${id ?? `${await resolver.defaultModel()} (no ${tier} profile in the account)`}`,
    );
  }
  return parts.join(", ");
}

/**
 * The start-up line of a Bedrock backend (`Backend.describe`).
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
 * import { createModelResolver } from "./model_resolver.ts";
 *
 * const line = await describeBedrock({
 *   config: { kind: "bedrock", profileExplicit: false, region: "us-east-1", api: "auto" },
 *   plan: { bearer: false, summary: "environment keys (AWS_ACCESS_KEY_ID)" },
 *   client: new BedrockRuntimeClient({ region: "us-east-1" }),
 *   resolver: createModelResolver({ region: "us-east-1" }),
 *   injectedCredentials: false,
 *   env: Deno.env.toObject(),
 *   timeoutMs: 8000,
 * });
 * console.log(line);
 * ```
 */
export async function describeBedrock(source: BannerSource): Promise<string> {
  const { config, plan, resolver, timeoutMs } = source;
  const host = endpointHost(source);
  const [auth, listing] = await Promise.all([
    withTimeout(describeAuth(source), timeoutMs, "resolving AWS credentials").catch((err) =>
      `${plan.summary} | WARNING: ${shortError(err)}`
    ),
    withTimeout(resolver.listing(), timeoutMs, "listing inference profiles").catch((err) => ({
      error: shortError(err),
      profiles: undefined,
    })),
  ]);
  const families = await familyMap(source, listing.profiles);
  // Static keys do not carry the account; the listed profiles' ARNs do.
  const account = listing.profiles && !auth.includes("account ")
    ? accountOfProfiles(listing.profiles)
    : undefined;
  const authLine = account ? `${auth}, account ${account}` : auth;
  // Without credentials the listing failed for the same reason the warning above already gives.
  const why = auth.includes("WARNING") ? "no credentials" : `listing profiles failed: ${listing.error}`;
  const rules = listing.profiles ? "" : ` (naming rules; ${why})`;
  const fallback = `other Claude names -> ${await resolver.defaultModel()}`;
  return `Bedrock ${config.region} at ${host}, api ${config.api}, auth ${authLine} | models ${families}, ${fallback}${rules}`;
}
