/**
 * Anthropic's `web_search` server tool as relayx runs it: the tool's settings read from the request, the
 * ordinary function tool the upstream model sees in its place, the text a search's results become for
 * that model, and the `web_search_tool_result` blocks the client gets, whose `encrypted_content` is
 * relayx's own token carrying the page text (so that a later turn that sends the block back can be read).
 * Pure.
 *
 * @module
 */
import type {
  CustomTool,
  ServerTool,
  Tool,
  ToolChoice,
  WebSearchResult,
  WebSearchToolResultBlock,
  WebSearchToolResultError,
} from "../anthropic/types.ts";
import { base64UrlToText, textToBase64Url } from "../translate/_encoding.ts";
import { isRecord } from "../translate/_json.ts";
import type { SearchHit, SearchOutcome, UserLocation, WebSearchErrorCode } from "./search_provider.ts";

/** The `web_search_*` tool of a request, as relayx runs it. */
export interface WebSearchSpec {
  /** The tool as the client sent it (an Anthropic upstream that runs it gets it back unchanged). */
  tool: Tool;
  /** The name the model calls it by (`web_search`). */
  name: string;
  /**
   * The request's `tool_choice` when it named the tool (relayx's stand-in makes it `any`; an upstream
   * that runs the tool gets it back).
   */
  toolChoice?: ToolChoice;
  /** Searches allowed in one answer (`max_uses`); relayx allows 8 when absent. */
  maxUses?: number;
  /** `allowed_domains`. */
  allowedDomains?: string[];
  /** `blocked_domains`. */
  blockedDomains?: string[];
  /** `user_location`. */
  userLocation?: UserLocation;
}

/** True for Anthropic's web search server tool (`web_search_20250305` and later versions). */
export function isWebSearchTool(tool: Tool): tool is ServerTool {
  return typeof tool.type === "string" && /^web_search_\d+$/.test(tool.type);
}

function strings(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out = value.filter((v): v is string => typeof v === "string" && v.trim() !== "");
  return out.length > 0 ? out : undefined;
}

