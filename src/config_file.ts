/**
 * The configuration file (`relayx.json`): its schema, `${VAR}` substitution, and the conversion into
 * relayx's named backends, routes and model facts. Pure: the caller reads the file and passes the text.
 *
 * @module
 */
import { z } from "zod";
import {
  type BackendConfig,
  type BedrockConfig,
  checkWebSearch,
  type OpenAIConfig,
  type RouteConfig,
  type RouteTarget,
  type WebSearchConfig,
} from "./config.ts";
import { ConfigError } from "./config_error.ts";
import type { ModelSpec } from "./models/model_spec.ts";
import { ANTHROPIC_PROVIDERS, detectAnthropicProvider } from "./translate/anthropic/providers.ts";
import { detectProvider, type ProviderName, PROVIDERS } from "./translate/openai/providers.ts";
import { SEARCH_PROVIDERS, type SearchProviderName } from "./web_search/search_provider.ts";

const url = z.string().refine((s) => URL.canParse(s), "not a URL");
const name = z.string().min(1);
const positive = z.number().int().positive();

const openaiBackend = z.strictObject({
  type: z.literal("openai"),
  baseUrl: url.optional(),
  apiKey: z.string().optional(),
  provider: z.enum(Object.keys(PROVIDERS) as [ProviderName, ...ProviderName[]]).optional(),
  model: name.optional(),
  smallModel: name.optional(),
  maxOutputTokens: positive.optional(),
});

const bedrockBackend = z.strictObject({
  type: z.literal("bedrock"),
  region: name.optional(),
  profile: name.optional(),
  api: z.enum(["auto", "invoke", "converse"]).optional(),
  model: name.optional(),
  smallModel: name.optional(),
  endpoint: url.optional(),
  maxOutputTokens: positive.optional(),
});

const anthropicBackend = z.strictObject({
  type: z.literal("anthropic"),
  baseUrl: url,
  apiKey: z.string().optional(),
  model: name.optional(),
  webSearch: z.enum(["relayx", "upstream"]).optional(),
});

const webSearch = z.strictObject({
  provider: z.enum(SEARCH_PROVIDERS as [SearchProviderName, ...SearchProviderName[]]),
  url: url.optional(),
  apiKey: z.string().optional(),
});

const backend = z.discriminatedUnion("type", [openaiBackend, bedrockBackend, anthropicBackend]);

// A target is "NAME/MODEL" split at the first "/": a name holding one, or none at all, could never be
// named by a target.
const backendName = z.string().regex(/^[^/]+$/, 'a backend name must be non-empty, without "/"');

// A target is "NAME" or "NAME/MODEL", split at the first "/" (model ids hold "/" and ":").
const target = z.string().regex(/^[^/]+(?:\/.+)?$/, 'expected "NAME" or "NAME/MODEL"');

const match = z.strictObject({
  model: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  thinking: z.boolean().optional(),
  inputTokensOver: z.number().int().nonnegative().optional(),
  images: z.boolean().optional(),
  tools: z.string().optional(),
});

const route = z.strictObject({
  name: name.optional(),
  match: match.optional(),
  to: z.union([target, z.array(target).min(1)]),
});

const price = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cacheRead: z.number().nonnegative().optional(),
  cacheWrite: z.number().nonnegative().optional(),
});

const model = z.strictObject({
  contextWindow: positive.optional(),
  maxOutputTokens: positive.optional(),
  reasoning: z.boolean().optional(),
  images: z.boolean().optional(),
  pdf: z.boolean().optional(),
  price: price.optional(),
});

/** The schema of `relayx.json`; {@linkcode configFileJsonSchema} is its JSON Schema. */
export const configFileSchema = z.strictObject({
  $schema: z.string().optional(),
  backends: z.record(backendName, backend).refine((b) => Object.keys(b).length > 0, "at least one backend"),
  routes: z.array(route).min(1).optional(),
  models: z.record(name, model).optional(),
  webSearch: webSearch.optional(),
});

/** The file as written (after `${VAR}` substitution). */
export type ConfigFile = z.infer<typeof configFileSchema>;

