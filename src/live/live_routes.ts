/**
 * The live page's routes: `GET /` for a browser (the page: static, no data in it), `POST
 * /api/usage/session` (the key in `x-api-key` gets the page's cookie), `GET /api/usage` (a JSON snapshot)
 * and `GET /api/usage/events` (server-sent events: the configuration, a summary at once, then a summary at
 * most every `throttleMs` while requests are recorded and every `heartbeatMs` in any case). The page's
 * paths answer requests of relayx's own origin only; access (loopback, the key or the cookie) is checked
 * before them, by the app.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import { RelayError } from "../errors.ts";
import type { AppEnv } from "../routes/_context.ts";
import type { UsageRecorder } from "../usage/usage_recorder.ts";
import type { LiveSetup } from "./live_setup.ts";
import { PAGE_SESSION_PATH, type PageAccess } from "./page_access.ts";
import { pageHtml } from "./page_html.ts";
import { summarizeUsage, type UsageSummary } from "./usage_summary.ts";

/** What the page reads of the usage recorder. */
export type UsageFeed = Pick<UsageRecorder, "recent" | "totals" | "subscribe">;

/** What the live page needs; without it `GET /` stays a 404. */
export interface LiveDeps {
  /** The usage recorder. */
  usage: UsageFeed;
  /** The configured backends and routes. */
  setup: LiveSetup;
  /** Aborted when relayx begins to shut down: every event stream then ends. */
  closing?: AbortSignal;
  /** The recorder's memory, in records (default 1,000): a full memory makes "today" a lower bound. */
  recentSize?: number;
  /** The clock (default `Date.now`). */
  now?: () => number;
  /** The local time zone's offset from UTC at a time, in ms (default: the system's). */
  utcOffsetMs?: (time: number) => number;
  /** Shortest time between two summaries while requests come in (default 250 ms). */
  throttleMs?: number;
  /** A summary at least this often, so that the last hour moves on (default 15 s). */
  heartbeatMs?: number;
}

const SECURITY_HEADERS: Record<string, string> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "cross-origin-resource-policy": "same-origin",
  "referrer-policy": "no-referrer",
};

function _summary(live: LiveDeps): UsageSummary {
  const now = live.now?.() ?? Date.now();
  const records = live.usage.recent();
  const offset = live.utcOffsetMs?.(now) ?? -new Date(now).getTimezoneOffset() * 60_000;
  const full = records.length >= (live.recentSize ?? 1000);
  return summarizeUsage(records, live.usage.totals(), { now, utcOffsetMs: offset, full });
}

// Browsers send Origin with script requests from another origin, and Sec-Fetch-Site with every request;
// the page's data is for relayx's own page (a link from elsewhere may still open the page itself).
function _ownOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header("origin");
  const host = c.req.header("host");
  // https when a TLS proxy in front of relayx serves the page.
  const own = host !== undefined && origin !== undefined &&
    [`http://${host}`, `https://${host}`].map((o) => o.toLowerCase()).includes(origin.toLowerCase());
  const site = c.req.header("sec-fetch-site");
  const navigation = c.req.header("sec-fetch-mode") === "navigate" && c.req.path === "/";
  const foreignSite = site !== undefined && site !== "same-origin" && site !== "none" && !navigation;
  if ((origin !== undefined && !own) || foreignSite) {
    throw new RelayError("permission_error", "The live page answers relayx's own origin only", {
      shouldRetry: false,
    });
  }
}

function _page(): Response {
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return new Response(pageHtml(nonce), {
    headers: {
      ...SECURITY_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": csp,
      "x-frame-options": "DENY",
      "cross-origin-opener-policy": "same-origin",
    },
  });
}

function _events(live: LiveDeps, gone: AbortSignal): Response {
  const encoder = new TextEncoder();
  const throttleMs = live.throttleMs ?? 250;
  const heartbeatMs = live.heartbeatMs ?? 15_000;
  let stop = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let ended = false;
      const send = (event: string, data: unknown) =>
        controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      const summary = () => {
        timer = undefined;
        send("summary", _summary(live));
      };
      const unsubscribe = live.usage.subscribe(() => {
        if (timer === undefined) timer = setTimeout(summary, throttleMs);
      });
      const heartbeat = setInterval(summary, heartbeatMs);
      // Neither keeps a stopping relayx alive; the stream ends on `closing` anyway.
      Deno.unrefTimer(heartbeat);
      stop = () => {
        if (ended) return;
        ended = true;
        unsubscribe();
        clearTimeout(timer);
        clearInterval(heartbeat);
        live.closing?.removeEventListener("abort", bye);
        gone.removeEventListener("abort", stop);
      };
      const bye = () => {
        if (ended) return;
        stop();
        try {
          // Tells the page not to reconnect to a relayx that is going away.
          send("bye", {});
          controller.close();
        } catch {
          // The page left in the meantime (the stream is closed or errored): nothing to say goodbye to.
        }
      };
      send("setup", live.setup);
      send("summary", _summary(live));
      if (live.closing?.aborted) return bye();
      live.closing?.addEventListener("abort", bye, { once: true });
      gone.addEventListener("abort", stop, { once: true });
    },
    cancel() {
      stop();
    },
  });
  return new Response(body, {
    headers: { ...SECURITY_HEADERS, "content-type": "text/event-stream; charset=utf-8" },
  });
}

/**
 * Adds the live page's routes to `app`. `access`, present when relayx has a key, makes the cookie that
 * `POST /api/usage/session` sets; checking the key and the cookie is the app's job.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { AppEnv } from "../routes/_context.ts";
 * import { createUsageRecorder } from "../usage/usage_recorder.ts";
 *
 * const app = new Hono<AppEnv>();
 * const usage = createUsageRecorder({ priceOf: () => undefined });
 * liveRoutes(app, { usage, setup: { backends: [], routes: [] } });
 * const res = await app.request("/api/usage", { headers: { host: "127.0.0.1:8082" } });
 * console.log((await res.json()).summary.requestsPerMinute); // 0
 * ```
 */
export function liveRoutes(app: Hono<AppEnv>, live: LiveDeps, access?: PageAccess): void {
  app.get("/", async (c, next) => {
    // Clients of the API (curl, SDKs) get what they always got: the 404.
    if (!/\btext\/html\b/i.test(c.req.header("accept") ?? "")) return await next();
    _ownOrigin(c);
    // The key once came in the query; a URL is logged by proxies and traced (`url.full`), so that way is
    // closed rather than silently ignored. The message does not repeat the key.
    if (c.req.query("key") !== undefined) {
      throw new RelayError(
        "invalid_request_error",
        "key: the live page takes the key in the URL's fragment (/#key=...), never in the query",
        { shouldRetry: false },
      );
    }
    return _page();
  });
  // The key came in `x-api-key` (the app checked it); a POST of the page's own origin, so that another
  // site's page can neither send it (a custom header from elsewhere needs a CORS preflight) nor read it.
  app.post(PAGE_SESSION_PATH, async (c) => {
    _ownOrigin(c);
    const headers = new Headers(SECURITY_HEADERS);
    if (access) headers.set("set-cookie", await access.cookie(c.req.raw));
    return new Response(null, { status: 204, headers });
  });
  app.get("/api/usage", (c) => {
    _ownOrigin(c);
    return Response.json({ setup: live.setup, summary: _summary(live) }, { headers: SECURITY_HEADERS });
  });
  app.get("/api/usage/events", (c) => {
    _ownOrigin(c);
    return _events(live, c.req.raw.signal);
  });
}
