/**
 * Configuration: a pure parse of an environment record. The only place environment names are spelled.
 *
 * @module
 */
import { ConfigError } from "./config_error.ts";
import { type Limits, parseLimits } from "./limits.ts";
import type { ModelSpec } from "./models/model_spec.ts";
import type { BedrockApi } from "./translate/bedrock/bedrock_models.ts";
import { detectProvider, type ProviderName, PROVIDERS } from "./translate/openai/providers.ts";
import {
  SEARCH_PROVIDERS,
  type SearchProviderName,
  type WebSearchConfig,
} from "./web_search/search_provider.ts";

export type { SearchProviderName, WebSearchConfig };

/** Settings of the OpenAI-compatible backend. */
export interface OpenAIConfig {
  /** Tells this backend's settings apart from {@linkcode BedrockConfig}. */
  kind: "openai_compatible";
  /** API key; empty for local servers that need none. Never logged. */
  apiKey: string;
  /** Base URL ending before `/chat/completions`. */
  baseUrl: string;
  /** Model for Claude names (opus, sonnet, and anything Claude-like). */
  model: string;
  /** Model for haiku-family names (Claude Code's background requests). */
  smallModel: string;
  /** Whose quirks to apply. */
  provider: ProviderName;
  /** Caps every request's max_tokens, overriding the per-model table. */
  maxOutputTokens?: number;
}

/** Settings of the Bedrock backend. */
export interface BedrockConfig {
  /** Tells this backend's settings apart from {@linkcode OpenAIConfig}. */
  kind: "bedrock";
  /** Named profile, when one is to be used. */
  profile?: string;
  /** True when the profile was named explicitly (AWS_PROFILE), not the `saml` default. */
  profileExplicit: boolean;
  /** AWS region. */
  region: string;
  /** Model for Claude names without a better match; also the start-up default. */
  modelId?: string;
  /** Model for haiku-family names. */
  smallModelId?: string;
  /** Converse for every model, native Messages (InvokeModel) for Claude, or auto (invoke for Claude). */
  api: BedrockApi | "auto";
  /** Caps every request's max_tokens. */
  maxOutputTokens?: number;
  /** The Bedrock runtime endpoint, instead of the region's (a VPC endpoint, a proxy, a test mock). */
  endpoint?: string;
}

/** Settings of an Anthropic-format upstream (Anthropic itself, or a server that speaks its Messages API). */
export interface AnthropicConfig {
  /** Tells this backend's settings apart from the others. */
  kind: "anthropic";
  /** Base URL ending before `/v1/messages`. */
  baseUrl: string;
  /** Sent as `x-api-key` (Anthropic) or `Authorization: Bearer` (where the provider wants that); never logged. */
  apiKey: string;
  /** When set, every request goes to this model; otherwise the client's model name passes through. */
  model?: string;
  /**
   * Who runs Anthropic's web search tool: `upstream` (it runs server tools itself) or `relayx`; absent,
   * `upstream` for api.anthropic.com and `relayx` elsewhere.
   */
  webSearch?: "relayx" | "upstream";
}

/** One backend's settings. */
export type BackendConfig = OpenAIConfig | BedrockConfig | AnthropicConfig;

/** Where a route sends a request: a backend, and the upstream model when the route fixes it. */
export interface RouteTarget {
  /** A key of {@linkcode Config.backends}. */
  backend: string;
  /** The upstream model (`"NAME/MODEL"`); absent, the backend maps the requested model by its own rules. */
  model?: string;
}

/** The conditions of a route; every given one must hold. */
export interface RouteMatch {
  /** Globs (`*` any run, `?` one character) on the requested model; one must match. */
  model?: string[];
  /** The request asks for extended thinking (true) or does not (false). */
  thinking?: boolean;
  /** relayx's estimate of the input tokens is above this. */
  inputTokensOver?: number;
  /** The request carries an image (true) or none (false). */
  images?: boolean;
  /** A glob on the name of a tool the request defines; one tool must match. */
  tools?: string;
}

/** A route: the first one whose conditions hold serves a request. */
export interface RouteConfig {
  /** How logs and the start-up output name it (`routes[0]` unless the file names it). */
  name: string;
  /** Its conditions (empty: every request). */
  match: RouteMatch;
  /** The targets in the order they are tried: the first, then the fallbacks. Never empty. */
  to: RouteTarget[];
}

