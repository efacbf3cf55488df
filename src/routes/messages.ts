/**
 * `POST /v1/messages`: parse, prepare, hand to the backend, and answer as JSON or as an SSE stream.
 *
 * @module
 */
import type { Context } from "hono";
import { parseMessagesRequest } from "../anthropic/parse.ts";
import { sseStream } from "../anthropic/sse.ts";
import type { MessageResponse, MessagesRequest, StreamEvent } from "../anthropic/types.ts";
import { type CallContext, preparesItself } from "../backends/backend.ts";
import { RelayError } from "../errors.ts";
import { randomIds } from "../ids.ts";
import type { RequestLog } from "../log.ts";
import type { Redactor } from "../redact.ts";
import { prepareRequest } from "../translate/prepare.ts";
import { webSearchSpec, withoutSearchTool } from "../web_search/web_search_tool.ts";
import { parseJsonBody, readText } from "./_body.ts";
import { type CallAbort, callAbort, untilAborted } from "./_call_abort.ts";
import { deadline } from "./_deadline.ts";
import { type AppEnv, type RequestState, type RouteDeps, warningsHeader } from "./_context.ts";

/** Handles `POST /v1/messages`. */
export async function messagesRoute(c: Context<AppEnv>, deps: RouteDeps): Promise<Response> {
  const state = c.get("state");
  const parsed = await readRequest(c, deps);
  const warn = (w: string) => state.warnings.push(w);
  // relayx runs Anthropic's web search itself (src/web_search/): the backend gets the tool in the context.
  const webSearch = webSearchSpec(parsed.tools, parsed.tool_choice);
  const asked = webSearch ? withoutSearchTool(parsed, webSearch) : parsed;
  const request = preparesItself(deps.backend.kind) ? asked : prepareRequest(asked, warn);
  const record = state.record;
  record.model = request.model;
  record.stream = request.stream === true;
  const upstreamModel = await deps.backend.resolveModel(request.model);
  record.upstream_model = upstreamModel;

  // Aborted when the client goes away (the request signal), at the shutdown cutoff, or when the stream
  // is cancelled.
  const call = callAbort(c.req.raw.signal, deps.cutoff);
  const signal = call.controller.signal;
  const ctx: CallContext = {
    model: upstreamModel,
    signal,
    requestId: record.request_id,
    warn,
    ids: deps.ids ?? randomIds,
    ...(webSearch ? { webSearch } : {}),
    routed(trace) {
      record.route = trace.route;
      record.target = trace.served;
      if (trace.upstreamModel !== undefined) record.upstream_model = trace.upstreamModel;
      record.tried = trace.tried.length > 0 ? [...trace.tried] : undefined;
    },
  };
  const headers = new Headers({ "request-id": record.request_id });

  if (!request.stream) {
    try {
      const message = await untilAborted(deps.backend.complete(request, ctx), signal);
      return jsonAnswer(message, state, headers, deps.redact);
    } finally {
      call.release();
    }
  }
  const iterator = deps.backend.stream(request, ctx)[Symbol.asyncIterator]();
  const next = iterator.next();
  let first: StreamEvent[] | "late";
  try {
    first = await _firstBatch(next, deps.limits.pingMs, signal);
  } catch (err) {
    call.release();
    call.controller.abort(err);
    iterator.return?.().catch(() => {});
    throw err;
  }
  return sseAnswer(c, deps, iterator, first === "late" ? { pending: next } : { first }, call, headers);
}

// The body's text lives in this function's frame only: a suspended async function keeps what its
// registers held, so read in the route itself, the whole text (98 KB of Claude Code's request) would stay
// alive until the upstream answers (a heap snapshot of a waiting request showed it).
async function readRequest(c: Context<AppEnv>, deps: RouteDeps): Promise<MessagesRequest> {
  const text = await readText(c.req.raw, { timeoutMs: deps.limits.bodyReadMs });
  return parseBody(text, c.req.header("anthropic-beta") ?? null, deps);
}

// The tools Claude Code resends on every turn are parsed and validated once (repeated_parts.ts); a body
// that repeats none is parsed in full, and its parts are remembered for the next.
function parseBody(text: string, beta: string | null, deps: RouteDeps): MessagesRequest {
  const repeated = deps.repeated;
  const split = repeated?.split(text);
  if (split) return parseMessagesRequest(split.raw, beta, deps.limits, split.known);
  const raw = parseJsonBody(text);
  const parsed = parseMessagesRequest(raw, beta, deps.limits);
  repeated?.learn(text, raw);
  return parsed;
}

