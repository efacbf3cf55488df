/**
 * The Hono app: routes, access checks, and the one place errors are rendered.
 *
 * @module
 */
import { type Context, type ErrorHandler, Hono, type MiddlewareHandler } from "hono";
import { errorDetail, errorEnvelope, RelayError, toRelayError } from "./errors.ts";
import { requestId } from "./ids.ts";
import { DEFAULT_LIMITS, type Limits } from "./limits.ts";
import type { RequestLog } from "./log.ts";
import { createRedactor } from "./redact.ts";
import { createRepeatedParts } from "./anthropic/repeated_parts.ts";
import { validateTools } from "./anthropic/parse.ts";
import { countTokensRoute } from "./routes/count_tokens.ts";
import { messagesRoute } from "./routes/messages.ts";
import { getModelRoute, listModelsRoute } from "./routes/models.ts";
import type { AppDeps, AppEnv, RequestState, RouteDeps } from "./routes/_context.ts";
import { cors } from "./server/cors.ts";
import { isAllowedHost, isLoopbackHost } from "./server/host_check.ts";
import { callerOf } from "./usage/caller.ts";
import { liveRoutes } from "./live/live_routes.ts";
import { createPageAccess, PAGE_PATHS, type PageAccess } from "./live/page_access.ts";

export type { AppDeps } from "./routes/_context.ts";

function safeEqual(given: string, expected: string): boolean {
  // Time depends on the expected key's length only, so that timing does not reveal a matching prefix.
  let diff = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) diff |= (given.charCodeAt(i) | 0) ^ expected.charCodeAt(i);
  return diff === 0;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    // A real loopback address only: "127.attacker.example" is a name anyone can register.
    return isLoopbackHost(new URL(origin).hostname);
  } catch {
    return false;
  }
}

function render(err: RelayError, state: RequestState | undefined): Response {
  const id = state?.record.request_id ?? requestId();
  const headers = new Headers({ "content-type": "application/json", "request-id": id });
  if (err.retryAfter) headers.set("retry-after", err.retryAfter);
  if (err.shouldRetry !== undefined) headers.set("x-should-retry", String(err.shouldRetry));
  return new Response(JSON.stringify(errorEnvelope(err.type, err.message, id)), {
    status: err.status,
    headers,
  });
}

function finish(state: RequestState): void {
  const record = state.record;
  record.total_ms = Math.round((performance.now() - state.start) * 100) / 100;
  if (state.warnings.length) record.warnings = state.warnings;
}

// Probes that clients send without a key: `/health`, and Claude Code's connectivity check (`HEAD
// /api/hello` at every interactive start, `GET` in its first-run preflight), which carries only a
// User-Agent even when the CLI has a key. Neither reveals anything or reaches an upstream.
const KEYLESS_PATHS: ReadonlySet<string> = new Set(["/health", "/api/hello"]);

// A web page must not be able to spend the user's upstream credentials through a local relayx, nor read
// its answers: browsers send Origin with cross-origin requests (Claude Code and the SDKs do not), and a
// page that rebinds its own DNS name to relayx's address sends that name as Host.
// Synchronous for the API; a promise only when the live page's cookie is to be checked.
function checkAccess(
  c: Context<AppEnv>,
  apiKey: string | undefined,
  limits: Limits,
  page: PageAccess | undefined,
): Promise<void> | undefined {
  // Browsers always send Host; only other clients (HTTP/1.0, HTTP/2) may leave it out.
  const host = c.req.header("host");
  if (host !== undefined && !isAllowedHost(host, limits.allowedHosts)) {
    throw new RelayError(
      "permission_error",
      `Host ${JSON.stringify(host.slice(0, 100))} is not allowed: relayx answers loopback names and the ` +
        "names listed in RELAYX_ALLOWED_HOSTS",
      { shouldRetry: false },
    );
  }
  const origin = c.req.header("origin");
  if (origin && !isLoopbackOrigin(origin) && !limits.corsOrigins.includes(origin.toLowerCase())) {
    throw new RelayError("permission_error", `Requests from web origin ${origin} are not allowed`, {
      shouldRetry: false,
    });
  }
  // The live page's document is static (its data comes from the data paths), so a browser gets it
  // without the key: its script then takes the key from the URL's fragment, which no server sees.
  const pageDocument = page !== undefined && c.req.path === "/" &&
    (c.req.method === "GET" || c.req.method === "HEAD");
  if (apiKey && !KEYLESS_PATHS.has(c.req.path) && !pageDocument) {
    const pagePath = page !== undefined && PAGE_PATHS.has(c.req.path);
    const authorization = c.req.header("authorization");
    // On the page's paths only `Bearer` is a key: a browser behind a proxy may send `Basic`, and that must
    // not keep the cookie from being tried.
    const bearer = authorization !== undefined && /^Bearer\s+/i.test(authorization)
      ? authorization.replace(/^Bearer\s+/i, "")
      : pagePath
      ? undefined
      : authorization;
    const given = c.req.header("x-api-key") ?? bearer ?? "";
    if (!safeEqual(given, apiKey)) {
      // The live page's cookie opens the page's data paths, never the API.
      if (page && !given && pagePath) return pageAccess(c, page);
      throw new RelayError("authentication_error", "invalid x-api-key", { shouldRetry: false });
    }
  }
  return undefined;
}

async function pageAccess(c: Context<AppEnv>, page: PageAccess): Promise<void> {
  if (await page.allows(c.req.raw)) return;
  throw new RelayError(
    "authentication_error",
    "invalid x-api-key; a browser opens the live page once as /#key= followed by the key",
    { shouldRetry: false },
  );
}

