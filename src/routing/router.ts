/**
 * Several backends behind one: each request goes to the first route whose conditions hold, and to that
 * route's targets in order, falling back to the next on a rate limit, an overload, a server error, a
 * timeout or a connection error, as long as nothing has reached the client yet. Each target is tried at
 * most once per request (clients retry on their own), and a target that just failed that way is skipped
 * for a cool-down while other targets remain.
 *
 * A context overflow (relayx's preflight or the upstream's own `prompt is too long`) moves on to the next
 * target whose model has a larger window, with no cool-down: the target is fine, the prompt is too big for
 * it. Targets whose window is known and not larger are skipped; targets whose window the registry does not
 * know are tried, since they may well be larger. When none is left, the client gets the overflow error, on
 * which Claude Code compacts.
 *
 * @module
 */
import type {
  CountTokensRequest,
  MessageResponse,
  MessagesRequest,
  StreamEvent,
} from "../anthropic/types.ts";
import {
  type Backend,
  type CallContext,
  type ModelInfo,
  preparesItself,
  type RouteTrace,
} from "../backends/backend.ts";
import { prepareRequest } from "../translate/prepare.ts";
import type { RouteConfig, RouteTarget } from "../config.ts";
import { RelayError, toRelayError } from "../errors.ts";
import { describeRoutes } from "./describe_routes.ts";
import { withOrigin } from "./origin_backend.ts";
import { compileRoutes, selectRoute } from "./route_match.ts";

/** Options for {@linkcode createRouter}. */
export interface RouterOptions {
  /** The backends by name (every name the routes use). */
  backends: Readonly<Record<string, Backend>>;
  /** The routes in match order. */
  routes: readonly RouteConfig[];
  /** How long a failed target is skipped when its answer named no `retry-after` (default 30 s). */
  coolDownMs?: number;
  /** The clock (tests move it). */
  now?: () => number;
}

// A failure the next target may not share: rate limits, overloads, server errors, timeouts, and
// connections that failed (mapped to api_error 5xx). Client errors (400, 401, 403, 404, 413) would fail
// the same way anywhere, or are the user's to fix. A failure inside relayx itself (`internal`: a bug,
// not the upstream's answer) says nothing about the target and would only repeat on the next one.
function fallsBack(err: RelayError): boolean {
  return !err.internal && (err.status === 429 || err.status >= 500);
}

// The longest a target is skipped, whatever retry-after says, and the shortest: `retry-after: 0` (or a
// date already past) means "at once", but a burst of requests arriving together should not all land on
// a target that has just failed.
const MAX_COOL_DOWN_MS = 5 * 60_000;
const MIN_COOL_DOWN_MS = 1000;

/**
 * How long a target is skipped after a failure: the upstream's `retry-after` in either of its forms
 * (seconds, or an HTTP-date: RFC 9110, section 10.2.3), else `fallbackMs`; at least 1 s, at most 5 min.
 *
 * @example
 * ```ts
 * const now = Date.parse("Sun, 06 Dec 2026 03:00:00 GMT");
 * coolDownMs("20", now, 30_000); // 20_000
 * coolDownMs("Sun, 06 Dec 2026 03:00:45 GMT", now, 30_000); // 45_000
 * coolDownMs("0", now, 30_000); // 1_000
 * coolDownMs(undefined, now, 30_000); // 30_000
 * ```
 */
export function coolDownMs(retryAfter: string | undefined, nowMs: number, fallbackMs: number): number {
  const value = retryAfter?.trim() ?? "";
  let ms = fallbackMs;
  if (/^\d+(?:\.\d+)?$/.test(value)) ms = Number(value) * 1000;
  else if (value !== "" && Number.isFinite(Date.parse(value))) ms = Date.parse(value) - nowMs;
  return Math.min(Math.max(ms, MIN_COOL_DOWN_MS), MAX_COOL_DOWN_MS);
}

/**
 * The warnings of one attempt at a target: held until the target serves (its first batch, or its
 * message), so that a target that fails and is fallen back from leaves nothing in `x-relayx-warnings`;
 * once it serves, later warnings go straight through.
 */
function attemptWarnings(ctx: CallContext): { warn: (message: string) => void; served: <T>(answer: T) => T } {
  let held: string[] | undefined = [];
  return {
    warn(message) {
      if (held) held.push(message);
      else ctx.warn(message);
    },
    // Passes the target's answer through, releasing its warnings.
    served(answer) {
      for (const message of held ?? []) ctx.warn(message);
      held = undefined;
      return answer;
    },
  };
}

// The window an overflow error names (`prompt is too long: N tokens > M maximum`), when it is one.
function overflowWindow(err: RelayError): number | undefined {
  if (err.status !== 400) return undefined;
  const m = err.message.match(/^prompt is too long: \d+ tokens > (\d+) maximum/);
  return m ? Number(m[1]) : undefined;
}