export { ConfigError };
export type { Limits };

/** The whole configuration. */
export interface Config {
  /** Interface to listen on. */
  host: string;
  /** Port to listen on. */
  port: number;
  /** When set, clients must send it as `x-api-key` or `Authorization: Bearer`. Never logged. */
  apiKey?: string;
  /** The backends by name. */
  backends: Record<string, BackendConfig>;
  /** The routes, in the order they are matched; the last one of an environment configuration matches all. */
  routes: RouteConfig[];
  /** Facts about upstream models that override the registry's, by upstream model id. */
  models: Record<string, ModelSpec>;
  /** Log format. */
  logFormat: "json" | "text" | "off";
  /** The search service relayx runs Anthropic's web search tool with; none: searches answer `unavailable`. */
  webSearch?: WebSearchConfig;
  /** Timeouts and limits, inbound and upstream. */
  limits: Limits;
}

function int(env: Record<string, string | undefined>, name: string, fallback?: number): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new ConfigError(`${name}: expected a positive integer, got "${raw}"`);
  }
  return n;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || host.startsWith("127.");
}

function isProviderName(name: string): name is ProviderName {
  return name in PROVIDERS;
}

function openAIConfig(
  env: Record<string, string | undefined>,
  maxOutputTokens: number | undefined,
): OpenAIConfig {
  const baseUrl = (env.OPENAI_BASE_URL?.trim() || PROVIDERS.gemini.baseUrl).replace(/\/+$/, "");
  try {
    new URL(baseUrl);
  } catch {
    throw new ConfigError(`OPENAI_BASE_URL: not a URL: "${baseUrl}"`);
  }
  const provider = env.OPENAI_PROVIDER?.trim() || detectProvider(baseUrl);
  if (!isProviderName(provider)) {
    throw new ConfigError(
      `OPENAI_PROVIDER: expected one of ${Object.keys(PROVIDERS).join(", ")}, got "${provider}"`,
    );
  }
  const key = env.OPENAI_API_KEY?.trim() ?? "";
  if (!key && PROVIDERS[provider].needsKey) {
    throw new ConfigError(`OPENAI_API_KEY: required for ${provider} (${baseUrl})`);
  }
  const model = env.OPENAI_MODEL?.trim() || "gemini-2.0-flash";
  return {
    kind: "openai_compatible",
    apiKey: key,
    baseUrl,
    model,
    smallModel: env.OPENAI_SMALL_MODEL?.trim() || model,
    provider,
    maxOutputTokens,
  };
}

function bedrockConfig(
  env: Record<string, string | undefined>,
  maxOutputTokens: number | undefined,
): BedrockConfig {
  const api = env.BEDROCK_API?.trim() || "auto";
  if (api !== "auto" && api !== "converse" && api !== "invoke") {
    throw new ConfigError(`BEDROCK_API: expected auto, converse or invoke, got "${api}"`);
  }
  const explicit = env.AWS_PROFILE?.trim();
  return {
    kind: "bedrock",
    profile: explicit || "saml",
    profileExplicit: Boolean(explicit),
    // The JS SDK ignores AWS_DEFAULT_REGION; users set it for the CLI, so relayx reads both.
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || "us-east-1",
    modelId: env.BEDROCK_MODEL_ID?.trim() || undefined,
    smallModelId: env.BEDROCK_SMALL_MODEL_ID?.trim() || undefined,
    api,
    maxOutputTokens,
  };
}

/**
 * Parses the configuration from environment variables.
 *
 * @example Relay to OpenAI, with a key clients must present
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const config = parseConfig({
 *   LLM_BACKEND: "openai_compatible",
 *   OPENAI_BASE_URL: "https://api.openai.com/v1",
 *   OPENAI_API_KEY: "sk-example",
 *   OPENAI_MODEL: "gpt-4.1",
 *   RELAYX_API_KEY: "secret",
 * });
 * assert.equal(config.port, 8082);
 * assert.equal(config.backends.openai_compatible?.kind, "openai_compatible");
 * assert.deepEqual(config.routes[0]?.to, [{ backend: "openai_compatible" }]);
 * ```
 * @throws {ConfigError} naming the variable that is wrong.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const server = parseServerConfig(env);
  const maxOutputTokens = int(env, "MAX_OUTPUT_TOKENS");
  const kind = env.LLM_BACKEND?.trim() || "bedrock";
  let backend: BackendConfig;
  if (kind === "openai_compatible" || kind === "openai") backend = openAIConfig(env, maxOutputTokens);
  else if (kind === "bedrock") backend = bedrockConfig(env, maxOutputTokens);
  else throw new ConfigError(`LLM_BACKEND: expected bedrock or openai_compatible, got "${kind}"`);
  // Without a configuration file: one backend, named after LLM_BACKEND, behind one catch-all route.
  return {
    ...server,
    backends: { [kind]: backend },
    routes: [{ name: "routes[0]", match: {}, to: [{ backend: kind }] }],
    models: {},
  };
}

/** The settings that come from the environment whether or not a configuration file names the backends. */
export type ServerConfig = Omit<Config, "backends" | "routes" | "models">;

