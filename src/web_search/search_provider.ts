/**
 * The search providers relayx runs Anthropic's `web_search` server tool with: one small interface, the
 * settings that choose one, and what every provider shares (the failure codes Anthropic's
 * `web_search_tool_result_error` carries, domain filters). Each provider is one module beside this one;
 * they are the only code here that does I/O, through an injected fetch.
 *
 * @module
 */

/** The `error_code` of Anthropic's `web_search_tool_result_error`. */
export type WebSearchErrorCode =
  | "too_many_requests"
  | "invalid_input"
  | "max_uses_exceeded"
  | "query_too_long"
  | "unavailable";

/** The search services relayx can use. */
export type SearchProviderName = "searxng" | "brave" | "tavily";

/** Every provider name, for the settings' checks and `--help`. */
export const SEARCH_PROVIDERS: readonly SearchProviderName[] = ["searxng", "brave", "tavily"];

/** Which search service relayx uses (`WEB_SEARCH_*`, or `"webSearch"` in the configuration file). */
export interface WebSearchConfig {
  /** The service. */
  provider: SearchProviderName;
  /** Its base URL: required for SearXNG (self-hosted), an override for the others. */
  url?: string;
  /** Its key (Brave, Tavily); never logged. */
  apiKey?: string;
}

/** Anthropic's `user_location` of a web search tool. */
export interface UserLocation {
  /** The city. */
  city?: string;
  /** The region or state. */
  region?: string;
  /** The ISO 3166-1 alpha-2 country code. */
  country?: string;
  /** The IANA time zone. */
  timezone?: string;
}

/** One search result. */
export interface SearchHit {
  /** The page's URL. */
  url: string;
  /** The page's title. */
  title: string;
  /** What the service says of the page (a snippet, or extracted text). */
  text: string;
  /** When the page was published or last changed, as the service says it (free text), if it does. */
  pageAge?: string;
}

/** What a search takes besides its query. */
export interface SearchOptions {
  /** How many results at most. */
  count: number;
  /** Only results from these domains (and their subdomains). */
  allowedDomains?: readonly string[];
  /** No results from these domains (and their subdomains). */
  blockedDomains?: readonly string[];
  /** Where the user is, for services that localise results. */
  userLocation?: UserLocation;
  /** Aborts the search (the client left). */
  signal: AbortSignal;
}

/** A search's results, or why there are none. */
export type SearchOutcome =
  | { ok: true; hits: SearchHit[] }
  | { ok: false; code: WebSearchErrorCode; detail: string };

/** A search service. */
export interface SearchProvider {
  /** Its name, for logs. */
  readonly name: SearchProviderName;
  /**
   * Runs one search. A failure of the service is an outcome, never a throw; an aborted signal rejects
   * with its reason.
   */
  search(query: string, options: SearchOptions): Promise<SearchOutcome>;
}

/**
 * The error code for a search service's HTTP status: 429 (and Tavily's plan limits, 432/433) is
 * `too_many_requests`, a 400 or 422 `invalid_input`, anything else (a bad key, a server error)
 * `unavailable`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(errorCodeForStatus(429), "too_many_requests");
 * assert.equal(errorCodeForStatus(401), "unavailable");
 * ```
 */
export function errorCodeForStatus(status: number): WebSearchErrorCode {
  if (status === 429 || status === 432 || status === 433) return "too_many_requests";
  if (status === 400 || status === 422) return "invalid_input";
  return "unavailable";
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

// "example.com" matches example.com and docs.example.com; a domain may be written with a scheme or path.
function matches(host: string, domain: string): boolean {
  const d = (hostOf(domain.includes("://") ? domain : `https://${domain}`) ?? domain).replace(/^www\./, "");
  const h = host.replace(/^www\./, "");
  return h === d || h.endsWith(`.${d}`);
}

/**
 * The hits the domain filters let through, in order: with `allowedDomains`, only pages on one of them;
 * never a page on one of `blockedDomains`. Services that filter by themselves get the same check, so that
 * the filters hold whatever the service does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const hits = [
 *   { url: "https://docs.deno.com/runtime", title: "Deno", text: "" },
 *   { url: "https://example.org/", title: "Example", text: "" },
 * ];
 * assert.deepEqual(filterHits(hits, { allowedDomains: ["deno.com"] }).map((h) => h.title), ["Deno"]);
 * assert.deepEqual(filterHits(hits, { blockedDomains: ["deno.com"] }).map((h) => h.title), ["Example"]);
 * ```
 */
export function filterHits(
  hits: readonly SearchHit[],
  filters: Pick<SearchOptions, "allowedDomains" | "blockedDomains">,
): SearchHit[] {
  const allowed = filters.allowedDomains ?? [];
  const blocked = filters.blockedDomains ?? [];
  return hits.filter((hit) => {
    const host = hostOf(hit.url);
    if (host === undefined) return false;
    if (allowed.length > 0 && !allowed.some((d) => matches(host, d))) return false;
    return !blocked.some((d) => matches(host, d));
  });
}

/**
 * The query a search engine gets: with exactly one allowed domain, `site:` scopes it there, so that the
 * results are not mostly filtered away afterwards (SearXNG's engines and Brave take the operator).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(scopedQuery("deno 2", ["deno.com"]), "deno 2 site:deno.com");
 * assert.equal(scopedQuery("deno 2", ["deno.com", "jsr.io"]), "deno 2");
 * ```
 */
export function scopedQuery(query: string, allowedDomains: readonly string[] | undefined): string {
  const only = allowedDomains?.length === 1 ? allowedDomains[0] : undefined;
  const host = only && (hostOf(only.includes("://") ? only : `https://${only}`) ?? only);
  return host ? `${query} site:${host}` : query;
}

/** Plain text from a snippet that may hold HTML tags and entities (Brave marks matches with `<strong>`). */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .trim();
}

/**
 * The outcome of a search service's HTTP answer that is not a success, naming the status only (a
 * service's body may echo the key).
 */
export function failedAnswer(service: string, status: number): SearchOutcome {
  return { ok: false, code: errorCodeForStatus(status), detail: `${service} answered ${status}` };
}

/** The outcome of a search that could not reach its service; rethrows when the signal aborted it. */
export function unreachable(service: string, err: unknown, signal: AbortSignal): SearchOutcome {
  if (signal.aborted) throw signal.reason;
  const name = err instanceof Error ? err.name : "Error";
  return { ok: false, code: "unavailable", detail: `${service} could not be reached (${name})` };
}