function location(value: unknown): UserLocation | undefined {
  if (!isRecord(value)) return undefined;
  const out: UserLocation = {};
  for (const key of ["city", "region", "country", "timezone"] as const) {
    const v = value[key];
    if (typeof v === "string" && v.trim() !== "") out[key] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The request's web search tool, if it has one, with the request's `tool_choice` when that names it;
 * its settings are read leniently (a wrong one is ignored, as the tool's other unknown fields are).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const spec = webSearchSpec([{ type: "web_search_20250305", name: "web_search", max_uses: 8 }]);
 * assert.equal(spec?.maxUses, 8);
 * assert.equal(webSearchSpec([{ name: "Bash", input_schema: { type: "object" } }]), undefined);
 * const forced = webSearchSpec(spec ? [spec.tool] : [], { type: "tool", name: "web_search" });
 * assert.deepEqual(forced?.toolChoice, { type: "tool", name: "web_search" });
 * ```
 */
export function webSearchSpec(
  tools: readonly Tool[] | undefined,
  toolChoice?: ToolChoice,
): WebSearchSpec | undefined {
  const tool = tools?.find(isWebSearchTool);
  if (!tool) return undefined;
  const raw = tool;
  const maxUses = typeof raw.max_uses === "number" && Number.isInteger(raw.max_uses) && raw.max_uses > 0
    ? raw.max_uses
    : undefined;
  const spec: WebSearchSpec = { tool, name: tool.name };
  if (toolChoice?.type === "tool" && toolChoice.name === tool.name) spec.toolChoice = toolChoice;
  if (maxUses !== undefined) spec.maxUses = maxUses;
  const allowed = strings(raw.allowed_domains);
  if (allowed) spec.allowedDomains = allowed;
  const blocked = strings(raw.blocked_domains);
  if (blocked) spec.blockedDomains = blocked;
  const where = location(raw.user_location);
  if (where) spec.userLocation = where;
  return spec;
}

/**
 * The request without its web search tool, which relayx runs itself: a `tool_choice` naming it becomes
 * `any` (the function tool that replaces it is the one tool the model must call then).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const request = {
 *   messages: [],
 *   tools: [{ type: "web_search_20250305", name: "web_search" }],
 *   tool_choice: { type: "tool" as const, name: "web_search" },
 * };
 * const spec = webSearchSpec(request.tools)!;
 * assert.deepEqual(withoutSearchTool(request, spec), { messages: [], tools: [], tool_choice: { type: "any" } });
 * ```
 */
export function withoutSearchTool<T extends { tools?: Tool[]; tool_choice?: ToolChoice }>(
  request: T,
  spec: WebSearchSpec,
): T {
  const choice = request.tool_choice;
  return {
    ...request,
    tools: request.tools?.filter((t) => t !== spec.tool),
    ...(choice?.type === "tool" && choice.name === spec.name ? { tool_choice: { type: "any" } } : {}),
  };
}

/**
 * The function tool the upstream model sees in place of the server tool: same name, one `query` argument.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const spec = webSearchSpec([{ type: "web_search_20250305", name: "web_search" }])!;
 * assert.deepEqual(searchFunctionTool(spec).input_schema.required, ["query"]);
 * ```
 */
export function searchFunctionTool(
  spec: WebSearchSpec,
): CustomTool & { input_schema: { required: string[] } } {
  const scope = spec.allowedDomains
    ? ` Only these sites are searched: ${spec.allowedDomains.join(", ")}.`
    : "";
  return {
    name: spec.name,
    description: "Search the web for current information. Returns the titles, URLs and text of the pages " +
      `found; cite the URLs you use in your answer.${scope}`,
    input_schema: {
      type: "object",
      properties: { query: { type: "string", description: "The search query" } },
      required: ["query"],
    },
  };
}

/** The longest query relayx searches for; a longer one is `query_too_long`. */
export const MAX_QUERY_CHARS = 400;

/** The query of a search call's input, or the error code of a call without a usable one. */
export function queryOf(input: unknown): { query: string } | { code: WebSearchErrorCode; query: string } {
  const query = isRecord(input) && typeof input.query === "string" ? input.query.trim() : "";
  if (query === "") return { code: "invalid_input", query };
  if (query.length > MAX_QUERY_CHARS) return { code: "query_too_long", query };
  return { query };
}

const TOKEN_PREFIX = "rxws1.";
// Page text kept per result: enough for the model, small enough that eight results stay a few thousand
// tokens.
const MAX_TEXT_CHARS = 2_000;

/**
 * True for an `encrypted_content` relayx made (an upstream that runs the search itself cannot read it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(isRelayxToken(encodeResultContent({ url: "https://deno.com", title: "Deno", text: "" })), true);
 * assert.equal(isRelayxToken("EqcBCkgIBxgCIkBvb3"), false);
 * ```
 */
export function isRelayxToken(token: string): boolean {
  return token.startsWith(TOKEN_PREFIX);
}

/**
 * The `encrypted_content` of a result: relayx's own token (`rxws1.` and base64url JSON), carrying the
 * page's text so that {@linkcode decodeResultContent} can give it back in a later turn.
 */
export function encodeResultContent(hit: SearchHit): string {
  return TOKEN_PREFIX + textToBase64Url(JSON.stringify({ t: hit.text.slice(0, MAX_TEXT_CHARS) }));
}

/**
 * The page text inside an `encrypted_content`, or undefined for a token relayx did not make (Anthropic's
 * own are encrypted and unreadable).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const token = encodeResultContent({ url: "https://deno.com", title: "Deno", text: "Deno 2 is out" });
 * assert.equal(decodeResultContent(token), "Deno 2 is out");
 * assert.equal(decodeResultContent("EqcBCkgIBxgCIkBvb3"), undefined);
 * ```
 */
export function decodeResultContent(token: string): string | undefined {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  try {
    const parsed: unknown = JSON.parse(base64UrlToText(token.slice(TOKEN_PREFIX.length)));
    return isRecord(parsed) && typeof parsed.t === "string" ? parsed.t : undefined;
  } catch {
    return undefined;
  }
}

/** The `web_search_tool_result` block of one search. */
export function searchResultBlock(toolUseId: string, outcome: SearchOutcome): WebSearchToolResultBlock {
  const content: WebSearchResult[] | WebSearchToolResultError = outcome.ok
    ? outcome.hits.map((hit) => ({
      type: "web_search_result",
      url: hit.url,
      title: hit.title,
      encrypted_content: encodeResultContent(hit),
      page_age: hit.pageAge ?? null,
    }))
    : { type: "web_search_tool_result_error", error_code: outcome.code };
  return { type: "web_search_tool_result", tool_use_id: toolUseId, content };
}

const ERROR_TEXT: Readonly<Record<WebSearchErrorCode, string>> = {
  too_many_requests: "the search service is rate limited right now",
  invalid_input: "the query was not valid; pass a non-empty query",
  max_uses_exceeded: "no more searches are allowed in this answer",
  query_too_long: `the query is too long (at most ${MAX_QUERY_CHARS} characters)`,
  unavailable: "web search is not available",
};

/** Results (or a failure) as the text of the tool result the upstream model reads. */
export function resultsText(query: string, results: WebSearchResult[] | WebSearchToolResultError): string {
  if (!Array.isArray(results)) {
    return `Web search for "${query}" failed (${results.error_code}): ${ERROR_TEXT[results.error_code]}. ` +
      "Answer with what you know, and say that the search failed.";
  }
  if (results.length === 0) return `Web search for "${query}" found no results.`;
  const items = results.map((r, i) => {
    const text = decodeResultContent(r.encrypted_content);
    const age = r.page_age ? `\nPage age: ${r.page_age}` : "";
    return `[${i + 1}] ${r.title}\nURL: ${r.url}${age}${text ? `\n${text}` : ""}`;
  });
  return `Web search results for "${query}":\n\n${items.join("\n\n")}`;
}
