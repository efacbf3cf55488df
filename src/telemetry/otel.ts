/**
 * OpenTelemetry for relayx replicas: each finished model call (POST /v1/messages) becomes a span with the
 * GenAI semantic conventions' attributes, and counters and histograms of tokens, cost, errors and
 * latency by backend and model, built from the same log record as the usage record. Deno's built-in
 * OpenTelemetry (`OTEL_DENO=true`) exports them over OTLP with its automatic HTTP spans; the span is a
 * child of Deno's server span for the request.
 *
 * Figures and names only: never a prompt, a completion, an error message or a key. The names the client
 * chose (model, session, client) pass the redactor, as in the log line and the usage record.
 *
 * main.ts imports this module only when {@linkcode otelEnabled} is true, so that a relayx without
 * OpenTelemetry neither loads the API nor does any work per request.
 *
 * @module
 */
import {
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import type { GenAiBackend } from "./gen_ai_system.ts";
import { genAiSystem } from "./gen_ai_system.ts";
import type { RequestLog } from "../log.ts";
import type { Redactor } from "../redact.ts";
import type { PriceOf } from "../usage/cost.ts";
import { toUsageRecord, type UsageRecord } from "../usage/usage_record.ts";
import { MAX_NAME } from "../usage/usage_recorder.ts";
import { VERSION } from "../version.ts";

export { otelEnabled } from "./otel_enabled.ts";

/** Options for {@linkcode createTelemetry}. */
export interface TelemetryOptions {
  /** Prices by upstream model and backend, as for the usage records. */
  priceOf: PriceOf;
  /** The configured backends by name, for `gen_ai.system` (a one-backend relayx: by kind). */
  backends?: Readonly<Record<string, GenAiBackend>>;
  /** Hides secrets in the names the client chose; without one they are kept as sent, bounded. */
  redact?: Redactor;
  /** Where spans go (default: the global tracer provider's `relayx` tracer, Deno's when OTEL_DENO=true). */
  tracer?: Pick<Tracer, "startSpan">;
  /** Where measurements go (default: the global meter provider's `relayx` meter). */
  meter?: Pick<Meter, "createCounter" | "createHistogram">;
  /** The clock (default `Date.now`). */
  now?: () => number;
}

/** The instrument names relayx records, beside the GenAI conventions' own. */
export const METRICS = {
  /** Histogram of tokens per request, `gen_ai.token.type` input (cached included) or output. */
  tokenUsage: "gen_ai.client.token.usage",
  /** Histogram of seconds per request, with `error.type` on failures. */
  duration: "gen_ai.client.operation.duration",
  /** Histogram of seconds to the first stream event (streams only). */
  timeToFirstByte: "relayx.client.time_to_first_byte",
  /** Counter of tokens, `relayx.token.type` input (uncached), output, cache_read or cache_write. */
  tokens: "relayx.tokens",
  /** Counter of US dollars, over the requests whose price is known. */
  cost: "relayx.cost",
  /** Counter of model calls, with `http.response.status_code` and `error.type` on failures. */
  requests: "relayx.requests",
  /** Counter of failed model calls, by `error.type`. */
  errors: "relayx.errors",
} as const;

interface _Instruments {
  tokenUsage: Histogram;
  duration: Histogram;
  timeToFirstByte: Histogram;
  tokens: Counter;
  cost: Counter;
  requests: Counter;
  errors: Counter;
}

// The conventions' advised buckets: tokens in powers of 4, seconds doubling from 10 ms.
const TOKEN_BUCKETS = Array.from({ length: 14 }, (_, i) => 4 ** i);
const SECOND_BUCKETS = Array.from({ length: 14 }, (_, i) => 0.01 * 2 ** i);

function _instruments(meter: Pick<Meter, "createCounter" | "createHistogram">): _Instruments {
  const seconds = (name: string, description: string) =>
    meter.createHistogram(name, {
      description,
      unit: "s",
      advice: { explicitBucketBoundaries: SECOND_BUCKETS },
    });
  return {
    tokenUsage: meter.createHistogram(METRICS.tokenUsage, {
      description: "Tokens used per model call",
      unit: "{token}",
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    }),
    duration: seconds(METRICS.duration, "Duration of a model call through relayx"),
    timeToFirstByte: seconds(METRICS.timeToFirstByte, "Time to the first stream event of a model call"),
    tokens: meter.createCounter(METRICS.tokens, { description: "Tokens by type", unit: "{token}" }),
    cost: meter.createCounter(METRICS.cost, {
      description: "Cost at the model registry's prices",
      unit: "USD",
    }),
    requests: meter.createCounter(METRICS.requests, { description: "Model calls", unit: "{request}" }),
    errors: meter.createCounter(METRICS.errors, { description: "Failed model calls", unit: "{request}" }),
  };
}

/**
 * The hook that records one finished request's span and measurements (requests other than model calls
 * are skipped): give it the log record, as the usage recorder gets it.
 *
 * @example Record into the global providers (no-ops unless Deno runs with OTEL_DENO=true)
 * ```ts
 * const record = createTelemetry({ priceOf: () => ({ input: 3, output: 15 }) });
 * record({
 *   request_id: "req_1", backend: "bedrock", method: "POST", path: "/v1/messages", status: 200,
 *   model: "claude-sonnet-4-5", upstream_model: "m", input_tokens: 10, output_tokens: 2, total_ms: 120,
 * });
 * ```
 */
export function createTelemetry(options: TelemetryOptions): (entry: RequestLog) => void {
  const tracer = options.tracer ?? trace.getTracer("relayx", VERSION);
  const instruments = _instruments(options.meter ?? metrics.getMeter("relayx", VERSION));
  const now = options.now ?? Date.now;
  const redact = options.redact;
  const name = (text: string | undefined) =>
    text === undefined ? undefined : redact ? redact.text(text, MAX_NAME) : text.slice(0, MAX_NAME);
  const systemOf = _systems(options.backends ?? {});
  return (entry) => {
    const record = toUsageRecord(entry, now(), options.priceOf);
    if (!record) return;
    // A client may send anything as a model name or header; only what passes the redactor goes out.
    record.model = name(record.model);
    record.upstreamModel = name(record.upstreamModel);
    record.session = name(record.session);
    record.client = name(record.client);
    const backend = _backendName(record);
    const common = _commonAttributes(record, backend, systemOf(backend));
    _span(tracer, record, common);
    _measure(instruments, record, common);
  };
}

// What the span and every measurement share: few values each, so that metrics stay low in cardinality.
// The model a client asked for is any string it sends, so it is on the span only; the measurements name
// the upstream model of requests an upstream served (the names it accepts), never a refused name.
function _commonAttributes(r: UsageRecord, backend: string, system: string): Attributes {
  const a: Attributes = {
    "gen_ai.operation.name": "chat",
    "gen_ai.system": system,
    "gen_ai.provider.name": system,
    "relayx.backend": backend,
  };
  if (r.upstreamModel !== undefined && r.status < 400) a["gen_ai.response.model"] = r.upstreamModel;
  if (r.route !== undefined) a["relayx.route"] = r.route;
  return a;
}

// The conventions' error.type: the Anthropic error type, else the status of an answer that failed (499
// when the client left).
function _errorType(r: UsageRecord): string | undefined {
  return r.errorType ?? (r.status >= 400 ? String(r.status) : undefined);
}

// One CLIENT span per model call, timed by the record, under the active span (Deno's server span).
function _span(tracer: Pick<Tracer, "startSpan">, r: UsageRecord, common: Attributes): void {
  const a: Attributes = {
    ...common,
    ...(r.model === undefined ? {} : { "gen_ai.request.model": r.model }),
    ...(r.upstreamModel === undefined ? {} : { "gen_ai.response.model": r.upstreamModel }),
    "gen_ai.usage.input_tokens": r.inputTokens + r.cacheReadTokens + r.cacheWriteTokens,
    "gen_ai.usage.output_tokens": r.outputTokens,
    "gen_ai.usage.cache_read.input_tokens": r.cacheReadTokens,
    "gen_ai.usage.cache_creation.input_tokens": r.cacheWriteTokens,
    "http.response.status_code": r.status,
    "relayx.request_id": r.requestId,
    "relayx.stream": r.stream,
    "relayx.total_ms": r.totalMs,
  };
  if (r.target !== undefined) a["relayx.target"] = r.target;
  if (r.tried.length) a["relayx.tried"] = r.tried;
  if (r.session !== undefined) a["session.id"] = r.session;
  if (r.client !== undefined) a["relayx.client"] = r.client;
  if (r.cost !== undefined) a["relayx.cost_usd"] = r.cost;
  if (r.ttfbMs !== undefined) a["relayx.ttfb_ms"] = r.ttfbMs;
  const error = _errorType(r);
  if (error !== undefined) a["error.type"] = error;
  const model = r.model ?? r.upstreamModel;
  const span = tracer.startSpan(model === undefined ? "chat" : `chat ${model}`, {
    kind: SpanKind.CLIENT,
    startTime: r.time,
    attributes: a,
  });
  // The type only: an error's message may quote the request.
  if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  span.end(r.time + r.totalMs);
}

function _measure(m: _Instruments, r: UsageRecord, common: Attributes): void {
  const error = _errorType(r);
  const outcome: Attributes = { ...common, "http.response.status_code": r.status };
  if (error !== undefined) outcome["error.type"] = error;
  m.requests.add(1, outcome);
  if (error !== undefined) m.errors.add(1, outcome);
  m.duration.record(r.totalMs / 1000, outcome);
  if (r.ttfbMs !== undefined) m.timeToFirstByte.record(r.ttfbMs / 1000, common);
  const input = r.inputTokens + r.cacheReadTokens + r.cacheWriteTokens;
  // The conventions count cached input as input; relayx's counter keeps the four kinds apart, as the
  // usage records do.
  if (input > 0) m.tokenUsage.record(input, { ...common, "gen_ai.token.type": "input" });
  if (r.outputTokens > 0) m.tokenUsage.record(r.outputTokens, { ...common, "gen_ai.token.type": "output" });
  const kinds: [string, number][] = [
    ["input", r.inputTokens],
    ["output", r.outputTokens],
    ["cache_read", r.cacheReadTokens],
    ["cache_write", r.cacheWriteTokens],
  ];
  for (const [type, count] of kinds) {
    if (count > 0) m.tokens.add(count, { ...common, "relayx.token.type": type });
  }
  if (r.cost !== undefined && r.cost > 0) m.cost.add(r.cost, common);
}

// The backend name of a target (`NAME` of `NAME/MODEL`), else the backend kind.
function _backendName(r: UsageRecord): string {
  const target = r.target;
  if (target === undefined) return r.backend;
  const slash = target.indexOf("/");
  return slash === -1 ? target : target.slice(0, slash);
}

// By backend name, or by kind in a one-backend relayx (whose records carry the kind).
function _systems(backends: Readonly<Record<string, GenAiBackend>>): (backend: string) => string {
  const known = new Map<string, string>();
  for (const [name, b] of Object.entries(backends)) {
    known.set(name, genAiSystem(b));
    if (!known.has(b.kind)) known.set(b.kind, genAiSystem(b));
  }
  return (backend) => known.get(backend) ?? backend;
}
