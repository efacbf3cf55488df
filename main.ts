/**
 * relayx: an Anthropic Messages API server in front of AWS Bedrock, OpenAI-compatible and Anthropic-format
 * backends, so that Claude Code and every Anthropic SDK client run on other models.
 *
 * Run it with `deno run --allow-net --allow-env jsr:@relayx/server`, then
 * `export ANTHROPIC_BASE_URL=http://127.0.0.1:8082`; for `deno serve --parallel`, use
 * `jsr:@relayx/server/serve`. Importing this module starts nothing: it is the library that builds the
 * server ({@linkcode createRelay}) or its HTTP app over a backend of your own ({@linkcode createApp}).
 *
 * @example Serve relayx in front of a local Ollama
 * ```ts
 * import { createRelay } from "@relayx/server";
 *
 * const relay = await createRelay({
 *   LLM_BACKEND: "openai_compatible",
 *   OPENAI_BASE_URL: "http://localhost:11434/v1",
 *   OPENAI_MODEL: "qwen3-coder",
 * });
 * Deno.serve({ hostname: relay.config.host, port: relay.config.port }, relay.fetch);
 * ```
 *
 * @module
 */
import { createApp } from "./src/app.ts";
import type { Backend } from "./src/backends/backend.ts";
import { type BackendConfig, type Config, ConfigError, parseConfig } from "./src/config.ts";
import { RelayError } from "./src/errors.ts";
import { parseCommandLine } from "./src/cli.ts";
import { denoFiles } from "./src/file_access.ts";
import { createLogger, type RequestLog } from "./src/log.ts";
import { guardContext } from "./src/backends/context_guard.ts";
import { loadCatalogue, slicesFor } from "./src/models/catalogue.ts";
import type { ModelHints } from "./src/models/model_spec.ts";
import { createModelRegistry, type ModelRegistry } from "./src/models/registry.ts";
import { VERSION } from "./src/version.ts";
import { createTokenCounter } from "./src/tokens/token_counter.ts";
import { createRedactor, type Redactor, secretsOf } from "./src/redact.ts";
import { isLoopbackHost } from "./src/server/host_check.ts";
import { collectWhenIdle } from "./src/server/idle_gc.ts";
import { serveRelay } from "./src/server/serve_relay.ts";
import { onShutdownSignals } from "./src/server/shutdown.ts";
import {
  anthropicModelHints,
  anthropicSearchMode,
  detectAnthropicProvider,
} from "./src/translate/anthropic/providers.ts";
import { createSearchProvider } from "./src/web_search/create_provider.ts";
import type { SearchProvider } from "./src/web_search/search_provider.ts";
import type { PriceOf } from "./src/usage/cost.ts";
import { runUsage } from "./src/usage/usage_command.ts";
import { parseUsageSettings } from "./src/usage/usage_settings.ts";
import { type OpenedUsage, openUsage, usageLine } from "./src/usage/usage_storage.ts";
import { otelEnabled } from "./src/telemetry/otel_enabled.ts";
import type { TelemetryOptions } from "./src/telemetry/otel.ts";
import { liveSetup } from "./src/live/live_setup.ts";

