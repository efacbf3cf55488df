/**
 * Which route serves a request: routes compiled once at start (globs to regular expressions), then the
 * first route whose conditions all hold. Pure; the token estimate is computed only when a route asks
 * for it, and at most once per request.
 *
 * @module
 */
import type { ContentBlock, MessagesRequest } from "../anthropic/types.ts";
import type { RouteConfig, RouteMatch } from "../config.ts";
import { estimateInputTokens } from "../tokens.ts";

/** A route ready to match: its globs compiled. */
export interface CompiledRoute {
  /** The route as configured. */
  route: RouteConfig;
  /** `match.model` as one expression, when given. */
  model?: RegExp;
  /** `match.tools` as an expression, when given. */
  tools?: RegExp;
}

/**
 * A glob as a whole-string regular expression: `*` any run of characters, `?` one, the rest literal
 * (case-sensitive, as model ids and tool names are).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.ok(globToRegExp("claude-haiku-*").test("claude-haiku-4-5-20251001"));
 * assert.ok(!globToRegExp("claude-haiku-*").test("us.claude-haiku-4-5"));
 * ```
 */
export function globToRegExp(...globs: string[]): RegExp {
  const one = (glob: string) =>
    glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^(?:${globs.map(one).join("|")})$`);
}

/** Compiles routes once, at start. */
export function compileRoutes(routes: readonly RouteConfig[]): CompiledRoute[] {
  return routes.map((route) => ({
    route,
    ...(route.match.model ? { model: globToRegExp(...route.match.model) } : {}),
    ...(route.match.tools ? { tools: globToRegExp(route.match.tools) } : {}),
  }));
}

function hasImage(blocks: readonly ContentBlock[]): boolean {
  for (const block of blocks) {
    if (block.type === "image") return true;
    if (block.type === "tool_result" && Array.isArray(block.content)) {
      if (block.content.some((part) => part.type === "image")) return true;
    }
  }
  return false;
}

/** True when the request carries an image anywhere: a message or a tool result. */
export function requestHasImage(request: MessagesRequest): boolean {
  return request.messages.some((m) => hasImage(m.content));
}

function holds(
  c: CompiledRoute,
  match: RouteMatch,
  request: MessagesRequest,
  estimate: () => number,
): boolean {
  if (c.model && !c.model.test(request.model)) return false;
  if (match.thinking !== undefined) {
    const thinking = request.thinking !== undefined && request.thinking.type !== "disabled";
    if (thinking !== match.thinking) return false;
  }
  if (c.tools && !(request.tools ?? []).some((t) => c.tools!.test(t.name))) return false;
  if (match.images !== undefined && requestHasImage(request) !== match.images) return false;
  if (match.inputTokensOver !== undefined && !(estimate() > match.inputTokensOver)) return false;
  return true;
}

/**
 * The first route whose conditions all hold, or `undefined` when none does (a configuration without a
 * catch-all route).
 *
 * @example Haiku to one route, everything else to the next
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const routes = compileRoutes([
 *   { name: "small", match: { model: ["claude-haiku-*"] }, to: [{ backend: "local" }] },
 *   { name: "main", match: {}, to: [{ backend: "bedrock" }] },
 * ]);
 * const request = {
 *   model: "claude-haiku-4-5",
 *   max_tokens: 10,
 *   messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "Hi" }] }],
 * };
 * assert.equal(selectRoute(routes, request)?.name, "small");
 * assert.equal(selectRoute(routes, { ...request, model: "claude-opus-4-5" })?.name, "main");
 * ```
 */
export function selectRoute(
  routes: readonly CompiledRoute[],
  request: MessagesRequest,
): RouteConfig | undefined {
  let tokens: number | undefined;
  const estimate = () => (tokens ??= estimateInputTokens(request));
  for (const c of routes) if (holds(c, c.route.match, request, estimate)) return c.route;
  return undefined;
}
