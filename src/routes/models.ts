/**
 * `GET /v1/models` and `GET /v1/models/{id}` in Anthropic's shape.
 *
 * @module
 */
import type { Context } from "hono";
import type { ModelInfo } from "../backends/backend.ts";
import { RelayError } from "../errors.ts";
import type { AppDeps, AppEnv } from "./_context.ts";

const CREATED = "2025-01-01T00:00:00Z";

function entry(m: ModelInfo) {
  return {
    type: "model",
    id: m.id,
    display_name: m.display_name,
    created_at: CREATED,
    max_input_tokens: null,
    max_tokens: null,
    capabilities: null,
  };
}

/** Handles `GET /v1/models`. */
export async function listModelsRoute(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  const models = (await deps.backend.listModels()).map(entry);
  const limit = Math.min(Math.max(Number(c.req.query("limit") ?? "20") || 20, 1), 1000);
  const afterId = c.req.query("after_id");
  const start = afterId ? models.findIndex((m) => m.id === afterId) + 1 : 0;
  const data = models.slice(start, start + limit);
  return c.json({
    data,
    has_more: start + limit < models.length,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  });
}

/** Handles `GET /v1/models/{id}`. */
export async function getModelRoute(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const found = (await deps.backend.listModels()).find((m) => m.id === id);
  if (found) return c.json(entry(found));
  // Any name is routable (Claude names map, others pass through), so an unlisted id is still described.
  const upstream = await deps.backend.resolveModel(id);
  if (!upstream) throw new RelayError("not_found_error", `model: ${id}`);
  return c.json(entry({ id, display_name: id, upstream }));
}
