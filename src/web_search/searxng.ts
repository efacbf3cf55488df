/**
 * SearXNG, the self-hosted open-source metasearch engine: `GET {url}/search?q=...&format=json`. The
 * instance must allow the JSON format (`search.formats` in its `settings.yml`); otherwise it answers 403,
 * which relayx reports as `unavailable`. SearXNG filters no domains itself: relayx does.
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

/** Where the SearXNG instance is. */
export interface SearxngOptions {
  /** The instance's base URL, before `/search`. */
  url: string;
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
    const pageAge = str(item.publishedDate) ?? str(item.pubdate);
    out.push({
      url,
      title: plainText(str(item.title) ?? url),
      text: plainText(str(item.content) ?? ""),
      ...(pageAge ? { pageAge } : {}),
    });
  }
  return out;
}

/**
 * A SearXNG instance as a search provider.
 *
 * @example
 * ```ts
 * const searxng = searxngProvider({ url: "http://127.0.0.1:8888" });
 * const outcome = await searxng.search("deno 2", { count: 5, signal: AbortSignal.timeout(10_000) });
 * if (outcome.ok) console.log(outcome.hits.map((h) => h.url));
 * ```
 */
export function searxngProvider(options: SearxngOptions): SearchProvider {
  const base = options.url.replace(/\/+$/, "");
  return {
    name: "searxng",
    async search(query: string, opts: SearchOptions): Promise<SearchOutcome> {
      const params = new URLSearchParams({ q: scopedQuery(query, opts.allowedDomains), format: "json" });
      const answer = await fetchJson(options.fetch ?? fetch, "SearXNG", `${base}/search?${params}`, {
        headers: { accept: "application/json" },
        signal: opts.signal,
      });
      if (!answer.ok) return answer.outcome;
      return { ok: true, hits: filterHits(hits(answer.body.results), opts).slice(0, opts.count) };
    },
  };
}
