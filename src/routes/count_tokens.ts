/**
 * `POST /v1/messages/count_tokens`: the upstream's count where it has a counting API, else relayx's
 * tokenizer (in a worker, bounded), else relayx's estimate. The `x-relayx-token-count` header says which:
 * `upstream`, `tokenizer` or `estimate` (with the reason in `x-relayx-warnings`).
 *
 * @module
 */
import type { Context } from "hono";
import { parseCountTokensRequest } from "../anthropic/parse.ts";
import { preparesItself } from "../backends/backend.ts";
import { randomIds } from "../ids.ts";
import { sharedTokenCounter } from "../tokens/token_counter.ts";
import { preparedView, prepareRequest } from "../translate/prepare.ts";
import { searchFunctionTool, webSearchSpec, withoutSearchTool } from "../web_search/web_search_tool.ts";
import { readJson } from "./_body.ts";
import { type AppEnv, type RouteDeps, warningsHeader } from "./_context.ts";

/** Handles `POST /v1/messages/count_tokens`. */
export async function countTokensRoute(c: Context<AppEnv>, deps: RouteDeps): Promise<Response> {
  const state = c.get("state");
  const raw = await readJson(c.req.raw, { timeoutMs: deps.limits?.bodyReadMs });
  const warn = (w: string) => state.warnings.push(w);
  const parsed = parseCountTokensRequest(raw, c.req.header("anthropic-beta") ?? null, deps.limits);
  // As the messages route does: the web search tool goes to the backend in the context, which counts what
  // its upstream would get (relayx's stand-in tool, or the server tool for an upstream that runs it).
  const webSearch = webSearchSpec(parsed.tools, parsed.tool_choice);
  const asked = webSearch ? withoutSearchTool(parsed, webSearch) : parsed;
  const request = preparesItself(deps.backend.kind) ? asked : prepareRequest(asked, warn);
  state.record.model = request.model;
  const model = await deps.backend.resolveModel(request.model);
  state.record.upstream_model = model;
  const signal = c.req.raw.signal;
  const upstream = await deps.backend.countTokens(request, {
    model,
    signal,
    requestId: state.record.request_id,
    warn,
    ids: deps.ids ?? randomIds,
    ...(webSearch ? { webSearch } : {}),
  });
  let inputTokens = upstream;
  let method = "upstream";
  if (inputTokens === undefined) {
    // relayx counts what an upstream reads: the request prepared (deferred tools never loaded and history
    // before a compaction are not read), and the function tool that stands in for the web search tool.
    const read = preparesItself(deps.backend.kind) ? preparedView(asked) : request;
    const counting = webSearch
      ? { ...read, tools: [...(read.tools ?? []), searchFunctionTool(webSearch)] }
      : read;
    const counted = await (deps.tokenCounter ?? sharedTokenCounter()).count(counting, signal);
    inputTokens = counted.tokens;
    method = counted.method;
    if (counted.method === "estimate") warn(`count_tokens: estimated, not tokenized: ${counted.reason}`);
  }
  state.record.input_tokens = inputTokens;
  const headers = new Headers({
    "content-type": "application/json",
    "request-id": state.record.request_id,
    "x-relayx-token-count": method,
  });
  if (state.warnings.length) headers.set("x-relayx-warnings", warningsHeader(state.warnings, deps.redact));
  return new Response(JSON.stringify({ input_tokens: inputTokens }), { status: 200, headers });
}
