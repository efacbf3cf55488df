/**
 * `deno bench --allow-read --allow-write bench/usage_bench.ts`: what recording usage costs per request,
 * in-process, so that it can be set beside relayx's per-request time (about 1 ms in `deno task bench`):
 * the request path's share (`record()`: the usage record, the ring, the queue) and the batched write's
 * share (200 records in one SQLite transaction, WAL, as relayx writes them).
 *
 * @module
 */
import type { RequestLog } from "../src/log.ts";
import { createRedactor } from "../src/redact.ts";
import { openUsageDb, pruneRecords, writeRecords } from "../src/usage/usage_db.ts";
import { toUsageRecord } from "../src/usage/usage_record.ts";
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

const memory = createUsageRecorder({ priceOf: () => PRICE });
Deno.bench("record(): one request on the request path (memory only)", () => {
  memory.record(ENTRY);
});

// As createRelay builds it: the names pass the redactor that knows the configured keys.
const redacted = createUsageRecorder({
  priceOf: () => PRICE,
  redact: createRedactor(["sk-bench-openai-key-0123456789", "relayx-bench-api-key"]),
});
Deno.bench("record(): the same with the redactor, as relayx runs it", () => {
  redacted.record(ENTRY);
});

const dir = Deno.makeTempDirSync();
const db = openUsageDb(`${dir}/usage.db`);
const batch = Array.from({ length: 200 }, () => toUsageRecord(ENTRY, Date.now(), () => PRICE)!);
Deno.bench("writeRecords(): a batch of 200 in one transaction (per batch)", () => {
  writeRecords(db, batch);
});
Deno.bench("pruneRecords(): the hourly prune, nothing to delete", () => {
  pruneRecords(db, 0);
});

globalThis.addEventListener("unload", () => {
  db.close();
  Deno.removeSync(dir, { recursive: true });
});
