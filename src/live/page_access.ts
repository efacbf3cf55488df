/**
 * How a browser proves it may read the live page when relayx has a key (`RELAYX_API_KEY`): a navigation
 * cannot send `x-api-key`, so the key is given once as `/?key=...`, relayx answers with a redirect to `/`
 * (the key leaves the address bar and the history) and an HttpOnly, SameSite=Strict cookie. The cookie
 * holds a token derived from the key (HMAC-SHA-256), not the key, and opens the page's own paths only,
 * never the API: a page of another site can neither send it (SameSite=Strict) nor spend credentials with it.
 *
 * @module
 */

/** The cookie's name. */
export const PAGE_COOKIE = "relayx_page";

/** The paths of the live page, the only ones the cookie opens. */
export const PAGE_PATHS: ReadonlySet<string> = new Set(["/", "/api/usage", "/api/usage/events"]);

// A year: the token changes only with the key.
const MAX_AGE_S = 365 * 86_400;

/** What {@linkcode createPageAccess} returns. */
export interface PageAccess {
  /** True when the request carries the page cookie of this key, or (on `/`) the key as `?key=`. */
  allows(request: Request): Promise<boolean>;
  /** The `set-cookie` value that lets the browser in from now on. */
  cookie(): Promise<string>;
}

/** Compares in a time that depends on the expected value's length only. */
function _safeEqual(given: string, expected: string): boolean {
  let diff = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) diff |= (given.charCodeAt(i) | 0) ^ expected.charCodeAt(i);
  return diff === 0;
}

async function _token(key: string): Promise<string> {
  const bytes = new TextEncoder();
  const hmac = await crypto.subtle.importKey(
    "raw",
    bytes.encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
  const mac = await crypto.subtle.sign("HMAC", hmac, bytes.encode("relayx live page v1"));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function _cookieValue(header: string | null): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === PAGE_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The page's access rules for `key`. The token is the same in every worker and after a restart, so that
 * `deno serve --parallel` and a restarted relayx keep the browser in; it changes with the key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const access = createPageAccess("relayx-key");
 * assert.equal(await access.allows(new Request("http://127.0.0.1:8082/?key=relayx-key")), true);
 * const cookie = (await access.cookie()).split(";")[0] ?? "";
 * const back = new Request("http://127.0.0.1:8082/api/usage", { headers: { cookie } });
 * assert.equal(await access.allows(back), true);
 * assert.equal(await access.allows(new Request("http://127.0.0.1:8082/?key=wrong")), false);
 * ```
 */
export function createPageAccess(key: string): PageAccess {
  let token: Promise<string> | undefined;
  const tokenOf = () => token ??= _token(key);
  return {
    async allows(request) {
      const url = new URL(request.url);
      if ((request.method !== "GET" && request.method !== "HEAD") || !PAGE_PATHS.has(url.pathname)) {
        return false;
      }
      const given = url.pathname === "/" ? url.searchParams.get("key") : null;
      if (given !== null) return _safeEqual(given, key);
      const cookie = _cookieValue(request.headers.get("cookie"));
      return cookie !== undefined && _safeEqual(cookie, await tokenOf());
    },
    async cookie() {
      return `${PAGE_COOKIE}=${await tokenOf()}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${MAX_AGE_S}`;
    },
  };
}