/** What the file configures: the parts of {@linkcode Config} that come from it. */
export interface FileSettings {
  /** The backends by name. */
  backends: Record<string, BackendConfig>;
  /** The routes in match order. */
  routes: RouteConfig[];
  /** Model facts by upstream model id. */
  models: Record<string, ModelSpec>;
  /** The search service, when the file names one (else the environment's, if any). */
  webSearch?: WebSearchConfig;
}

/**
 * The JSON Schema of `relayx.json`, for editors (`"$schema"` in the file); generated from the same zod
 * schema the parser uses.
 *
 * @example
 * ```ts
 * const schema = configFileJsonSchema();
 * console.log(Object.keys(schema.properties as object)); // ["$schema", "backends", "routes", "models", "webSearch"]
 * ```
 */
export function configFileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configFileSchema, { io: "input" }) as Record<string, unknown>;
}

/** `routes[1].to[0]`: a zod issue path as the file's reader writes it. */
function pathOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    // A key that would read as something else (empty, or holding "/", "." or a space) is quoted.
    else if (typeof key === "string" && /^$|[/.\s"[\]]/.test(key)) out += `[${JSON.stringify(key)}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out || "(top level)";
}

// Replaces every ${VAR} inside every string value; a missing or empty variable stops relayx naming it and
// where.
function substitute(value: unknown, env: Record<string, string | undefined>, path: PropertyKey[]): unknown {
  if (typeof value === "string") {
    // `${ NAME }`, `${1X}` or an unclosed `${` would otherwise reach the upstream as literal text (a key).
    const bad = value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/g, "").indexOf("${");
    if (bad >= 0) {
      throw new ConfigError(
        `${pathOf(path)}: "\${" must start a reference like \${NAME} (letters, digits, _)`,
      );
    }
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, variable: string) => {
      const got = env[variable];
      // An empty value is as good as none: `"apiKey": ""` would reach the upstream as a missing key.
      if (got === undefined || got === "") {
        throw new ConfigError(
          `${pathOf(path)}: environment variable ${variable} is ${got === undefined ? "not set" : "empty"}`,
        );
      }
      return got;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, env, [...path, i]));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, env, [...path, k]);
    return out;
  }
  return value;
}

function openai(b: z.infer<typeof openaiBackend>, at: string): OpenAIConfig {
  const baseUrl = (b.baseUrl ?? PROVIDERS.gemini.baseUrl).replace(/\/+$/, "");
  const provider = b.provider ?? detectProvider(baseUrl);
  const apiKey = b.apiKey ?? "";
  if (!apiKey && PROVIDERS[provider].needsKey) {
    // The host only: a URL may carry a key in its query.
    throw new ConfigError(`${at}.apiKey: required for ${provider} (${new URL(baseUrl).host})`);
  }
  const model = b.model ?? "gemini-2.0-flash";
  return {
    kind: "openai_compatible",
    apiKey,
    baseUrl,
    model,
    smallModel: b.smallModel ?? model,
    provider,
    maxOutputTokens: b.maxOutputTokens,
  };
}

function bedrock(b: z.infer<typeof bedrockBackend>, env: Record<string, string | undefined>): BedrockConfig {
  return {
    kind: "bedrock",
    profile: b.profile ?? "saml",
    profileExplicit: b.profile !== undefined,
    region: b.region ?? (env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || "us-east-1"),
    modelId: b.model,
    smallModelId: b.smallModel,
    api: b.api ?? "auto",
    maxOutputTokens: b.maxOutputTokens,
    endpoint: b.endpoint,
  };
}

function toTarget(raw: string, at: string, backends: Record<string, unknown>): RouteTarget {
  const slash = raw.indexOf("/");
  const backend = slash < 0 ? raw : raw.slice(0, slash);
  if (!Object.hasOwn(backends, backend)) {
    throw new ConfigError(`${at}: no backend named ${JSON.stringify(backend)}`);
  }
  return slash < 0 ? { backend } : { backend, model: raw.slice(slash + 1) };
}

