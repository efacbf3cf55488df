import assert from "node:assert/strict";
import type { RequestLog } from "../../src/log.ts";
import { createRedactor } from "../../src/redact.ts";
import type { PriceOf } from "../../src/usage/cost.ts";
import { genAiSystem } from "../../src/telemetry/gen_ai_system.ts";
import { createTelemetry, METRICS, otelEnabled } from "../../src/telemetry/otel.ts";
import { fakeOtel } from "../support/fake_otel.ts";

const NOW = 1_800_000_000_000;
const PRICE = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };

const ROUTED: RequestLog = {
  request_id: "req_1",
  backend: "router",
  method: "POST",
  path: "/v1/messages",
  session_id: "session-1",
  client: "claude-cli/2.1.3",
  status: 200,
  model: "claude-sonnet-4-5",
  upstream_model: "us.anthropic.claude-sonnet-4-5-v1:0",
  stream: true,
  route: "main",
  target: "east/us.anthropic.claude-sonnet-4-5-v1:0",
  tried: ["west: overloaded_error"],
  input_tokens: 100,
  output_tokens: 20,
  cache_read_input_tokens: 1000,
  cache_creation_input_tokens: 50,
  ttfb_ms: 300,
  total_ms: 2000,
};

function setup(priceOf: PriceOf = () => PRICE) {
  const otel = fakeOtel();
  const record = createTelemetry({
    priceOf,
    backends: { east: { kind: "bedrock" }, gem: { kind: "openai_compatible", provider: "gemini" } },
    redact: createRedactor(["sk-secret-key-0123456789"]),
    tracer: otel.tracer,
    meter: otel.meter,
    now: () => NOW,
  });
  const sum = (instrument: string, attrs: Record<string, unknown> = {}) =>
    otel.measurements
      .filter((m) =>
        m.instrument === instrument && Object.entries(attrs).every(([k, v]) => m.attributes[k] === v)
      )
      .reduce((total, m) => total + m.value, 0);
  return { otel, record, sum };
}

Deno.test("createTelemetry() makes a client span per model call, timed by the record", () => {
  const { otel, record } = setup();
  record(ROUTED);
  assert.equal(otel.spans.length, 1);
  const [span] = otel.spans;
  assert.equal(span?.name, "chat claude-sonnet-4-5");
  assert.equal(span?.options.kind, 2, "SpanKind.CLIENT");
  assert.equal(span?.options.startTime, NOW - 2000);
  assert.equal(span?.end, NOW);
  assert.equal(span?.status, undefined);
  assert.deepEqual(span?.options.attributes, {
    "gen_ai.operation.name": "chat",
    "gen_ai.system": "aws.bedrock",
    "gen_ai.provider.name": "aws.bedrock",
    "gen_ai.request.model": "claude-sonnet-4-5",
    "gen_ai.response.model": "us.anthropic.claude-sonnet-4-5-v1:0",
    "gen_ai.usage.input_tokens": 1150,
    "gen_ai.usage.output_tokens": 20,
    "gen_ai.usage.cache_read.input_tokens": 1000,
    "gen_ai.usage.cache_creation.input_tokens": 50,
    "http.response.status_code": 200,
    "relayx.backend": "east",
    "relayx.route": "main",
    "relayx.target": "east/us.anthropic.claude-sonnet-4-5-v1:0",
    "relayx.tried": ["west: overloaded_error"],
    "relayx.request_id": "req_1",
    "relayx.stream": true,
    "relayx.total_ms": 2000,
    "relayx.ttfb_ms": 300,
    "relayx.client": "claude-cli/2.1.3",
    "relayx.cost_usd": (100 * 3 + 20 * 15 + 1000 * 0.3 + 50 * 3.75) / 1e6,
    "session.id": "session-1",
  });
});

Deno.test("createTelemetry() measures tokens, cost, requests and latency by backend and model", async (t) => {
  const { otel, record, sum } = setup();
  record(ROUTED);
  record({ ...ROUTED, request_id: "req_2", stream: false, ttfb_ms: undefined, total_ms: 500 });
  const model = { "gen_ai.response.model": "us.anthropic.claude-sonnet-4-5-v1:0", "relayx.backend": "east" };

  await t.step("token usage follows the conventions: cached input counts as input", () => {
    assert.equal(sum(METRICS.tokenUsage, { ...model, "gen_ai.token.type": "input" }), 2 * 1150);
    assert.equal(sum(METRICS.tokenUsage, { ...model, "gen_ai.token.type": "output" }), 2 * 20);
  });
  await t.step("relayx's token counter keeps the four kinds apart, as the usage records do", () => {
    for (
      const [type, n] of [["input", 100], ["output", 20], ["cache_read", 1000], ["cache_write", 50]] as const
    ) {
      assert.equal(sum(METRICS.tokens, { ...model, "relayx.token.type": type }), 2 * n, type);
    }
  });
  await t.step("cost, requests, duration in seconds, and time to first byte for streams only", () => {
    assert.equal(sum(METRICS.cost, model), 2 * (100 * 3 + 20 * 15 + 1000 * 0.3 + 50 * 3.75) / 1e6);
    assert.equal(sum(METRICS.requests, { ...model, "http.response.status_code": 200 }), 2);
    assert.equal(sum(METRICS.duration, model), 2.5);
    assert.deepEqual(
      otel.measurements.filter((m) => m.instrument === METRICS.timeToFirstByte).map((m) => m.value),
      [0.3],
    );
    assert.equal(sum(METRICS.errors), 0);
  });
  await t.step("no session, request id or client in a metric: their series would be unbounded", () => {
    for (const m of otel.measurements) {
      for (const key of ["session.id", "relayx.request_id", "relayx.client", "relayx.target"]) {
        assert.ok(!(key in m.attributes), `${m.instrument} has ${key}`);
      }
    }
  });
});

