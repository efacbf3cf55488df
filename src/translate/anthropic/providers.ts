/**
 * The servers that speak Anthropic's Messages format, and what each of them takes. Anthropic itself
 * takes everything Claude Code sends; the others (DeepSeek's, z.ai's and Moonshot's `/anthropic`
 * endpoints, Ollama, LM Studio, llama.cpp's server, vLLM, SGLang) implement the core of the format and
 * reject, or worse silently misread, beta flags and the newer body fields. The profile says what to drop.
 *
 * @module
 */
import type { ModelHints } from "../../models/model_spec.ts";

/** The Anthropic-format upstreams relayx knows. */
export type AnthropicProviderName =
  | "anthropic"
  | "deepseek"
  | "zai"
  | "moonshot"
  | "ollama"
  | "lmstudio"
  | "llamacpp"
  | "vllm"
  | "generic";

/** What one Anthropic-format upstream takes. */
export interface AnthropicProviderProfile {
  /** The provider's name (logs, the banner). */
  readonly name: AnthropicProviderName;
  /**
   * Runs Anthropic's server-side features: server tools, tool search (deferred tools, `tool_reference`),
   * MCP connectors, mid-conversation system messages. Without them, the request is prepared as for any
   * other backend (`translate/prepare.ts`).
   */
  readonly serverFeatures: boolean;
  /** Takes `anthropic-beta` flags (all the client sends); otherwise every flag is dropped. */
  readonly betas: boolean;
  /** Takes `output_config` (effort, structured output), top-level `cache_control` and `service_tier`. */
  readonly newerFields: boolean;
  /** Has `POST /v1/messages/count_tokens`. */
  readonly countTokens: boolean;
  /** Has `GET /v1/models` in Anthropic's shape. */
  readonly models: boolean;
  /** Sends the key as `x-api-key` only; the others get `Authorization: Bearer` as well. */
  readonly xApiKeyOnly: boolean;
  /**
   * Takes only tool ids of `[a-zA-Z0-9_-]`: ids another upstream made (Kimi's `functions.Bash:0`) are
   * aliased. The others take the ids they made themselves, which go back unchanged.
   */
  readonly strictToolIds: boolean;
}

function thirdParty(name: AnthropicProviderName): AnthropicProviderProfile {
  return {
    name,
    serverFeatures: false,
    betas: false,
    newerFields: false,
    countTokens: false,
    models: false,
    xApiKeyOnly: false,
    strictToolIds: false,
  };
}

/** Every provider's profile. */
export const ANTHROPIC_PROVIDERS: Readonly<Record<AnthropicProviderName, AnthropicProviderProfile>> = {
  anthropic: {
    name: "anthropic",
    serverFeatures: true,
    betas: true,
    newerFields: true,
    countTokens: true,
    models: true,
    xApiKeyOnly: true,
    strictToolIds: true,
  },
  deepseek: thirdParty("deepseek"),
  zai: thirdParty("zai"),
  moonshot: thirdParty("moonshot"),
  ollama: thirdParty("ollama"),
  lmstudio: thirdParty("lmstudio"),
  llamacpp: thirdParty("llamacpp"),
  vllm: thirdParty("vllm"),
  generic: thirdParty("generic"),
};

// Local servers are told apart by their default ports only; any other local port is `generic`, which
// takes the same as they do.
const PORTS: Readonly<Record<string, AnthropicProviderName>> = {
  "11434": "ollama",
  "1234": "lmstudio",
  "8080": "llamacpp",
  "8000": "vllm",
};

/**
 * The provider a base URL belongs to, by its host (and, for local servers, their default port).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(detectAnthropicProvider("https://api.anthropic.com"), "anthropic");
 * assert.equal(detectAnthropicProvider("https://api.z.ai/api/anthropic"), "zai");
 * assert.equal(detectAnthropicProvider("http://localhost:11434"), "ollama");
 * assert.equal(detectAnthropicProvider("http://127.0.0.1:9999"), "generic");
 * ```
 */
export function detectAnthropicProvider(baseUrl: string): AnthropicProviderName {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return "generic";
  }
  const host = url.hostname.toLowerCase();
  if (host === "anthropic.com" || host.endsWith(".anthropic.com")) return "anthropic";
  if (host.endsWith("deepseek.com")) return "deepseek";
  if (host.endsWith("z.ai") || host.endsWith("bigmodel.cn")) return "zai";
  if (host.includes("moonshot")) return "moonshot";
  return PORTS[url.port] ?? "generic";
}

/**
 * Who runs Anthropic's web search tool for an Anthropic-format backend: its own setting, else the upstream
 * where it is Anthropic (which runs server tools) and relayx everywhere else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(anthropicSearchMode({ baseUrl: "https://api.anthropic.com" }), "upstream");
 * assert.equal(anthropicSearchMode({ baseUrl: "https://api.z.ai/api/anthropic" }), "relayx");
 * ```
 */
export function anthropicSearchMode(
  backend: { baseUrl: string; webSearch?: "relayx" | "upstream" },
): "relayx" | "upstream" {
  if (backend.webSearch) return backend.webSearch;
  return ANTHROPIC_PROVIDERS[detectAnthropicProvider(backend.baseUrl)].serverFeatures ? "upstream" : "relayx";
}

/**
 * How the model registry reads an Anthropic-format provider's models: local servers as such, the rest by
 * their catalogue.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(anthropicModelHints("llamacpp"), { provider: "vllm" });
 * assert.deepEqual(anthropicModelHints("zai"), { provider: "anthropic" });
 * ```
 */
export function anthropicModelHints(provider: AnthropicProviderName): ModelHints {
  switch (provider) {
    case "ollama":
    case "lmstudio":
    case "vllm":
    case "deepseek":
    case "generic":
      return { provider };
    case "llamacpp":
      return { provider: "vllm" };
    case "anthropic":
    case "zai":
    case "moonshot":
      return { provider: "anthropic" };
    default: {
      const never: never = provider;
      return never;
    }
  }
}
