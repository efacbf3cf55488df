/**
 * A local OTLP/HTTP receiver (an OpenTelemetry collector's front door) for tests: it listens on
 * 127.0.0.1, accepts `POST /v1/traces`, `/v1/metrics` and `/v1/logs` as JSON (the exporter must run with
 * `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`; protobuf is answered 415), keeps every body as received, and
 * flattens spans and metric data points with their attributes as plain values.
 *
 * @example
 * ```ts
 * await using otlp = await startOtlpReceiver();
 * // OTEL_DENO=true OTEL_EXPORTER_OTLP_ENDPOINT=${otlp.url} OTEL_EXPORTER_OTLP_PROTOCOL=http/json ...
 * const spans = await otlp.waitFor(() => otlp.spans().filter((s) => s.name.startsWith("chat")), 2);
 * ```
 *
 * @module
 */

/** An attribute value as sent (int64 values arrive as strings in OTLP JSON; they are numbers here). */
export type OtlpValue = string | number | boolean | OtlpValue[] | undefined;

/** One received span. */
export interface OtlpSpan {
  /** The instrumentation scope's name (`deno` for Deno's own spans). */
  scope: string;
  name: string;
  /** 1 internal, 2 server, 3 client. */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  attributes: Record<string, OtlpValue>;
  /** The resource's attributes (`service.name` ...). */
  resource: Record<string, OtlpValue>;
}

/** One data point of a received metric. */
export interface OtlpPoint {
  scope: string;
  metric: string;
  unit: string;
  /** `sum` for counters, `histogram` for histograms. */
  type: string;
  attributes: Record<string, OtlpValue>;
  /** A counter's value. */
  value?: number;
  /** A histogram's count of measurements. */
  count?: number;
  /** A histogram's sum of measurements. */
  sum?: number;
}

/** A running receiver; see {@linkcode startOtlpReceiver}. */
export interface OtlpReceiver extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly url: string;
  /** Every body received, by path, in order (for checking what must never be sent). */
  readonly bodies: { path: string; text: string }[];
  /** Every span received. */
  spans(): OtlpSpan[];
  /**
   * The data points of each metric from the latest export that carried it: with cumulative temporality
   * (Deno's default), the totals so far.
   */
  points(): OtlpPoint[];
  /** Polls `find` until it returns at least `count` items; rejects after `timeoutMs` (default 20,000). */
  waitFor<T>(find: () => T[], count: number, timeoutMs?: number): Promise<T[]>;
  /** Stops the server. */
  close(): Promise<void>;
}

type _Json = Record<string, unknown>;

function _list(value: unknown): _Json[] {
  return Array.isArray(value) ? value.filter((v): v is _Json => typeof v === "object" && v !== null) : [];
}

function _value(any: unknown): OtlpValue {
  if (typeof any !== "object" || any === null) return undefined;
  const v = any as _Json;
  if ("stringValue" in v) return String(v.stringValue);
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return Number(v.doubleValue);
  if ("boolValue" in v) return v.boolValue === true;
  if ("arrayValue" in v) return _list((v.arrayValue as _Json | undefined)?.values).map(_value);
  return undefined;
}

function _attributes(list: unknown): Record<string, OtlpValue> {
  const out: Record<string, OtlpValue> = {};
  for (const kv of _list(list)) out[String(kv.key)] = _value(kv.value);
  return out;
}

function _spans(body: _Json): OtlpSpan[] {
  return _list(body.resourceSpans).flatMap((rs) => {
    const resource = _attributes((rs.resource as _Json | undefined)?.attributes);
    return _list(rs.scopeSpans).flatMap((ss) =>
      _list(ss.spans).map((s) => ({
        scope: String((ss.scope as _Json | undefined)?.name ?? ""),
        name: String(s.name),
        kind: Number(s.kind ?? 0),
        traceId: String(s.traceId ?? ""),
        spanId: String(s.spanId ?? ""),
        parentSpanId: String(s.parentSpanId ?? ""),
        startTimeUnixNano: String(s.startTimeUnixNano ?? ""),
        endTimeUnixNano: String(s.endTimeUnixNano ?? ""),
        statusCode: Number((s.status as _Json | undefined)?.code ?? 0),
        attributes: _attributes(s.attributes),
        resource,
      }))
    );
  });
}

function _points(body: _Json): OtlpPoint[] {
  return _list(body.resourceMetrics).flatMap((rm) =>
    _list(rm.scopeMetrics).flatMap((sm) =>
      _list(sm.metrics).flatMap((m) => {
        const scope = String((sm.scope as _Json | undefined)?.name ?? "");
        const type = ["sum", "gauge", "histogram"].find((t) => t in m) ?? "unknown";
        return _list((m[type] as _Json | undefined)?.dataPoints).map((p) => ({
          scope,
          metric: String(m.name),
          unit: String(m.unit ?? ""),
          type,
          attributes: _attributes(p.attributes),
          value: "asInt" in p ? Number(p.asInt) : "asDouble" in p ? Number(p.asDouble) : undefined,
          count: "count" in p ? Number(p.count) : undefined,
          sum: "sum" in p ? Number(p.sum) : undefined,
        }));
      })
    )
  );
}

/** Starts a receiver on a free port of 127.0.0.1. */
export function startOtlpReceiver(): Promise<OtlpReceiver> {
  const bodies: { path: string; text: string }[] = [];
  const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: resolve }, async (request) => {
    const path = new URL(request.url).pathname;
    if (request.method !== "POST" || !["/v1/traces", "/v1/metrics", "/v1/logs"].includes(path)) {
      return new Response("not found", { status: 404 });
    }
    if (!request.headers.get("content-type")?.startsWith("application/json")) {
      await request.body?.cancel();
      return new Response("send http/json", { status: 415 });
    }
    bodies.push({ path, text: await request.text() });
    // An empty ExportServiceResponse: everything accepted.
    return Response.json({});
  });
  const parsed = (path: string) =>
    bodies.filter((b) => b.path === path).map((b) => JSON.parse(b.text) as _Json);
  const receiver: OtlpReceiver = {
    url: "",
    bodies,
    spans: () => parsed("/v1/traces").flatMap(_spans),
    points() {
      const latest = new Map<string, OtlpPoint[]>();
      for (const body of parsed("/v1/metrics")) {
        const byMetric = Map.groupBy(_points(body), (p) => `${p.scope}\u0000${p.metric}`);
        for (const [key, points] of byMetric) latest.set(key, points);
      }
      return [...latest.values()].flat();
    },
    async waitFor(find, count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = find();
        if (found.length >= count) return found;
        if (Date.now() > deadline) {
          throw new Error(`OTLP receiver: expected ${count} items, got ${found.length} in ${timeoutMs} ms`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () => server.shutdown(),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
  return promise.then((addr) => Object.assign(receiver, { url: `http://127.0.0.1:${addr.port}` }));
}
