/**
 * Which AWS credentials the Bedrock backend uses, and a start-up line saying where they came from.
 *
 * The SDK's own chain does the work (SSO with token refresh, SAML-written static keys, assume-role,
 * credential_process, container and instance roles, `AWS_BEARER_TOKEN_BEDROCK`). relayx only decides
 * whether to name a profile: the one in `AWS_PROFILE`, or the conventional `saml` profile when the AWS
 * files define it and the environment holds no keys of its own. Nothing here ever prints a secret.
 *
 * @module
 */
import type { BedrockConfig } from "../../config.ts";

/** How requests to Bedrock are authenticated. */
export interface AuthPlan {
  /** The profile handed to the SDK; undefined uses the default chain. */
  profile?: string;
  /** True when `AWS_BEARER_TOKEN_BEDROCK` (a Bedrock API key) is set: the SDK sends it as a bearer token. */
  bearer: boolean;
  /** One line for the start-up banner (no secrets). */
  summary: string;
  /** True when the AWS files exist but relayx may not read them (no `--allow-read`). */
  filesUnreadable?: boolean;
}

function homeDir(env: Record<string, string | undefined>): string | undefined {
  return env.HOME || env.USERPROFILE ||
    (env.HOMEDRIVE && env.HOMEPATH ? env.HOMEDRIVE + env.HOMEPATH : undefined);
}

/** The AWS config and shared-credentials file paths the SDK reads (same overrides, same defaults). */
export function awsFilePaths(
  env: Record<string, string | undefined>,
): { config?: string; credentials?: string } {
  const home = homeDir(env);
  return {
    config: env.AWS_CONFIG_FILE || (home ? `${home}/.aws/config` : undefined),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || (home ? `${home}/.aws/credentials` : undefined),
  };
}