// A listed model with its upstream model's limits as the target's backend knows them.
function withLimits(m: ModelInfo, backend: Backend | undefined): ModelInfo {
  const spec = backend?.modelSpec?.(m.upstream);
  if (!spec) return m;
  return {
    ...m,
    ...(spec.contextWindow === undefined ? {} : { contextWindow: spec.contextWindow }),
    ...(spec.maxOutputTokens === undefined ? {} : { maxOutputTokens: spec.maxOutputTokens }),
  };
}

/** A request as the client sent it, and as backends that run custom tools alone take it (prepared once). */
interface Prepared<T extends CountTokensRequest> {
  /** As the client sent it. */
  sent: T;
  /** Prepared, or the 400 preparing it gave (for those targets only). */
  prepared: { request: T; warnings: string[] } | { error: unknown };
}

function prepare<T extends CountTokensRequest>(request: T): Prepared<T> {
  const warnings: string[] = [];
  try {
    return {
      sent: request,
      prepared: { request: prepareRequest(request, (w) => warnings.push(w)), warnings },
    };
  } catch (error) {
    return { sent: request, prepared: { error } };
  }
}

// The request as the target takes it: as the client sent it for a backend that prepares itself, else
// prepared, its warnings the attempt's own.
function forTarget<T extends CountTokensRequest>(
  backend: Backend,
  request: Prepared<T>,
  warn: (message: string) => void,
): T {
  if (preparesItself(backend.kind)) return request.sent;
  const { prepared } = request;
  if ("error" in prepared) throw prepared.error;
  for (const w of prepared.warnings) warn(w);
  return prepared.request;
}

// What the route conditions read: the request as the upstream would get it (no deferred tools never
// loaded, no history before a compaction), or as sent when preparing it failed.
function matchView<T extends CountTokensRequest>(request: Prepared<T>): T {
  return "error" in request.prepared ? request.sent : request.prepared.request;
}

function label(t: RouteTarget): string {
  return t.model === undefined ? t.backend : `${t.backend}/${t.model}`;
}

/**
 * Builds the router: a {@linkcode Backend} over named backends and routes.
 *
 * @example Haiku to a local server, the rest to Bedrock with the local server as fallback
 * ```ts
 * import type { Backend } from "../backends/backend.ts";
 *
 * declare const local: Backend, bedrock: Backend;
 * const router = createRouter({
 *   backends: { local, bedrock },
 *   routes: [
 *     { name: "small", match: { model: ["claude-haiku-*"] }, to: [{ backend: "local" }] },
 *     { name: "main", match: {}, to: [{ backend: "bedrock" }, { backend: "local", model: "qwen3-coder:30b" }] },
 *   ],
 * });
 * ```
 */