/**
 * The upstream's first batch, pulled before committing to a 200 so that an upstream failing before its
 * first byte gets a proper HTTP error, whose status drives the client's retries; "late" when the upstream
 * has not answered within one ping interval: then the 200 is committed and pings flow, so that the
 * client does not give up on a model thinking before its first token.
 */
async function _firstBatch(
  next: Promise<IteratorResult<StreamEvent[]>>,
  pingMs: number,
  signal: AbortSignal,
): Promise<StreamEvent[] | "late"> {
  const { promise: late, resolve } = Promise.withResolvers<"late">();
  const cancel = deadline(pingMs, () => resolve("late"));
  // The stream takes `next` over when it is late; until then a rejection is handled here.
  next.catch(() => {});
  try {
    const result = await untilAborted(Promise.race([next, late]), signal);
    if (result === "late") return result;
    if (result.done) throw new RelayError("api_error", "Upstream returned an empty stream");
    return result.value;
  } finally {
    cancel();
  }
}

function jsonAnswer(
  message: MessageResponse,
  state: RequestState,
  headers: Headers,
  redact: Redactor,
): Response {
  const record = state.record;
  record.input_tokens = message.usage.input_tokens;
  record.output_tokens = message.usage.output_tokens;
  record.cache_read_input_tokens = message.usage.cache_read_input_tokens;
  record.cache_creation_input_tokens = message.usage.cache_creation_input_tokens;
  headers.set("content-type", "application/json");
  if (state.warnings.length) headers.set("x-relayx-warnings", warningsHeader(state.warnings, redact));
  return new Response(JSON.stringify(message), { status: 200, headers });
}

// message_start carries the usage known at the start; a message_delta's figures overwrite it.
function recordUsage(record: RequestLog, event: StreamEvent): void {
  if (event.type === "message_start") {
    const u = event.message.usage;
    record.input_tokens = u.input_tokens;
    record.cache_read_input_tokens = u.cache_read_input_tokens;
    record.cache_creation_input_tokens = u.cache_creation_input_tokens;
  } else if (event.type === "message_delta") {
    const u = event.usage;
    record.output_tokens = u.output_tokens;
    if (u.input_tokens !== undefined) record.input_tokens = u.input_tokens;
    if (u.cache_read_input_tokens !== undefined) {
      record.cache_read_input_tokens = u.cache_read_input_tokens;
    }
    if (u.cache_creation_input_tokens !== undefined) {
      record.cache_creation_input_tokens = u.cache_creation_input_tokens;
    }
  }
}

// The stream's answer once the upstream has sent its first batch or was slow to: the route logs when the
// stream ends.
function sseAnswer(
  c: Context<AppEnv>,
  deps: RouteDeps,
  iterator: AsyncIterator<StreamEvent[]>,
  start: { first: StreamEvent[] } | { pending: Promise<IteratorResult<StreamEvent[]>> },
  call: CallAbort,
  headers: Headers,
): Response {
  const state = c.get("state");
  const record = state.record;
  state.deferLog = true;
  const log = deps.log;
  const body = sseStream(iterator, {
    ...start,
    pingMs: deps.limits.pingMs,
    signal: call.controller.signal,
    observe(event) {
      if (record.ttfb_ms === undefined) record.ttfb_ms = round(performance.now() - state.start);
      recordUsage(record, event);
    },
    onEnd(error) {
      call.release();
      record.status = 200;
      if (error) {
        // The upstream call ends with the stream (a no-op when it failed by itself).
        call.controller.abort(error);
        // The response was a 200; a failure inside the stream is logged as its error's status and type
        // (499: the client left).
        record.status = error.status;
        record.error_type = error.type;
        record.error = error.message;
      }
      record.total_ms = round(performance.now() - state.start);
      if (state.warnings.length) record.warnings = state.warnings;
      log?.(record);
    },
  });
  headers.set("content-type", "text/event-stream; charset=utf-8");
  headers.set("cache-control", "no-cache");
  if (state.warnings.length) headers.set("x-relayx-warnings", warningsHeader(state.warnings, deps.redact));
  return new Response(body, { status: 200, headers });
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
