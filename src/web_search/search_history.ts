/**
 * Web searches in the history: the `server_tool_use` and `web_search_tool_result` blocks a client sends
 * back in later turns become text the upstream model reads (the query, then each result's title, URL and
 * page text from relayx's `encrypted_content`), the same on every backend. An upstream that runs the
 * search itself gets its own blocks back as they are, and only relayx's as text: it cannot read relayx's
 * tokens. Pure.
 *
 * @module
 */
import type {
  ContentBlock,
  Message,
  ServerToolBlock,
  WebSearchResult,
  WebSearchToolResultError,
} from "../anthropic/types.ts";
import { isRecord } from "../translate/_json.ts";
import { isRelayxToken, resultsText } from "./web_search_tool.ts";

const ERROR_CODES = new Set([
  "too_many_requests",
  "invalid_input",
  "max_uses_exceeded",
  "query_too_long",
  "unavailable",
]);

// A web search call or result, else undefined (other server tools stay for the translators to drop).
function searchBlock(b: ContentBlock): ServerToolBlock | undefined {
  if (b.type === "server_tool_use") return b.name === "web_search" ? b : undefined;
  return b.type === "web_search_tool_result" ? b : undefined;
}

function results(content: unknown): WebSearchResult[] | WebSearchToolResultError {
  if (isRecord(content) && content.type === "web_search_tool_result_error") {
    const code = typeof content.error_code === "string" && ERROR_CODES.has(content.error_code)
      ? content.error_code as WebSearchToolResultError["error_code"]
      : "unavailable";
    return { type: "web_search_tool_result_error", error_code: code };
  }
  if (!Array.isArray(content)) return [];
  const out: WebSearchResult[] = [];
  for (const item of content) {
    if (!isRecord(item) || typeof item.url !== "string") continue;
    out.push({
      type: "web_search_result",
      url: item.url,
      title: typeof item.title === "string" ? item.title : item.url,
      encrypted_content: typeof item.encrypted_content === "string" ? item.encrypted_content : "",
      page_age: typeof item.page_age === "string" ? item.page_age : null,
    });
  }
  return out;
}

// The search a block belongs to: a call's id, a result's tool_use_id.
function searchId(b: ServerToolBlock): string | undefined {
  const id = b.type === "server_tool_use" ? b.id : b.tool_use_id;
  return typeof id === "string" ? id : undefined;
}

function rewrite(
  blocks: ContentBlock[],
  queries: Map<string, string>,
  only?: ReadonlySet<string>,
): ContentBlock[] {
  return blocks.map((b): ContentBlock => {
    const found = searchBlock(b);
    const search = found && (!only || only.has(searchId(found) ?? "")) ? found : undefined;
    if (search?.type === "server_tool_use") {
      const input = isRecord(search.input) ? search.input : {};
      const query = typeof input.query === "string" ? input.query : "";
      if (typeof search.id === "string") queries.set(search.id, query);
      return { type: "text", text: `[Web search: "${query}"]` };
    }
    if (search) {
      const id = typeof search.tool_use_id === "string" ? search.tool_use_id : "";
      return { type: "text", text: resultsText(queries.get(id) ?? "", results(search.content)) };
    }
    return b;
  });
}

/** True when a message holds a web search call or result. */
function hasSearchBlocks(m: Message): boolean {
  return m.content.some((b) => searchBlock(b) !== undefined);
}

// True for a result whose pages carry relayx's tokens.
function ranByRelayx(b: ContentBlock): boolean {
  return b.type === "web_search_tool_result" && Array.isArray(b.content) &&
    b.content.some((r) =>
      isRecord(r) && typeof r.encrypted_content === "string" && isRelayxToken(r.encrypted_content)
    );
}

/**
 * The messages with every web search call and result as text; the same array when there are none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const messages = searchHistoryAsText([
 *   { role: "user", content: [{ type: "text", text: "What is new in Deno?" }] },
 *   {
 *     role: "assistant",
 *     content: [
 *       { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "deno news" } },
 *       {
 *         type: "web_search_tool_result",
 *         tool_use_id: "srvtoolu_1",
 *         content: [{ type: "web_search_result", url: "https://deno.com/blog", title: "Blog", page_age: null }],
 *       },
 *     ],
 *   },
 * ]);
 * assert.deepEqual(messages[1]?.content[0], { type: "text", text: '[Web search: "deno news"]' });
 * assert.match(JSON.stringify(messages[1]?.content[1]), /https:\/\/deno.com\/blog/);
 * ```
 */
export function searchHistoryAsText(messages: Message[]): Message[] {
  if (!messages.some(hasSearchBlocks)) return messages;
  const queries = new Map<string, string>();
  return messages.map((m) => hasSearchBlocks(m) ? { ...m, content: rewrite(m.content, queries) } : m);
}

/**
 * The messages with relayx's own web searches as text (the results whose pages carry relayx's tokens,
 * and their calls), for an upstream that runs the search itself: it gets its own searches back as they
 * are, and could not read relayx's. The same array when there are none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeResultContent } from "./web_search_tool.ts";
 *
 * const search = (id: string, encrypted_content: string) => [
 *   { type: "server_tool_use" as const, id, name: "web_search", input: { query: id } },
 *   {
 *     type: "web_search_tool_result" as const,
 *     tool_use_id: id,
 *     content: [{ type: "web_search_result", url: "https://deno.com", title: "Deno", encrypted_content }],
 *   },
 * ];
 * const relayx = encodeResultContent({ url: "https://deno.com", title: "Deno", text: "Deno 2" });
 * const [message] = relayxSearchesAsText([
 *   { role: "assistant", content: [...search("srvtoolu_a", "EqcBCkgIBxgC"), ...search("srvtoolu_b", relayx)] },
 * ]);
 * assert.deepEqual(message?.content.map((b) => b.type), [
 *   "server_tool_use",
 *   "web_search_tool_result",
 *   "text",
 *   "text",
 * ]);
 * ```
 */
export function relayxSearchesAsText(messages: Message[]): Message[] {
  const ours = new Set<string>();
  for (const m of messages) {
    for (const b of m.content) {
      const id = b.type === "web_search_tool_result" && ranByRelayx(b) ? searchId(b) : undefined;
      if (id !== undefined) ours.add(id);
    }
  }
  if (ours.size === 0) return messages;
  const queries = new Map<string, string>();
  const touched = (m: Message) =>
    m.content.some((b) => {
      const search = searchBlock(b);
      return search !== undefined && ours.has(searchId(search) ?? "");
    });
  return messages.map((m) => touched(m) ? { ...m, content: rewrite(m.content, queries, ours) } : m);
}