function toRoute(r: z.infer<typeof route>, i: number, backends: Record<string, unknown>): RouteConfig {
  const at = `routes[${i}]`;
  const to = typeof r.to === "string"
    ? [toTarget(r.to, `${at}.to`, backends)]
    : r.to.map((t, j) => toTarget(t, `${at}.to[${j}]`, backends));
  const m = r.match ?? {};
  return {
    name: r.name ?? at,
    match: {
      ...(m.model === undefined ? {} : { model: typeof m.model === "string" ? [m.model] : m.model }),
      ...(m.thinking === undefined ? {} : { thinking: m.thinking }),
      ...(m.inputTokensOver === undefined ? {} : { inputTokensOver: m.inputTokensOver }),
      ...(m.images === undefined ? {} : { images: m.images }),
      ...(m.tools === undefined ? {} : { tools: m.tools }),
    },
    to,
  };
}

/**
 * Parses the text of a configuration file: JSON, `${VAR}` replaced from `env`, checked against the
 * schema, targets resolved against the backends. Without `routes`, one catch-all route tries the
 * backends in the order the file lists them.
 *
 * @example A route to a named backend's model, and the error a misspelt backend gets
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigError } from "./config_error.ts";
 *
 * const text = JSON.stringify({
 *   backends: { local: { type: "openai", baseUrl: "http://localhost:11434/v1", model: "qwen3-coder:30b" } },
 *   routes: [{ match: { model: "claude-haiku-*" }, to: "local/qwen3:4b" }, { to: "local" }],
 * });
 * const settings = parseConfigFile(text, {});
 * assert.deepEqual(settings.routes[0]?.to, [{ backend: "local", model: "qwen3:4b" }]);
 * assert.throws(
 *   () => parseConfigFile(text.replace('"local/', '"lokal/'), {}),
 *   new ConfigError('routes[0].to: no backend named "lokal"'),
 * );
 * ```
 * @throws {ConfigError} naming the path in the file that is wrong (one line).
 */
export function parseConfigFile(text: string, env: Record<string, string | undefined>): FileSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = configFileSchema.safeParse(substitute(raw, env, []));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    let message = issue?.message ?? "invalid";
    if (issue?.code === "unrecognized_keys") {
      message = `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    } else if (issue?.code === "invalid_key") {
      // zod's own message is "Invalid key in record"; the key's issue says what is wrong with it.
      message = issue.issues[0]?.message ?? message;
    }
    throw new ConfigError(`${pathOf(issue?.path ?? [])}: ${message}`.replace(/\s+/g, " "));
  }
  const file = parsed.data;
  const backends: Record<string, BackendConfig> = {};
  for (const [key, b] of Object.entries(file.backends)) {
    switch (b.type) {
      case "openai":
        backends[key] = openai(b, pathOf(["backends", key]));
        break;
      case "bedrock":
        backends[key] = bedrock(b, env);
        break;
      case "anthropic":
        // The upstream runs the search only where it runs server tools; elsewhere the tool would be
        // dropped before it gets there, and nothing would search.
        if (
          b.webSearch === "upstream" &&
          !ANTHROPIC_PROVIDERS[detectAnthropicProvider(b.baseUrl)].serverFeatures
        ) {
          const path = pathOf(["backends", key, "webSearch"]);
          throw new ConfigError(
            `${path}: "upstream" needs an upstream that runs server tools (api.anthropic.com)`,
          );
        }
        backends[key] = {
          kind: "anthropic",
          baseUrl: b.baseUrl.replace(/\/+$/, ""),
          apiKey: b.apiKey ?? "",
          model: b.model,
          ...(b.webSearch ? { webSearch: b.webSearch } : {}),
        };
        break;
      default: {
        const never: never = b;
        throw new ConfigError(`backends.${key}: unknown type ${JSON.stringify(never)}`);
      }
    }
  }
  const routes = file.routes
    ? file.routes.map((r, i) => toRoute(r, i, backends))
    : [{ name: "routes[0]", match: {}, to: Object.keys(backends).map((b) => ({ backend: b })) }];
  const search = file.webSearch &&
    checkWebSearch(file.webSearch, { url: "webSearch.url", apiKey: "webSearch.apiKey" });
  return { backends, routes, models: file.models ?? {}, ...(search ? { webSearch: search } : {}) };
}