export { createApp, type RelayApp } from "./src/app.ts";
export type { AppDeps } from "./src/routes/_context.ts";
export type { Logger, RequestLog } from "./src/log.ts";
export type { PriceOf } from "./src/usage/cost.ts";
export type { OpenedUsage, UsageStorage } from "./src/usage/usage_storage.ts";
export type { UsageRecorder, UsageTotals } from "./src/usage/usage_recorder.ts";
export type { UsageRecord } from "./src/usage/usage_record.ts";
export type { LiveDeps, UsageFeed } from "./src/live/live_routes.ts";
export type { LiveBackend, LiveRoute, LiveSetup } from "./src/live/live_setup.ts";
export {
  type AnthropicConfig,
  type BackendConfig,
  type BedrockConfig,
  type Config,
  ConfigError,
  type Limits,
  type OpenAIConfig,
  parseConfig,
  type RouteConfig,
  type RouteMatch,
  type RouteTarget,
  type SearchProviderName,
  type WebSearchConfig,
} from "./src/config.ts";
export type { WebSearchSpec } from "./src/web_search/web_search_tool.ts";
export type { UserLocation } from "./src/web_search/search_provider.ts";
export { RelayError, type RelayErrorOptions } from "./src/errors.ts";
export type { ModelHints, ModelPrice, ModelProvider, ModelSpec } from "./src/models/model_spec.ts";
export type { ModelRegistry } from "./src/models/registry.ts";
export {
  createTokenCounter,
  type TokenCount,
  type TokenCounter,
  type TokenCounterOptions,
} from "./src/tokens/token_counter.ts";
export type { TokenCountRequest } from "./src/tokens.ts";
export { createRedactor, type Redactor, secretsOf } from "./src/redact.ts";
export type {
  Backend,
  BackendKind,
  CallContext,
  IdSource,
  ModelInfo,
  RouteTrace,
} from "./src/backends/backend.ts";
export type { ProviderName } from "./src/translate/openai/providers.ts";
export type { BedrockApi } from "./src/translate/bedrock/bedrock_models.ts";
// A backend of one's own takes and returns these (the same types as `@relayx/server/translate`).
export type * from "./src/anthropic/types.ts";

/** A configured relayx: its request handler, backend and configuration. */
export interface Relay {
  /** Handles one HTTP request. */
  fetch: (request: Request) => Promise<Response>;
  /** The backend requests go to. */
  backend: Backend;
  /** The parsed configuration. */
  config: Config;
  /**
   * Ends every request still in flight at once: streams with an `overloaded_error` event, other requests
   * with a 529, so that clients retry (the deadline of a graceful shutdown). Requests arriving later get
   * the same answer.
   */
  abortInFlight: () => void;
  /** The usage recorder and where it keeps records (the data directory's database, or memory). */
  usage: OpenedUsage;
  /**
   * Ends the live page's event streams (they would otherwise hold a graceful shutdown until its deadline);
   * the page then says that relayx stopped.
   */
  closeLive: () => void;
}

/** Options for {@linkcode createRelay}. */
export interface RelayOptions {
  /** Prices by upstream model and backend, for the usage records (default: the configuration's `models`). */
  priceOf?: PriceOf;
}

// Every backend is guarded by the context preflight, and runs Anthropic's web search tool through relayx
// (src/web_search/), except an Anthropic upstream that runs server tools itself.
async function createBackend(
  b: BackendConfig,
  config: Config,
  redact: Redactor,
  registry: ModelRegistry,
  search: SearchProvider | undefined,
): Promise<Backend> {
  const { withWebSearch } = await import("./src/web_search/with_web_search.ts");
  const mode = b.kind === "anthropic" ? anthropicSearchMode(b) : "relayx";
  const upstream = await createUpstream(b, config, redact, registry);
  return guardContext(withWebSearch(upstream, { provider: search, mode }), {
    pdfTextMaxChars: config.limits.pdfTextMaxChars,
  });
}

async function createUpstream(
  b: BackendConfig,
  config: Config,
  redact: Redactor,
  registry: ModelRegistry,
): Promise<Backend> {
  switch (b.kind) {
    case "openai_compatible": {
      // Each backend's SDK is loaded only when it is the one configured (the openai SDK alone is ~27 MB).
      const { createOpenAIBackend } = await import("./src/backends/openai.ts");
      return createOpenAIBackend(b, { redact, limits: config.limits, registry });
    }
    case "bedrock": {
      const { createBedrockBackend } = await import("./src/backends/bedrock/bedrock_backend.ts");
      return createBedrockBackend(b, { redact, limits: config.limits, registry });
    }
    case "anthropic": {
      const { createAnthropicBackend } = await import("./src/backends/anthropic/anthropic_backend.ts");
      return createAnthropicBackend(b, { redact, limits: config.limits, registry });
    }
    default: {
      const never: never = b;
      return never;
    }
  }
}

