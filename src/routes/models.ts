/**
 * `GET /v1/models` and `GET /v1/models/{id}` in Anthropic's shape.
 *
 * @module
 */
import type { Context } from "hono";
import type { Backend, ModelInfo } from "../backends/backend.ts";
import { RelayError } from "../errors.ts";
import type { AppDeps, AppEnv } from "./_context.ts";

const CREATED = "2025-01-01T00:00:00Z";

// The limits come from the lister (the router, per target) or from the backend's model registry; null
// where neither knows them.
function entry(m: ModelInfo, backend: Backend) {
  const spec = m.contextWindow === undefined && m.maxOutputTokens === undefined
    ? backend.modelSpec?.(m.upstream)
    : m;
  return {
    type: "model",
    id: m.id,
    display_name: m.display_name,
    created_at: CREATED,
    max_input_tokens: spec?.contextWindow ?? null,
    max_tokens: spec?.maxOutputTokens ?? null,
    capabilities: null,
  };
}

/** The slice of a list a page shows, and whether more lie beyond it in the direction of travel. */
interface Page {
  start: number;
  end: number;
  hasMore: boolean;
}

/**
 * Anthropic's paging: `limit` items (1-1000, default 20) from the start, right after `after_id`, or right
 * before `before_id`. An id that is not in the list gives an empty last page, so that a client paging
 * through a list that changed under it stops instead of starting over.
 */
function page(ids: string[], query: (name: string) => string | undefined): Page {
  const limit = Math.min(Math.max(Number(query("limit") ?? "20") || 20, 1), 1000);
  const afterId = query("after_id");
  const beforeId = query("before_id");
  if (afterId !== undefined && beforeId !== undefined) {
    throw new RelayError("invalid_request_error", "before_id: cannot be combined with after_id", {
      shouldRetry: false,
    });
  }
  const cursor = afterId ?? beforeId;
  const at = cursor === undefined ? -1 : ids.indexOf(cursor);
  if (cursor !== undefined && at < 0) return { start: 0, end: 0, hasMore: false };
  if (beforeId !== undefined) {
    const start = Math.max(0, at - limit);
    return { start, end: at, hasMore: start > 0 };
  }
  const start = at + 1;
  const end = Math.min(start + limit, ids.length);
  return { start, end, hasMore: end < ids.length };
}

/** Handles `GET /v1/models`. */
export async function listModelsRoute(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  const models = (await deps.backend.listModels()).map((m) => entry(m, deps.backend));
  const { start, end, hasMore } = page(models.map((m) => m.id), (name) => c.req.query(name));
  const data = models.slice(start, end);
  return c.json({
    data,
    has_more: hasMore,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  });
}

/** Handles `GET /v1/models/{id}`. */
export async function getModelRoute(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const found = (await deps.backend.listModels()).find((m) => m.id === id);
  if (found) return c.json(entry(found, deps.backend));
  // Any name is routable (Claude names map, others pass through), so an unlisted id is still described.
  const upstream = await deps.backend.resolveModel(id);
  if (!upstream) throw new RelayError("not_found_error", `model: ${id}`);
  return c.json(entry({ id, display_name: id, upstream }, deps.backend));
}