Deno.test("createTelemetry() gives a failure its error type, never its message", () => {
  const { otel, record, sum } = setup();
  record({
    ...ROUTED,
    status: 429,
    error_type: "rate_limit_error",
    error: "Too many requests for the prompt 'tell me about zebras'",
    output_tokens: 0,
  });
  record({ ...ROUTED, request_id: "req_left", status: 499 });
  const [limited, left] = otel.spans;
  assert.equal(limited?.options.attributes?.["error.type"], "rate_limit_error");
  assert.deepEqual(limited?.status, { code: 2, message: "rate_limit_error" });
  // A client that left is a failure with no Anthropic type: its status stands for it.
  assert.equal(left?.options.attributes?.["error.type"], "499");
  assert.equal(sum(METRICS.errors, { "error.type": "rate_limit_error" }), 1);
  assert.equal(sum(METRICS.errors, { "error.type": "499" }), 1);
  assert.equal(sum(METRICS.requests, { "http.response.status_code": 429 }), 1);
  assert.ok(!JSON.stringify([otel.spans, otel.measurements]).includes("zebras"));
});

Deno.test("createTelemetry() passes the names the client chose through the redactor", () => {
  const { otel, record } = setup();
  record({
    ...ROUTED,
    model: "model-sk-secret-key-0123456789",
    session_id: "sk-secret-key-0123456789",
    client: "curl-sk-secret-key-0123456789",
  });
  const sent = JSON.stringify([otel.spans, otel.measurements]);
  assert.ok(!sent.includes("sk-secret-key"), sent);
  assert.equal(otel.spans[0]?.options.attributes?.["session.id"], "[redacted]");
});

Deno.test("createTelemetry() leaves out what is unknown and skips what is not a model call", async (t) => {
  await t.step("an unpriced model has no cost; a call that used no token records no tokens", () => {
    const { otel, record, sum } = setup(() => undefined);
    record({
      ...ROUTED,
      status: 400,
      error_type: "invalid_request_error",
      input_tokens: 0,
      output_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
    record(ROUTED);
    // A 400 before the upstream was called cost nothing, priced or not.
    assert.equal(otel.spans[0]?.options.attributes?.["relayx.cost_usd"], 0);
    assert.equal(otel.spans[1]?.options.attributes?.["relayx.cost_usd"], undefined);
    assert.equal(sum(METRICS.cost), 0);
    assert.equal(otel.measurements.filter((m) => m.instrument === METRICS.cost).length, 0);
    assert.equal(sum(METRICS.tokens), 100 + 20 + 1000 + 50, "the second call's only");
  });
  await t.step("health checks, model lists and token counts", () => {
    const { otel, record } = setup();
    record({ ...ROUTED, method: "GET", path: "/health" });
    record({ ...ROUTED, path: "/v1/messages/count_tokens" });
    assert.deepEqual([otel.spans.length, otel.measurements.length], [0, 0]);
  });
  await t.step("a one-backend relayx is named by its kind", () => {
    const { otel, record } = setup();
    record({
      ...ROUTED,
      backend: "openai_compatible",
      target: undefined,
      route: undefined,
      model: undefined,
    });
    const a = otel.spans[0]?.options.attributes;
    assert.equal(otel.spans[0]?.name, "chat us.anthropic.claude-sonnet-4-5-v1:0");
    assert.deepEqual([a?.["relayx.backend"], a?.["gen_ai.system"]], ["openai_compatible", "gcp.gemini"]);
    assert.ok(!("relayx.route" in (a ?? {})));
  });
});

Deno.test("genAiSystem() uses the GenAI conventions' names where they have one", () => {
  const cases = [
    [{ kind: "bedrock" }, "aws.bedrock"],
    [{ kind: "anthropic" }, "anthropic"],
    [{ kind: "openai_compatible", provider: "openai" }, "openai"],
    [{ kind: "openai_compatible", provider: "gemini" }, "gcp.gemini"],
    [{ kind: "openai_compatible", provider: "deepseek" }, "deepseek"],
    [{ kind: "openai_compatible", provider: "openrouter" }, "openrouter"],
    [{ kind: "openai_compatible", provider: "ollama" }, "ollama"],
    [{ kind: "openai_compatible", provider: "generic" }, "openai_compatible"],
  ] as const;
  for (const [backend, system] of cases) assert.equal(genAiSystem(backend), system, JSON.stringify(backend));
});

Deno.test("otelEnabled() is true for OTEL_DENO=true only, as Deno reads it", () => {
  assert.equal(otelEnabled({ OTEL_DENO: "true" }), true);
  for (const value of [undefined, "false", "1", "TRUE", ""]) {
    assert.equal(otelEnabled({ OTEL_DENO: value }), false);
  }
});