/** The text of a file, `null` when reading it is not permitted, undefined when it cannot be read. */
async function readIfPermitted(path: string | undefined): Promise<string | null | undefined> {
  if (!path) return undefined;
  try {
    // Asking first avoids Deno's interactive permission prompt when relayx runs without --allow-read.
    const status = await Deno.permissions.query({ name: "read", path });
    if (status.state !== "granted") return null;
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/** True when relayx may not read the AWS files (so profiles are invisible to it and to the SDK). */
export async function awsFilesUnreadable(env: Record<string, string | undefined>): Promise<boolean> {
  const paths = awsFilePaths(env);
  const [config, credentials] = await Promise.all([
    readIfPermitted(paths.config),
    readIfPermitted(paths.credentials),
  ]);
  return config === null || credentials === null;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * True when the profile has a section in the AWS config (`[profile NAME]`, or `[NAME]` for `default`) or
 * credentials file (`[NAME]`). False as well when the files cannot be read (no `--allow-read`).
 *
 * @example
 * ```ts
 * await profileDefined("saml", Deno.env.toObject());
 * ```
 */
export async function profileDefined(
  profile: string,
  env: Record<string, string | undefined>,
): Promise<boolean> {
  const paths = awsFilePaths(env);
  const name = escapeRe(profile);
  const [config, credentials] = await Promise.all([
    readIfPermitted(paths.config),
    readIfPermitted(paths.credentials),
  ]);
  const configRe = new RegExp(`^\\s*\\[\\s*(?:profile\\s+)?${name}\\s*\\]`, "m");
  const credentialsRe = new RegExp(`^\\s*\\[\\s*${name}\\s*\\]`, "m");
  return (typeof config === "string" && configRe.test(config)) ||
    (typeof credentials === "string" && credentialsRe.test(credentials));
}

/**
 * Decides which credentials relayx asks the SDK for.
 *
 * - `AWS_PROFILE` set: that profile.
 * - Otherwise, the `saml` default profile when the AWS files define it and the environment has neither
 *   `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` nor `AWS_BEARER_TOKEN_BEDROCK` (keys set for this process
 *   are the more deliberate choice).
 * - Otherwise the SDK's default chain.
 *
 * @example
 * ```ts
 * const plan = await planAuth(
 *   { kind: "bedrock", profile: "saml", profileExplicit: false, region: "us-east-1", api: "auto" },
 *   Deno.env.toObject(),
 * );
 * console.log(plan.summary); // e.g. "profile \"saml\" (found in ~/.aws)"
 * ```
 */
export async function planAuth(
  config: BedrockConfig,
  env: Record<string, string | undefined>,
): Promise<AuthPlan> {
  const bearer = Boolean(env.AWS_BEARER_TOKEN_BEDROCK);
  if (config.profileExplicit && config.profile) {
    return { profile: config.profile, bearer, summary: `profile "${config.profile}" (AWS_PROFILE)` };
  }
  if (bearer) return { bearer, summary: "Bedrock API key (AWS_BEARER_TOKEN_BEDROCK)" };
  const envKeys = Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY);
  if (!envKeys && config.profile && await profileDefined(config.profile, env)) {
    return { profile: config.profile, bearer, summary: `profile "${config.profile}" (found in ~/.aws)` };
  }
  if (envKeys) return { bearer, summary: "environment keys (AWS_ACCESS_KEY_ID)" };
  return { bearer, summary: "default AWS credential chain", filesUnreadable: await awsFilesUnreadable(env) };
}

// Feature codes the SDK's providers stamp on credentials (`$source`), in the order that names the
// most specific origin first.
const SOURCES: [string, string][] = [
  ["CREDENTIALS_PROFILE_SSO", "SSO"],
  ["CREDENTIALS_SSO", "SSO"],
  ["CREDENTIALS_PROFILE_LOGIN", "aws login session"],
  ["CREDENTIALS_LOGIN", "aws login session"],
  ["CREDENTIALS_PROFILE_SOURCE_PROFILE", "assumed role"],
  ["CREDENTIALS_STS_ASSUME_ROLE", "assumed role"],
  ["CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN", "web identity"],
  ["CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN", "web identity"],
  ["CREDENTIALS_STS_ASSUME_ROLE_WEB_ID", "web identity"],
  ["CREDENTIALS_PROFILE_PROCESS", "credential_process"],
  ["CREDENTIALS_PROCESS", "credential_process"],
  ["CREDENTIALS_HTTP", "container role"],
  ["CREDENTIALS_IMDS", "instance role"],
  ["CREDENTIALS_ENV_VARS", "environment keys"],
  ["CREDENTIALS_PROFILE", "static keys in the profile"],
];

/** The resolved credentials' fields relayx may look at (never the secret ones). */
export interface CredentialFacts {
  /** Feature codes set by the SDK's credential providers. */
  $source?: Record<string, unknown>;
  /** Present for SSO and some other providers. */
  accountId?: string;
  /** When temporary credentials expire. */
  expiration?: Date;
  /** Present for temporary credentials. */
  sessionToken?: string;
}

/**
 * Describes resolved credentials: their origin, the account when the provider reports it, and the
 * expiry of temporary ones. Never includes a key.
 *
 * @example
 * ```ts
 * describeCredentials({ $source: { CREDENTIALS_ENV_VARS: "g" } }); // "environment keys"
 * ```
 */
export function describeCredentials(creds: CredentialFacts, now: Date = new Date()): string {
  const features = creds.$source ?? {};
  const source = SOURCES.find(([key]) => key in features)?.[1] ??
    (creds.sessionToken ? "temporary credentials" : "static keys");
  const parts = [source];
  if (creds.accountId) parts.push(`account ${creds.accountId}`);
  if (creds.expiration) {
    const minutes = Math.round((creds.expiration.getTime() - now.getTime()) / 60_000);
    parts.push(minutes > 0 ? `expire in ${minutes} min` : "expired");
  }
  return parts.join(", ");
}

/** The fix to suggest when credentials are missing, for the start-up warning and 401s. */
export function loginHint(profile: string | undefined): string {
  return profile
    ? `run \`aws sso login --profile ${profile}\` (or your SAML tool for "${profile}")`
    : "set AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login --profile <name>`";
}
