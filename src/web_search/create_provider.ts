/**
 * The search provider the settings name.
 *
 * @module
 */
import { abortableFetch } from "../backends/abortable_fetch.ts";
import { braveProvider } from "./brave.ts";
import type { SearchProvider, WebSearchConfig } from "./search_provider.ts";
import { searxngProvider } from "./searxng.ts";
import { tavilyProvider } from "./tavily.ts";

/**
 * Builds the provider a {@linkcode WebSearchConfig} names (the settings were checked when parsed).
 *
 * @example
 * ```ts
 * const provider = createSearchProvider({ provider: "searxng", url: "http://127.0.0.1:8888" });
 * console.log(provider.name); // "searxng"
 * ```
 */
export function createSearchProvider(config: WebSearchConfig, fetcher?: typeof fetch): SearchProvider {
  const send = abortableFetch(fetcher);
  switch (config.provider) {
    case "searxng":
      return searxngProvider({ url: config.url ?? "http://127.0.0.1:8888", fetch: send });
    case "brave":
      return braveProvider({ apiKey: config.apiKey ?? "", url: config.url, fetch: send });
    case "tavily":
      return tavilyProvider({ apiKey: config.apiKey ?? "", url: config.url, fetch: send });
    default: {
      const never: never = config.provider;
      throw new Error(`Unknown search provider: ${String(never)}`);
    }
  }
}