// application/json with any parameters (charset), and the +json types; a form or text/plain body is what
// a web page can send without a preflight.
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

const requireJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.header("content-type");
  if (!type || !JSON_TYPE.test(type.trim())) {
    const got = type ? JSON.stringify(type.slice(0, 100)) : "none";
    throw new RelayError("invalid_request_error", `content-type: expected application/json, got ${got}`, {
      status: 415,
      shouldRetry: false,
    });
  }
  await next();
};

// Opens the request's log record, checks access, and writes the log line unless a route or onError
// took that over.
function lifecycle(deps: RouteDeps, page: PageAccess | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const state: RequestState = {
      record: {
        request_id: requestId(),
        backend: deps.backend.kind,
        method: c.req.method,
        path: c.req.path,
        ...callerOf(c.req.raw.headers),
        status: 0,
        total_ms: 0,
      },
      start: performance.now(),
      deferLog: false,
      warnings: [],
    };
    c.set("state", state);
    const checking = checkAccess(c, deps.apiKey, deps.limits, page);
    if (checking) await checking;
    await next();
    c.res.headers.set("request-id", state.record.request_id);
    if (!state.deferLog) {
      state.record.status = c.res.status;
      finish(state);
      deps.log?.(state.record);
    }
  };
}

function errorHandler(deps: RouteDeps): ErrorHandler<AppEnv> {
  // Backends redact what they map; this catches what reaches here by any other way (a custom backend,
  // a translator's error thrown outside the call).
  const redact = deps.redact;
  return (err, c) => {
    const relay = redact.error(toRelayError(err));
    const state = c.get("state") as RequestState | undefined;
    if (state) {
      const r = state.record;
      r.status = relay.status;
      r.error_type = relay.type;
      // The log gets the causes too (messages, never a request or header dump), redacted like the answer.
      r.error = redact.text(errorDetail(relay));
      finish(state);
      deps.log?.(r);
      // The middleware resumes after onError; this keeps it from logging the request twice.
      state.deferLog = true;
    }
    return render(relay, state);
  };
}

/**
 * What {@linkcode createApp} returns: relayx's HTTP app as a pure `fetch(Request) => Response`, with no
 * socket of its own.
 */
export interface RelayApp {
  /** Answers one request; `Deno.serve(app.fetch)` serves it. */
  fetch: (request: Request) => Response | Promise<Response>;
  /**
   * Answers a request given as a path (resolved against `http://localhost`), a URL or a `Request`, with
   * optional `RequestInit`: the way tests call the app without a socket.
   */
  request: (input: string | URL | Request, init?: RequestInit) => Response | Promise<Response>;
}

/**
 * Builds relayx's HTTP app over a backend: routes, access checks, and the one place errors are rendered.
 * Tests call `app.request(...)` without a socket.
 *
 * @example Serve an app whose backend always answers "Hello"
 * ```ts
 * import type { Backend, MessageResponse } from "@relayx/server";
 *
 * const hello: MessageResponse = {
 *   id: "msg_1",
 *   type: "message",
 *   role: "assistant",
 *   model: "echo",
 *   content: [{ type: "text", text: "Hello" }],
 *   stop_reason: "end_turn",
 *   stop_sequence: null,
 *   usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
 * };
 * const backend: Backend = {
 *   kind: "openai_compatible",
 *   resolveModel: (model) => Promise.resolve(model),
 *   complete: () => Promise.resolve(hello),
 *   async *stream() {},
 *   countTokens: () => Promise.resolve(1),
 *   listModels: () => Promise.resolve([]),
 *   describe: () => Promise.resolve("always Hello"),
 * };
 * const app = createApp({ backend });
 * const res = await app.request("/health");
 * console.log(await res.json()); // { status: "ok", backend: "openai_compatible" }
 * ```
 */
export function createApp(appDeps: AppDeps): RelayApp {
  const { log, usage } = appDeps;
  // Every place that writes the log line hands the record to the usage recorder too.
  const both = log && usage
    ? (entry: RequestLog) => {
      log(entry);
      usage(entry);
    }
    : log ?? usage;
  const deps: RouteDeps = {
    ...appDeps,
    log: both,
    limits: { ...DEFAULT_LIMITS, ...appDeps.limits },
    redact: appDeps.redact ?? createRedactor([appDeps.apiKey]),
    repeated: createRepeatedParts(validateTools),
  };
  const app = new Hono<AppEnv>();
  if (deps.limits.corsOrigins.length) app.use("*", cors(deps.limits.corsOrigins));
  const page = deps.live && deps.apiKey ? createPageAccess(deps.apiKey) : undefined;
  app.use("*", lifecycle(deps, page));
  app.post("/v1/messages", requireJson, (c) => messagesRoute(c, deps));
  app.post("/v1/messages/count_tokens", requireJson, (c) => countTokensRoute(c, deps));
  app.get("/v1/models", (c) => listModelsRoute(c, deps));
  app.get("/v1/models/:id", (c) => getModelRoute(c, deps));
  app.get("/health", (c) => c.json({ status: "ok", backend: deps.backend.kind }));
  // Claude Code's connectivity probe: it only needs a 200 (a 404 stops its first-run check). Hono answers
  // HEAD with the GET route's headers and no body.
  app.get("/api/hello", (c) => c.json({ message: "hello" }));
  if (deps.live) liveRoutes(app, deps.live, page);
  app.notFound((c) => {
    throw new RelayError("not_found_error", `Not found: ${c.req.method} ${c.req.path}`);
  });
  app.onError(errorHandler(deps));
  return app;
}