/**
 * Parses the server's own settings (listen address, key, log format, limits) from the environment; the
 * backends come from {@linkcode parseConfig} or from the configuration file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseServerConfig({ SERVER_PORT: "9000" }).port, 9000);
 * ```
 * @throws {ConfigError} naming the variable that is wrong.
 */
export function parseServerConfig(env: Record<string, string | undefined>): ServerConfig {
  const portRaw = env.SERVER_PORT?.trim() || "8082";
  const port = Number(portRaw);
  // 0 asks the system for any free port (the start-up line says which).
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`SERVER_PORT: expected a port number, got "${portRaw}"`);
  }
  const host = env.HOST?.trim() || "127.0.0.1";
  const apiKey = env.RELAYX_API_KEY?.trim() || undefined;
  // Listening beyond loopback without a key would hand the upstream credentials to anyone on the network.
  if (!isLoopback(host) && !apiKey) {
    throw new ConfigError(
      `HOST: listening on "${host}" needs RELAYX_API_KEY so that relayx is not an open relay`,
    );
  }
  const logRaw = env.LOG_FORMAT?.trim() || "json";
  if (logRaw !== "json" && logRaw !== "text" && logRaw !== "off") {
    throw new ConfigError(`LOG_FORMAT: expected json, text or off, got "${logRaw}"`);
  }
  const webSearch = parseWebSearch(env);
  return {
    host,
    port,
    apiKey,
    logFormat: logRaw,
    limits: parseLimits(env),
    ...(webSearch ? { webSearch } : {}),
  };
}

/**
 * Checks the search settings, wherever they come from (`at` names them in the error): SearXNG needs its
 * URL, Brave and Tavily a key; a URL must be one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => checkWebSearch({ provider: "searxng" }, { url: "WEB_SEARCH_URL", apiKey: "WEB_SEARCH_API_KEY" }),
 *   new ConfigError("WEB_SEARCH_URL: required for searxng (the instance's base URL)"),
 * );
 * ```
 * @throws {ConfigError} naming the setting that is missing or wrong.
 */
export function checkWebSearch(
  config: WebSearchConfig,
  at: { url: string; apiKey: string },
): WebSearchConfig {
  if (config.url !== undefined && !URL.canParse(config.url)) {
    throw new ConfigError(`${at.url}: not a URL: "${config.url}"`);
  }
  if (config.provider === "searxng" && !config.url) {
    throw new ConfigError(`${at.url}: required for searxng (the instance's base URL)`);
  }
  if (config.provider !== "searxng" && !config.apiKey) {
    throw new ConfigError(`${at.apiKey}: required for ${config.provider}`);
  }
  return config;
}

function parseWebSearch(env: Record<string, string | undefined>): WebSearchConfig | undefined {
  const raw = env.WEB_SEARCH_PROVIDER?.trim();
  if (!raw) return undefined;
  if (!(SEARCH_PROVIDERS as readonly string[]).includes(raw)) {
    throw new ConfigError(`WEB_SEARCH_PROVIDER: expected ${SEARCH_PROVIDERS.join(", ")}, got "${raw}"`);
  }
  const url = env.WEB_SEARCH_URL?.trim() || undefined;
  const apiKey = env.WEB_SEARCH_API_KEY?.trim() || undefined;
  return checkWebSearch(
    { provider: raw as SearchProviderName, ...(url ? { url } : {}), ...(apiKey ? { apiKey } : {}) },
    { url: "WEB_SEARCH_URL", apiKey: "WEB_SEARCH_API_KEY" },
  );
}
