/**
 * Tavily's search API: `POST {url}/search` with `Authorization: Bearer <key>` and a JSON body (`query`,
 * `max_results`, `include_domains`, `exclude_domains`); results in `results[]` (`url`, `title`,
 * `content`, `published_date`). Tavily filters domains itself; relayx checks them again, and strips
 * tags and entities from the text as it does for the other services.
 *
 * @module
 */
import { rec, str } from "../translate/_json.ts";
import { fetchJson } from "./_http.ts";
import {
  filterHits,
  plainText,
  type SearchHit,
  type SearchOptions,
  type SearchOutcome,
  type SearchProvider,
} from "./search_provider.ts";

/** Tavily's API base URL. */
export const TAVILY_URL = "https://api.tavily.com";

/** Tavily's settings. */
export interface TavilyOptions {
  /** The API key (`tvly-...`). */
  apiKey: string;
  /** The API's base URL (default {@linkcode TAVILY_URL}). */
  url?: string;
  /** The fetch to use (tests inject one). */
  fetch?: typeof fetch;
}

function hits(results: unknown): SearchHit[] {
  if (!Array.isArray(results)) return [];
  const out: SearchHit[] = [];
  for (const r of results) {
    const item = rec(r);
    const url = str(item?.url);
    if (!item || !url) continue;
    const pageAge = str(item.published_date);
    out.push({
      url,
      // Tavily's content is scraped page text that can still hold tags and entities.
      title: plainText(str(item.title) ?? url),
      text: plainText(str(item.content) ?? ""),
      ...(pageAge ? { pageAge } : {}),
    });
  }
  return out;
}

/**
 * Tavily as a search provider.
 *
 * @example
 * ```ts
 * const tavily = tavilyProvider({ apiKey: Deno.env.get("WEB_SEARCH_API_KEY") ?? "" });
 * const outcome = await tavily.search("deno 2", { count: 5, signal: AbortSignal.timeout(10_000) });
 * if (!outcome.ok) console.log(outcome.code);
 * ```
 */
export function tavilyProvider(options: TavilyOptions): SearchProvider {
  const base = (options.url ?? TAVILY_URL).replace(/\/+$/, "");
  return {
    name: "tavily",
    async search(query: string, opts: SearchOptions): Promise<SearchOutcome> {
      // Tavily takes at most 20 results.
      const body: Record<string, unknown> = { query, max_results: Math.min(opts.count, 20) };
      if (opts.allowedDomains?.length) body.include_domains = opts.allowedDomains;
      if (opts.blockedDomains?.length) body.exclude_domains = opts.blockedDomains;
      const answer = await fetchJson(options.fetch ?? fetch, "Tavily", `${base}/search`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${options.apiKey}` },
        body: JSON.stringify(body),
        signal: opts.signal,
      });
      if (!answer.ok) return answer.outcome;
      return { ok: true, hits: filterHits(hits(answer.body.results), opts).slice(0, opts.count) };
    },
  };
}
