/**
 * `POST /v1/messages/count_tokens`.
 *
 * @module
 */
import type { Context } from "hono";
import { parseCountTokensRequest } from "../anthropic/parse.ts";
import { randomIds } from "../ids.ts";
import { prepareRequest } from "../translate/prepare.ts";
import { readJson } from "./_body.ts";
import { type AppDeps, type AppEnv, warningsHeader } from "./_context.ts";

/** Handles `POST /v1/messages/count_tokens`. */
export async function countTokensRoute(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  const state = c.get("state");
  const raw = await readJson(c.req.raw, { timeoutMs: deps.limits?.bodyReadMs });
  const warn = (w: string) => state.warnings.push(w);
  const request = prepareRequest(parseCountTokensRequest(raw, c.req.header("anthropic-beta") ?? null), warn);
  state.record.model = request.model;
  const model = await deps.backend.resolveModel(request.model);
  state.record.upstream_model = model;
  const inputTokens = await deps.backend.countTokens(request, {
    model,
    signal: c.req.raw.signal,
    requestId: state.record.request_id,
    warn,
    ids: deps.ids ?? randomIds,
  });
  state.record.input_tokens = inputTokens;
  const headers = new Headers({ "content-type": "application/json", "request-id": state.record.request_id });
  if (state.warnings.length) headers.set("x-relayx-warnings", warningsHeader(state.warnings));
  return new Response(JSON.stringify({ input_tokens: inputTokens }), { status: 200, headers });
}
