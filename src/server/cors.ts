/**
 * CORS for the web origins an operator configured (`RELAYX_CORS_ORIGINS`), and for no others: without
 * configuration relayx sends no CORS header at all, so browsers keep every page from reading its answers.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";

// Headers the Anthropic SDK sends from a browser, for a preflight that does not list what it wants.
const ALLOW_HEADERS =
  "authorization, content-type, x-api-key, anthropic-version, anthropic-beta, anthropic-dangerous-direct-browser-access";
const EXPOSE_HEADERS = "request-id, retry-after, x-should-retry, x-relayx-warnings";

/**
 * A Hono middleware that answers preflights from `origins` (lower case, e.g. `https://app.example`) and
 * adds `access-control-allow-origin` to their responses, errors included. Requests from other origins pass
 * on unchanged (relayx's origin check refuses them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 *
 * const app = new Hono().use("*", cors(["https://app.example"])).get("/", (c) => c.text("hi"));
 * const res = await app.request("/", { headers: { origin: "https://app.example" } });
 * assert.equal(res.headers.get("access-control-allow-origin"), "https://app.example");
 * ```
 */
export function cors(origins: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header("origin");
    const allowed = origin !== undefined && origins.includes(origin.toLowerCase());
    if (allowed && c.req.method === "OPTIONS" && c.req.header("access-control-request-method")) {
      return new Response(null, {
        status: 204,
        headers: {
          "access-control-allow-origin": origin,
          "access-control-allow-methods": "GET, POST, OPTIONS",
          // The origin is trusted, so it may send what it asks for (the SDK adds x-stainless-* headers).
          "access-control-allow-headers": _requested(c.req.header("access-control-request-headers")),
          "access-control-max-age": "600",
          vary: "origin",
        },
      });
    }
    await next();
    // Caches must not hand one origin's answer to another.
    c.res.headers.append("vary", "origin");
    if (allowed) {
      c.res.headers.set("access-control-allow-origin", origin);
      c.res.headers.set("access-control-expose-headers", EXPOSE_HEADERS);
    }
  };
}

function _requested(list: string | undefined): string {
  const names = list?.split(",").map((s) => s.trim()).filter((s) => /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(s));
  return names?.length ? names.join(", ") : ALLOW_HEADERS;
}