// One route without conditions to one backend (every environment configuration): that backend serves
// directly, without the router's per-request work.
function soleBackend(config: Config): BackendConfig | undefined {
  const [route, ...more] = config.routes;
  const target = route?.to[0];
  if (!route || more.length > 0 || route.to.length !== 1 || Object.keys(route.match).length > 0) return;
  if (!target || target.model !== undefined) return;
  return config.backends[target.backend];
}

async function createRouted(config: Config, redact: Redactor, registry: ModelRegistry): Promise<Backend> {
  const search = config.webSearch && createSearchProvider(config.webSearch);
  const sole = soleBackend(config);
  if (sole) return await createBackend(sole, config, redact, registry, search);
  const backends: Record<string, Backend> = {};
  for (const route of config.routes) {
    for (const { backend: name } of route.to) {
      const b = config.backends[name];
      if (!b) throw new ConfigError(`${route.name}.to: no backend named ${JSON.stringify(name)}`);
      backends[name] ??= await createBackend(b, config, redact, registry, search);
    }
  }
  const { createRouter } = await import("./src/routing/router.ts");
  return createRouter({ backends, routes: config.routes });
}

// Who serves each configured backend's models, for the registry's lookups and the catalogue slices to load.
function hintsOf(b: BackendConfig): ModelHints {
  switch (b.kind) {
    case "openai_compatible":
      return { provider: b.provider };
    case "bedrock":
      return { provider: "bedrock" };
    case "anthropic":
      // As the backend itself reads its models: by the provider its base URL names.
      return anthropicModelHints(detectAnthropicProvider(b.baseUrl));
    default: {
      const never: never = b;
      return never;
    }
  }
}

// The model registry: the configuration file's overrides over relayx's own entries, the catalogue slices
// the configured upstreams need (imported now, so that no request waits for them), and relayx's rules.
async function modelRegistry(config: Config): Promise<ModelRegistry> {
  const slices = Object.values(config.backends).flatMap((b) => [...slicesFor(hintsOf(b))]);
  return createModelRegistry({ overrides: config.models, catalogue: await loadCatalogue(slices) });
}

// A request's price from the registry, by the backend that served it (a target's backend name, or the
// backend kind of a one-backend relayx), remembered per model: the registry's lookups are not free.
function registryPrices(config: Config, registry: ModelRegistry): PriceOf {
  const known = new Map<string, ReturnType<PriceOf>>();
  return (model, backend) => {
    const key = `${backend}\u0000${model}`;
    if (known.has(key)) return known.get(key);
    const b = config.backends[backend] ?? Object.values(config.backends).find((c) => c.kind === backend);
    const price = registry.lookup(model, b ? hintsOf(b) : undefined).price;
    if (known.size < 1000) known.set(key, price);
    return price;
  };
}

// With Deno's OpenTelemetry on (OTEL_DENO=true), each model call also becomes a span and measurements;
// off, the OpenTelemetry API is not loaded and the usage hook is the recorder's own.
async function withTelemetry(
  env: Record<string, string | undefined>,
  record: (entry: RequestLog) => void,
  options: TelemetryOptions,
): Promise<(entry: RequestLog) => void> {
  if (!otelEnabled(env)) return record;
  const { createTelemetry } = await import("./src/telemetry/otel.ts");
  const telemetry = createTelemetry(options);
  return (entry) => {
    record(entry);
    telemetry(entry);
  };
}

/**
 * Builds relayx from environment variables (see the README for the names), or from a configuration
 * already parsed (`parseCommandLine`'s, with a configuration file); `env` then supplies the credentials to
 * redact. Only the configured backend's SDK is loaded.
 *
 * @example A wrong setting is a ConfigError naming the variable
 * ```ts
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(
 *   createRelay({ LLM_BACKEND: "openai_compatible", OPENAI_BASE_URL: "not a url" }),
 *   new ConfigError('OPENAI_BASE_URL: not a URL: "not a url"'),
 * );
 * ```
 * @throws {ConfigError} naming the variable that is wrong.
 */
