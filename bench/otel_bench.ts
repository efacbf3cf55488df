/**
 * What OpenTelemetry costs per request, in-process, beside the usage recorder it rides on:
 *
 *     deno bench --allow-env bench/otel_bench.ts                     # the OpenTelemetry API without an SDK
 *     OTEL_DENO=true OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9 deno bench --allow-env bench/otel_bench.ts
 *
 * With OTEL_DENO unset, relayx's usage hook is the recorder's own `record` (main.ts decides once, at
 * start-up, and does not load the OpenTelemetry API), so "off" is that function and nothing else. "on"
 * is what createRelay installs with OTEL_DENO=true: the recorder, then the span and the measurements; run
 * it under OTEL_DENO=true to measure Deno's SDK (the export itself runs off the JavaScript thread; an
 * endpoint nobody listens on costs the same on this side).
 *
 * @module
 */
import type { RequestLog } from "../src/log.ts";
import { createRedactor } from "../src/redact.ts";
import { createTelemetry } from "../src/telemetry/otel.ts";
import { createUsageRecorder } from "../src/usage/usage_recorder.ts";

const ENTRY: RequestLog = {
  request_id: "req_011CUZabcdefghijklmnop",
  backend: "router",
  method: "POST",
  path: "/v1/messages",
  session_id: "8b0e5c3a-7f4e-4a0e-9c55-2f1d8f0b6a11",
  client: "claude-cli/2.1.3",
  status: 200,
  model: "claude-sonnet-4-5",
  upstream_model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
  stream: true,
  route: "main",
  target: "bedrock",
  input_tokens: 1200,
  output_tokens: 300,
  cache_read_input_tokens: 40_000,
  cache_creation_input_tokens: 2000,
  ttfb_ms: 800.5,
  total_ms: 4000.25,
};
const PRICE = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };
const redact = createRedactor(["sk-bench-openai-key-0123456789", "relayx-bench-api-key"]);
const priceOf = () => PRICE;
const sdk = Deno.env.get("OTEL_DENO") === "true" ? "Deno's SDK" : "no SDK";

const off = createUsageRecorder({ priceOf, redact }).record;
Deno.bench("usage hook, OpenTelemetry off (the recorder's record)", { group: "hook", baseline: true }, () => {
  off(ENTRY);
});

const recorder = createUsageRecorder({ priceOf, redact }).record;
const telemetry = createTelemetry({ priceOf, redact, backends: { bedrock: { kind: "bedrock" } } });
Deno.bench(`usage hook, OpenTelemetry on (${sdk}): record, span, measurements`, { group: "hook" }, () => {
  recorder(ENTRY);
  telemetry(ENTRY);
});
