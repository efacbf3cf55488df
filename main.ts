/**
 * relayx: an Anthropic Messages API server in front of AWS Bedrock and OpenAI-compatible backends, so that
 * Claude Code and every Anthropic SDK client run on other models.
 *
 * Run it with `deno run --allow-net --allow-env jsr:@relayx/server`, then
 * `export ANTHROPIC_BASE_URL=http://127.0.0.1:8082`. Importing this module starts nothing.
 *
 * @example
 * ```ts
 * import { createRelay } from "@relayx/server";
 * const relay = await createRelay({ LLM_BACKEND: "openai_compatible", OPENAI_BASE_URL: "http://localhost:11434/v1" });
 * Deno.serve(relay.fetch);
 * ```
 *
 * @module
 */
import { createApp } from "./src/app.ts";
import type { Backend } from "./src/backends/backend.ts";
import { type Config, ConfigError, parseConfig } from "./src/config.ts";
import { createLogger } from "./src/log.ts";

export { createApp } from "./src/app.ts";
export type { AppDeps } from "./src/app.ts";
export { type Config, ConfigError, parseConfig } from "./src/config.ts";
export type { Backend, CallContext, IdSource, ModelInfo } from "./src/backends/backend.ts";

/** A configured relayx: its request handler, backend and configuration. */
export interface Relay {
  /** Handles one HTTP request. */
  fetch: (request: Request) => Promise<Response>;
  /** The backend requests go to. */
  backend: Backend;
  /** The parsed configuration. */
  config: Config;
}

async function createBackend(config: Config): Promise<Backend> {
  const b = config.backend;
  switch (b.kind) {
    case "openai_compatible": {
      // Each backend's SDK is loaded only when it is the one configured (the openai SDK alone is ~27 MB).
      const { createOpenAIBackend } = await import("./src/backends/openai.ts");
      return createOpenAIBackend(b);
    }
    case "bedrock": {
      const { createBedrockBackend } = await import("./src/backends/bedrock/bedrock_backend.ts");
      return createBedrockBackend(b);
    }
    default: {
      const never: never = b;
      return never;
    }
  }
}

/**
 * Builds relayx from environment variables (see the README for the names).
 *
 * @throws {ConfigError} naming the variable that is wrong.
 */
export async function createRelay(env: Record<string, string | undefined>): Promise<Relay> {
  const config = parseConfig(env);
  const backend = await createBackend(config);
  const app = createApp({ backend, apiKey: config.apiKey, log: createLogger(config.logFormat) });
  return { fetch: async (request) => await app.fetch(request), backend, config };
}

let lazy: Promise<Relay> | undefined;

/** For `deno serve --parallel main.ts`: builds relayx from the environment on the first request. */
const serveExport: Deno.ServeDefaultExport = {
  fetch(request: Request): Promise<Response> {
    lazy ??= createRelay(Deno.env.toObject());
    return lazy.then((relay) => relay.fetch(request));
  },
};
export default serveExport;

async function serve(): Promise<void> {
  let relay: Relay;
  try {
    relay = await createRelay(Deno.env.toObject());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`relayx: configuration error: ${err.message}`);
      Deno.exit(1);
    }
    throw err;
  }
  const { config, backend } = relay;
  const upstream = await backend.describe();
  Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen({ hostname, port }) {
      const host = hostname.includes(":") ? `[${hostname}]` : hostname;
      const url = `http://${host}:${port}`;
      console.log(
        `relayx listening on ${url} | backend ${backend.kind} | ${upstream} | export ANTHROPIC_BASE_URL=${url}`,
      );
    },
  }, relay.fetch);
}

/**
 * `deno serve` evaluates this module as its main module too (`import.meta.main` is true there), then
 * starts its own server for the default export by calling `Deno.serve`. Watching for that call until the
 * next task tells the two apart, so that `deno serve --parallel main.ts` does not also try to bind
 * relayx's port in every worker.
 */
function startedByDenoServe(): Promise<boolean> {
  const deno = Deno as unknown as { serve: unknown };
  const original = deno.serve;
  let called = false;
  const spy = function (this: unknown, ...args: unknown[]): unknown {
    called = true;
    return Reflect.apply(original as (...a: unknown[]) => unknown, this, args);
  };
  deno.serve = spy;
  return new Promise((resolve) =>
    setTimeout(() => {
      if (deno.serve === spy) deno.serve = original;
      resolve(called);
    }, 0)
  );
}

// Not awaited: `deno serve` registers its server only once this module has finished evaluating.
if (import.meta.main) startedByDenoServe().then((declarative) => declarative ? undefined : serve());