export async function createRelay(
  env: Record<string, string | undefined>,
  config: Config = parseConfig(env),
  options: RelayOptions = {},
): Promise<Relay> {
  // One redactor for every credential in the environment, shared by the backend (the errors it maps),
  // the app (error answers) and the logger.
  // The configuration file's keys (literal or `${VAR}` of any name) are secrets too, beside the
  // environment's well-known ones.
  const fileKeys = Object.values(config.backends).map((b) => b.kind === "bedrock" ? undefined : b.apiKey);
  fileKeys.push(config.webSearch?.apiKey);
  const redact = createRedactor([...secretsOf(env), ...fileKeys]);
  const registry = await modelRegistry(config);
  const backend = await createRouted(config, redact, registry);
  const usageSettings = parseUsageSettings(env, Deno.build.os);
  const priceOf = options.priceOf ?? registryPrices(config, registry);
  const usage = openUsage(usageSettings, { priceOf, redact });
  const usageHook = await withTelemetry(env, usage.recorder.record, {
    priceOf,
    backends: config.backends,
    redact,
  });
  const cutoff = new AbortController();
  const closing = new AbortController();
  const app = createApp({
    backend,
    apiKey: config.apiKey,
    log: createLogger(config.logFormat, redact),
    usage: usageHook,
    redact,
    tokenCounter: createTokenCounter(config.limits),
    limits: config.limits,
    cutoff: cutoff.signal,
    live: { usage: usage.recorder, setup: liveSetup(config), closing: closing.signal },
  });
  return {
    fetch: async (request) => await app.fetch(request),
    backend,
    config,
    abortInFlight: () =>
      cutoff.abort(new RelayError("overloaded_error", "relayx is shutting down; retry the request")),
    usage,
    closeLive: () => closing.abort(),
  };
}

async function serve(): Promise<void> {
  let relay: Relay;
  try {
    const env = Deno.env.toObject();
    const command = parseCommandLine(Deno.args, env, denoFiles, VERSION);
    if (command.kind === "usage") {
      const code = runUsage(command.options, parseUsageSettings(env, Deno.build.os));
      if (code !== 0) Deno.exit(code);
      return;
    }
    if (command.kind !== "serve") {
      console.log(command.text);
      return;
    }
    relay = await createRelay(env, command.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`relayx: configuration error: ${err.message}`);
      Deno.exit(1);
    }
    throw err;
  }
  const { config, backend } = relay;
  const upstream = await backend.describe();
  // One full collection whenever relayx falls idle (under `--v8-flags=--expose-gc`, as the tasks run it).
  const idle = collectWhenIdle(relay.fetch);
  const server = serveRelay(idle.fetch, { hostname: config.host, port: config.port, limits: config.limits });
  const { hostname, port } = server.addr;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const url = `http://${host}:${port}`;
  const guard = server.guarded ? " | connection guard on" : "";
  // The provider only: a URL may carry credentials.
  const search = config.webSearch ? ` | web search ${config.webSearch.provider}` : "";
  const usage = usageLine(relay.usage.storage);
  if (backend.kind === "router") {
    // Several backends: one line each, then each route, where usage goes, then the line to paste.
    console.log(
      `relayx listening on ${url}${guard}${search}\n${upstream}\n${usage}\nexport ANTHROPIC_BASE_URL=${url}`,
    );
  } else {
    console.log(
      `relayx listening on ${url} | backend ${backend.kind} | ${upstream}${guard}${search} | export ANTHROPIC_BASE_URL=${url}`,
    );
    console.log(usage);
  }
  if (!isLoopbackHost(config.host) && config.limits.allowedHosts.length === 0) {
    console.error(
      // Two lines, so that neither is wider than a terminal.
      "relayx: note: only loopback names are accepted in Host;\n" +
        `relayx: note: list the names clients use for ${config.host} in RELAYX_ALLOWED_HOSTS`,
    );
  }
  onShutdownSignals({
    stopping: relay.closeLive,
    drain: server.shutdown,
    cutoff: relay.abortInFlight,
    shutdownMs: config.limits.shutdownMs,
  });
}

if (import.meta.main) await serve();
