/**
 * Brave Search's web search API: `GET {url}/res/v1/web/search?q=...&count=N` with the key in
 * `X-Subscription-Token`; results in `web.results[]` (`url`, `title`, `description` with `<strong>`
 * marks, `page_age`). The user's country goes as `country`; relayx applies the domain filters.
 *
 * @module
 */
import { rec, str } from "../translate/_json.ts";
import { fetchJson } from "./_http.ts";
import {
  filterHits,
  plainText,
  scopedQuery,
  type SearchHit,
  type SearchOptions,
  type SearchOutcome,
  type SearchProvider,
} from "./search_provider.ts";

/** Brave's API base URL. */
export const BRAVE_URL = "https://api.search.brave.com";

/** Brave Search's settings. */
export interface BraveOptions {
  /** The subscription token. */
  apiKey: string;
  /** The API's base URL (default {@linkcode BRAVE_URL}). */
  url?: string;
  /** The fetch to use (tests inject one). */
  fetch?: typeof fetch;
}

function hits(body: Record<string, unknown>): SearchHit[] {
  const results = rec(body.web)?.results;
  if (!Array.isArray(results)) return [];
  const out: SearchHit[] = [];
  for (const r of results) {
    const item = rec(r);
    const url = str(item?.url);
    if (!item || !url) continue;
    const extra = Array.isArray(item.extra_snippets)
      ? item.extra_snippets.filter((s) => typeof s === "string")
      : [];
    const pageAge = str(item.page_age) ?? str(item.age);
    out.push({
      url,
      title: plainText(str(item.title) ?? url),
      text: plainText([str(item.description) ?? "", ...extra].join("\n")),
      ...(pageAge ? { pageAge } : {}),
    });
  }
  return out;
}

/**
 * Brave Search as a search provider.
 *
 * @example
 * ```ts
 * const brave = braveProvider({ apiKey: Deno.env.get("WEB_SEARCH_API_KEY") ?? "" });
 * const outcome = await brave.search("deno 2", { count: 5, signal: AbortSignal.timeout(10_000) });
 * if (!outcome.ok) console.log(outcome.code);
 * ```
 */
export function braveProvider(options: BraveOptions): SearchProvider {
  const base = (options.url ?? BRAVE_URL).replace(/\/+$/, "");
  return {
    name: "brave",
    async search(query: string, opts: SearchOptions): Promise<SearchOutcome> {
      // Brave takes at most 20 results a page.
      const params = new URLSearchParams({
        q: scopedQuery(query, opts.allowedDomains),
        count: String(Math.min(opts.count, 20)),
      });
      const country = opts.userLocation?.country;
      if (country && /^[A-Za-z]{2}$/.test(country)) params.set("country", country.toUpperCase());
      const answer = await fetchJson(
        options.fetch ?? fetch,
        "Brave Search",
        `${base}/res/v1/web/search?${params}`,
        {
          headers: { accept: "application/json", "x-subscription-token": options.apiKey },
          signal: opts.signal,
        },
      );
      if (!answer.ok) return answer.outcome;
      return { ok: true, hits: filterHits(hits(answer.body), opts).slice(0, opts.count) };
    },
  };
}