export function createRouter(options: RouterOptions): Backend {
  const routes = compileRoutes(options.routes);
  const now = options.now ?? Date.now;
  const defaultCoolDownMs = options.coolDownMs ?? 30_000;
  const coolUntil = new Map<string, number>();
  // With several backends a conversation may move between them: signatures travel tagged with the
  // backend that made them (origin_backend.ts). With one, they pass exactly as without the router.
  const origins = Object.keys(options.backends).length > 1;

  function pick(request: MessagesRequest): RouteConfig {
    const route = selectRoute(routes, request);
    if (!route) {
      throw new RelayError(
        "invalid_request_error",
        `model: no route serves ${JSON.stringify(request.model)}`,
        {
          shouldRetry: false,
        },
      );
    }
    return route;
  }

  // The route's targets, those cooling down moved behind the others (the soonest ready first): they are
  // tried only when every ready target has failed.
  function order(route: RouteConfig): RouteTarget[] {
    const t = now();
    const until = (target: RouteTarget) => coolUntil.get(label(target)) ?? 0;
    const ready = route.to.filter((target) => until(target) <= t);
    if (ready.length === route.to.length) return route.to;
    const cooling = route.to.filter((target) => until(target) > t).sort((a, b) => until(a) - until(b));
    return [...ready, ...cooling];
  }

  function failed(target: RouteTarget, err: RelayError, trace: RouteTrace): void {
    trace.served = undefined;
    trace.upstreamModel = undefined;
    trace.tried.push(`${label(target)}: ${err.status} ${err.type}`);
    const t = now();
    coolUntil.set(label(target), t + coolDownMs(err.retryAfter, t, defaultCoolDownMs));
  }

  // After an overflow: the target's model window, when known, must be larger than the one that overflowed.
  function tooSmall(call: { backend: Backend; ctx: CallContext }, floor: number, trace: RouteTrace): boolean {
    if (floor === 0) return false;
    const window = call.backend.modelSpec?.(call.ctx.model).contextWindow;
    if (window === undefined || window > floor) return false;
    trace.tried.push(`${trace.served}: skipped, context window ${window} not larger than ${floor}`);
    trace.served = undefined;
    trace.upstreamModel = undefined;
    return true;
  }

  // A context overflow: no cool-down (the target is fine). The window to beat is the one the error names,
  // the figure the client would see.
  function overflowed(target: RouteTarget, err: RelayError, window: number, trace: RouteTrace): number {
    trace.served = undefined;
    trace.upstreamModel = undefined;
    trace.tried.push(`${label(target)}: ${err.status} ${err.type} (context window ${window})`);
    return window;
  }

  function start(
    request: MessagesRequest,
    ctx: CallContext,
  ): { trace: RouteTrace; targets: RouteTarget[]; both: Prepared<MessagesRequest> } {
    const both = prepare(request);
    const route = pick(matchView(both));
    const trace: RouteTrace = { route: route.name, tried: [] };
    ctx.routed?.(trace);
    return { trace, targets: order(route), both };
  }

  async function contextFor(
    target: RouteTarget,
    request: MessagesRequest,
    ctx: CallContext,
    trace: RouteTrace,
  ) {
    const backend = options.backends[target.backend];
    if (!backend) throw new RelayError("api_error", `no backend named ${target.backend}`);
    const model = target.model ?? await backend.resolveModel(request.model);
    trace.served = label(target);
    trace.upstreamModel = model;
    ctx.routed?.(trace);
    return { backend: origins ? withOrigin(backend, target.backend) : backend, ctx: { ...ctx, model } };
  }

  // A failed attempt: throws when the request ends here (the client left, or a failure the next target
  // would share), else records it and gives the window the next target must exceed (raised by an overflow).
  function afterFailure(
    err: unknown,
    last: RelayError,
    target: RouteTarget,
    ctx: CallContext,
    trace: RouteTrace,
    floor: number,
  ): number {
    if (ctx.signal.aborted) throw err;
    const window = overflowWindow(last);
    if (window !== undefined) floor = Math.max(floor, overflowed(target, last, window, trace));
    else if (fallsBack(last)) failed(target, last, trace);
    else throw err;
    ctx.routed?.(trace);
    return floor;
  }

  return {
    kind: "router",

    // The model is resolved per target, once the route is known.
    resolveModel: (model) => Promise.resolve(model),

    async complete(request: MessagesRequest, ctx: CallContext): Promise<MessageResponse> {
      const { trace, targets, both } = start(request, ctx);
      let last: RelayError | undefined;
      let floor = 0;
      for (const target of targets) {
        const warnings = attemptWarnings(ctx);
        try {
          const call = await contextFor(target, request, ctx, trace);
          if (tooSmall(call, floor, trace)) continue;
          const sent = forTarget(call.backend, both, warnings.warn);
          return warnings.served(await call.backend.complete(sent, { ...call.ctx, warn: warnings.warn }));
        } catch (err) {
          last = toRelayError(err);
          floor = afterFailure(err, last, target, ctx, trace, floor);
        }
      }
      throw last ?? new RelayError("api_error", "no target to try");
    },

    async *stream(request: MessagesRequest, ctx: CallContext): AsyncGenerator<StreamEvent[]> {
      const { trace, targets, both } = start(request, ctx);
      let last: RelayError | undefined;
      let floor = 0;
      for (const target of targets) {
        const warnings = attemptWarnings(ctx);
        let iterator: AsyncIterator<StreamEvent[]> | undefined;
        let first: IteratorResult<StreamEvent[]>;
        try {
          const call = await contextFor(target, request, ctx, trace);
          if (tooSmall(call, floor, trace)) continue;
          iterator = call.backend.stream(forTarget(call.backend, both, warnings.warn), {
            ...call.ctx,
            warn: warnings.warn,
          })[Symbol.asyncIterator]();
          first = warnings.served(await iterator.next());
        } catch (err) {
          last = toRelayError(err);
          floor = afterFailure(err, last, target, ctx, trace, floor);
          continue;
        }
        // The first batch is on its way to the client: from here the stream is this target's.
        try {
          for (let r = first; !r.done; r = await iterator.next()) yield r.value;
        } finally {
          await iterator.return?.();
        }
        return;
      }
      throw last ?? new RelayError("api_error", "no target to try");
    },

    async countTokens(request: CountTokensRequest, ctx: CallContext): Promise<number | undefined> {
      const both = prepare(request);
      const view = matchView(both);
      const target = order(pick({ ...view, max_tokens: view.max_tokens ?? 1 }))[0]!;
      const backend = options.backends[target.backend];
      if (!backend) return undefined;
      const model = target.model ?? await backend.resolveModel(request.model);
      const counted = origins ? withOrigin(backend, target.backend) : backend;
      return await counted.countTokens(forTarget(counted, both, ctx.warn), { ...ctx, model });
    },

    async listModels(): Promise<ModelInfo[]> {
      const seen = new Map<string, ModelInfo>();
      for (const route of options.routes) {
        for (const target of route.to) {
          const backend = options.backends[target.backend];
          const models = target.model !== undefined
            ? [{
              id: target.model,
              display_name: `${target.model} (${target.backend})`,
              upstream: target.model,
            }]
            : await backend?.listModels() ?? [];
          for (const m of models) if (!seen.has(m.id)) seen.set(m.id, withLimits(m, backend));
        }
      }
      return [...seen.values()];
    },

    async describe(): Promise<string> {
      const backends = [];
      for (const [name, backend] of Object.entries(options.backends)) {
        backends.push({ name, kind: backend.kind, description: await backend.describe() });
      }
      return describeRoutes(backends, options.routes);
    },
  };
}
