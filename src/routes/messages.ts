/**
 * `POST /v1/messages`: parse, prepare, hand to the backend, and answer as JSON or as an SSE stream.
 *
 * @module
 */
import type { Context } from "hono";
import { parseMessagesRequest } from "../anthropic/parse.ts";
import { sseStream } from "../anthropic/sse.ts";
import type { MessageResponse, StreamEvent } from "../anthropic/types.ts";
import type { CallContext } from "../backends/backend.ts";
import { RelayError } from "../errors.ts";
import { randomIds } from "../ids.ts";
import type { RequestLog } from "../log.ts";
import { prepareRequest } from "../translate/prepare.ts";
import { readJson } from "./_body.ts";
import { type AppDeps, type AppEnv, type RequestState, warningsHeader } from "./_context.ts";

/** Handles `POST /v1/messages`. */
export async function messagesRoute(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  const state = c.get("state");
  const raw = await readJson(c.req.raw);
  const warn = (w: string) => state.warnings.push(w);
  const parsed = parseMessagesRequest(raw, c.req.header("anthropic-beta") ?? null, deps.limits);
  const request = prepareRequest(parsed, warn);
  const record = state.record;
  record.model = request.model;
  record.stream = request.stream === true;
  const upstreamModel = await deps.backend.resolveModel(request.model);
  record.upstream_model = upstreamModel;

  // Aborted when the client goes away (the request signal) or the stream is cancelled.
  const abort = new AbortController();
  const onClientGone = () => abort.abort(new RelayError("api_error", "Client disconnected", { status: 499 }));
  c.req.raw.signal.addEventListener("abort", onClientGone, { once: true });
  const ctx: CallContext = {
    model: upstreamModel,
    signal: abort.signal,
    requestId: record.request_id,
    warn,
    ids: deps.ids ?? randomIds,
  };
  const headers = new Headers({ "request-id": record.request_id });

  if (!request.stream) {
    try {
      return jsonAnswer(await deps.backend.complete(request, ctx), state, headers);
    } finally {
      c.req.raw.signal.removeEventListener("abort", onClientGone);
    }
  }
  const iterator = deps.backend.stream(request, ctx)[Symbol.asyncIterator]();
  let first: IteratorResult<StreamEvent[]>;
  try {
    // Pull one event before committing to a 200: an upstream that fails before its first byte gets a
    // proper HTTP error, whose status drives the client's retries.
    first = await iterator.next();
  } catch (err) {
    c.req.raw.signal.removeEventListener("abort", onClientGone);
    abort.abort();
    throw err;
  }
  if (first.done) {
    c.req.raw.signal.removeEventListener("abort", onClientGone);
    throw new RelayError("api_error", "Upstream returned an empty stream");
  }
  return sseAnswer(c, deps, iterator, first.value, abort, onClientGone, headers);
}

function jsonAnswer(message: MessageResponse, state: RequestState, headers: Headers): Response {
  const record = state.record;
  record.input_tokens = message.usage.input_tokens;
  record.output_tokens = message.usage.output_tokens;
  record.cache_read_input_tokens = message.usage.cache_read_input_tokens;
  record.cache_creation_input_tokens = message.usage.cache_creation_input_tokens;
  headers.set("content-type", "application/json");
  if (state.warnings.length) headers.set("x-relayx-warnings", warningsHeader(state.warnings));
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

// The stream's answer once the upstream has sent its first batch: the route logs when the stream ends.
function sseAnswer(
  c: Context<AppEnv>,
  deps: AppDeps,
  iterator: AsyncIterator<StreamEvent[]>,
  first: StreamEvent[],
  abort: AbortController,
  onClientGone: () => void,
  headers: Headers,
): Response {
  const state = c.get("state");
  const record = state.record;
  state.deferLog = true;
  const log = deps.log;
  const body = sseStream(iterator, {
    first,
    pingMs: deps.pingMs,
    observe(event) {
      if (record.ttfb_ms === undefined) record.ttfb_ms = round(performance.now() - state.start);
      recordUsage(record, event);
    },
    onEnd(error) {
      c.req.raw.signal.removeEventListener("abort", onClientGone);
      // The response was a 200; a failure inside the stream is logged as its error type (499: the client left).
      record.status = error?.status === 499 ? 499 : 200;
      if (error) {
        if (error.status === 499) abort.abort();
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
  if (state.warnings.length) headers.set("x-relayx-warnings", warningsHeader(state.warnings));
  return new Response(body, { status: 200, headers });
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
