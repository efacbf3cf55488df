/**
 * The configured backends and routes as the live page shows them: names, kinds, models and upstream
 * hosts, never a key, a URL's credentials, path or query.
 *
 * @module
 */
import type { BackendConfig, Config, RouteConfig } from "../config.ts";

/** One configured backend. */
export interface LiveBackend {
  /** Its name in the configuration. */
  name: string;
  /** `openai_compatible`, `bedrock` or `anthropic`. */
  kind: BackendConfig["kind"];
  /** The provider, region or host it reaches (no credentials). */
  where: string;
  /** Its default model, when one is set. */
  model?: string;
}

/** One route. */
export interface LiveRoute {
  /** Its name. */
  name: string;
  /** Its conditions in words (`every request` without any). */
  match: string;
  /** The targets in the order tried (`NAME` or `NAME/MODEL`). */
  to: string[];
}

/** What the live page shows of the configuration. */
export interface LiveSetup {
  /** The backends. */
  backends: LiveBackend[];
  /** The routes, in the order they are matched. */
  routes: LiveRoute[];
}

// The host and port only: a base URL may carry a user and password, or a key in its query.
function _host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "?";
  }
}

function _backend(name: string, b: BackendConfig): LiveBackend {
  switch (b.kind) {
    case "openai_compatible":
      return { name, kind: b.kind, where: `${b.provider} at ${_host(b.baseUrl)}`, model: b.model };
    case "bedrock": {
      const backend: LiveBackend = { name, kind: b.kind, where: `AWS ${b.region}` };
      if (b.modelId !== undefined) backend.model = b.modelId;
      return backend;
    }
    case "anthropic": {
      const backend: LiveBackend = { name, kind: b.kind, where: _host(b.baseUrl) };
      if (b.model !== undefined) backend.model = b.model;
      return backend;
    }
    default: {
      const never: never = b;
      return never;
    }
  }
}

function _match(route: RouteConfig): string {
  const m = route.match;
  const parts: string[] = [];
  if (m.model) parts.push(`model ${m.model.join(" | ")}`);
  if (m.thinking !== undefined) parts.push(m.thinking ? "thinking" : "no thinking");
  if (m.inputTokensOver !== undefined) parts.push(`input > ${m.inputTokensOver} tokens`);
  if (m.images !== undefined) parts.push(m.images ? "images" : "no images");
  if (m.tools !== undefined) parts.push(`tool ${m.tools}`);
  return parts.length ? parts.join(", ") : "every request";
}

/**
 * The page's view of a configuration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const setup = liveSetup({
 *   backends: {
 *     local: {
 *       kind: "openai_compatible", apiKey: "sk-secret", baseUrl: "http://user:pw@localhost:11434/v1",
 *       model: "qwen3-coder", smallModel: "qwen3-coder", provider: "ollama",
 *     },
 *   },
 *   routes: [{ name: "routes[0]", match: {}, to: [{ backend: "local" }] }],
 * });
 * assert.deepEqual(setup.backends[0], {
 *   name: "local", kind: "openai_compatible", where: "ollama at localhost:11434", model: "qwen3-coder",
 * });
 * assert.deepEqual(setup.routes[0], { name: "routes[0]", match: "every request", to: ["local"] });
 * ```
 */
export function liveSetup(config: Pick<Config, "backends" | "routes">): LiveSetup {
  return {
    backends: Object.entries(config.backends).map(([name, b]) => _backend(name, b)),
    routes: config.routes.map((route) => ({
      name: route.name,
      match: _match(route),
      to: route.to.map((t) => t.model === undefined ? t.backend : `${t.backend}/${t.model}`),
    })),
  };
}
