/**
 * How a browser proves it may read the live page's data when relayx has a key (`RELAYX_API_KEY`). The key
 * never travels in a URL (proxies log URLs, and Deno's OpenTelemetry span records `url.full`): the user
 * opens `/#key=...`, whose fragment stays in the browser; the page (static, no data in it) posts the key
 * once in `x-api-key` to {@linkcode PAGE_SESSION_PATH} and drops the fragment, and relayx answers with an
 * HttpOnly, SameSite=Strict cookie. The cookie holds a token derived from the key (HMAC-SHA-256), not the
 * key, and opens the page's data paths only, never the API: a page of another site can neither send it
 * (SameSite=Strict) nor spend credentials with it.
 *
 * @module
 */

/** The cookie's name before its port: `relayx_page_8082`, so that two relayx on one host keep theirs. */
export const PAGE_COOKIE = "relayx_page";

/** The page's data paths, the only ones the cookie opens. */
export const PAGE_PATHS: ReadonlySet<string> = new Set(["/api/usage", "/api/usage/events"]);

/** Where the page posts the key (in `x-api-key`) to get the cookie. */
export const PAGE_SESSION_PATH = "/api/usage/session";

// A year: the token changes only with the key.
const MAX_AGE_S = 365 * 86_400;

/** What {@linkcode createPageAccess} returns. */
export interface PageAccess {
  /** True when a GET of a data path carries the page cookie of this key. */
  allows(request: Request): Promise<boolean>;
  /** The `set-cookie` value that lets the browser that sent `request` in from now on. */
  cookie(request: Request): Promise<string>;
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

/**
 * The cookie's name for a request: cookies are not kept apart by port, so the port is in the name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(pageCookieName(new Request("http://127.0.0.1:8082/api/usage")), "relayx_page_8082");
 * ```
 */
export function pageCookieName(request: Request): string {
  const url = new URL(request.url);
  return `${PAGE_COOKIE}_${url.port || (url.protocol === "https:" ? "443" : "80")}`;
}

function _cookieValue(header: string | null, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

// The browser reached relayx over https (a TLS proxy in front of it): the cookie is then sent over https only.
function _https(request: Request): boolean {
  const proto = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  const origin = request.headers.get("origin")?.toLowerCase();
  return proto === "https" || origin?.startsWith("https://") === true ||
    new URL(request.url).protocol === "https:";
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
 * const session = new Request("http://127.0.0.1:8082/api/usage/session", { method: "POST" });
 * const cookie = (await access.cookie(session)).split(";")[0] ?? "";
 * const back = new Request("http://127.0.0.1:8082/api/usage", { headers: { cookie } });
 * assert.equal(await access.allows(back), true);
 * assert.equal(await access.allows(new Request("http://127.0.0.1:8082/api/usage")), false);
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
      const cookie = _cookieValue(request.headers.get("cookie"), pageCookieName(request));
      return cookie !== undefined && _safeEqual(cookie, await tokenOf());
    },
    async cookie(request) {
      const secure = _https(request) ? "; Secure" : "";
      return `${pageCookieName(request)}=${await tokenOf()}; Path=/; HttpOnly; SameSite=Strict; ` +
        `Max-Age=${MAX_AGE_S}${secure}`;
    },
  };
}
