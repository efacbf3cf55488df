/**
 * The usage recorder: records made from log records, batched writes off the request path, a failing store,
 * the in-memory ring and totals.
 */
import assert from "node:assert/strict";
import type { RequestLog } from "../../src/log.ts";
import { createUsageRecorder, type UsageStore } from "../../src/usage/usage_recorder.ts";
import type { UsageRecord } from "../../src/usage/usage_record.ts";

function entry(over: Partial<RequestLog> = {}): RequestLog {
  return {
    request_id: "req_1",
    backend: "openai_compatible",
    method: "POST",
    path: "/v1/messages",
    status: 200,
    model: "claude-sonnet-4-5",
    upstream_model: "gpt-4.1",
    input_tokens: 1000,
    output_tokens: 100,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    total_ms: 250,
    ...over,
  };
}

function fakeStore() {
  const batches: UsageRecord[][] = [];
  const prunes: number[] = [];
  let failures = 0;
  let closed = false;
  const store: UsageStore = {
    write(records) {
      if (failures > 0) {
        failures--;
        throw new Error("database is locked");
      }
      batches.push([...records]);
    },
    prune(before) {
      prunes.push(before);
      return 0;
    },
    close() {
      closed = true;
    },
  };
  return {
    store,
    batches,
    prunes,
    failNext: (n: number) => (failures = n),
    closed: () => closed,
  };
}

// Waits for the recorder's timer to have run (polling, so a loaded machine only makes it slower).
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

Deno.test("createUsageRecorder() writes records in batches, off the request path", async (t) => {
  await t.step("nothing is written inside record(); one batch after flushMs", async () => {
    const fake = fakeStore();
    const usage = createUsageRecorder({ priceOf: () => undefined, store: fake.store, flushMs: 20 });
    usage.record(entry({ request_id: "req_a" }));
    usage.record(entry({ request_id: "req_b" }));
    assert.equal(fake.batches.length, 0);
    assert.equal(usage.pending(), 2);
    await until(() => fake.batches.length > 0);
    assert.deepEqual(fake.batches.map((b) => b.map((r) => r.requestId)), [["req_a", "req_b"]]);
    assert.equal(usage.pending(), 0);
    usage.close();
  });

  await t.step("batchSize queued records are written at once, not after flushMs", async () => {
    const fake = fakeStore();
    const usage = createUsageRecorder({
      priceOf: () => undefined,
      store: fake.store,
      flushMs: 60_000,
      batchSize: 3,
    });
    for (let i = 0; i < 3; i++) usage.record(entry({ request_id: `req_${i}` }));
    assert.equal(fake.batches.length, 0, "not inside the request's call");
    await until(() => fake.batches.length > 0);
    assert.deepEqual(fake.batches.map((b) => b.length), [3]);
    usage.close();
  });

  await t.step("close() writes what is queued and closes the store", () => {
    const fake = fakeStore();
    const usage = createUsageRecorder({ priceOf: () => undefined, store: fake.store, flushMs: 60_000 });
    usage.record(entry());
    usage.close();
    assert.deepEqual(fake.batches.map((b) => b.length), [1]);
    assert.ok(fake.closed());
  });

  await t.step("only model calls are records: health checks and model lists are not", () => {
    const fake = fakeStore();
    const usage = createUsageRecorder({ priceOf: () => undefined, store: fake.store });
    usage.record(entry({ method: "GET", path: "/health" }));
    usage.record(entry({ path: "/v1/messages/count_tokens" }));
    usage.record(entry());
    usage.close();
    assert.equal(fake.batches.flat().length, 1);
  });
});

Deno.test("createUsageRecorder() keeps records through a failing store and says so once", async () => {
  const fake = fakeStore();
  const notes: string[] = [];
  const usage = createUsageRecorder({
    priceOf: () => undefined,
    store: fake.store,
    flushMs: 10,
    note: (l) => notes.push(l),
  });
  fake.failNext(2);
  usage.record(entry({ request_id: "req_a" }));
  usage.flush();
  usage.record(entry({ request_id: "req_b" }));
  usage.flush();
  assert.equal(usage.pending(), 2);
  assert.deepEqual(notes, [
    "relayx: cannot write usage records (kept in memory, retried): database is locked",
  ]);
  await until(() => fake.batches.length > 0);
  assert.deepEqual(fake.batches.flat().map((r) => r.requestId), ["req_a", "req_b"]);
  assert.equal(notes[1], "relayx: usage records are written again");
  usage.close();
});

Deno.test("createUsageRecorder() prunes past the retention at its first write, then at most hourly", () => {
  const fake = fakeStore();
  let clock = Date.UTC(2026, 11, 6);
  const usage = createUsageRecorder({
    priceOf: () => undefined,
    store: fake.store,
    retentionDays: 30,
    now: () => clock,
  });
  usage.record(entry());
  usage.flush();
  clock += 60_000;
  usage.record(entry());
  usage.flush();
  clock += 3_600_000;
  usage.record(entry());
  usage.flush();
  assert.deepEqual(fake.prunes, [
    Date.UTC(2026, 11, 6) - 30 * 86_400_000,
    Date.UTC(2026, 11, 6) + 3_660_000 - 30 * 86_400_000,
  ]);
  usage.close();
});

Deno.test("createUsageRecorder() keeps recent records and totals in memory, with or without a store", () => {
  const prices = { "gpt-4.1": { input: 2, output: 8 } } as Record<string, { input: number; output: number }>;
  const usage = createUsageRecorder({ priceOf: (m) => prices[m], recentSize: 2 });
  usage.record(entry({ request_id: "req_1" }));
  usage.record(entry({ request_id: "req_2", upstream_model: "unpriced-model" }));
  usage.record(entry({ request_id: "req_3", input_tokens: 500_000, output_tokens: 0 }));
  assert.deepEqual(usage.recent().map((r) => r.requestId), ["req_2", "req_3"]);
  assert.equal(usage.pending(), 0, "without a store nothing is queued");
  const totals = usage.totals();
  assert.equal(totals.requests, 3);
  assert.equal(totals.inputTokens, 502_000);
  assert.equal(totals.outputTokens, 200);
  assert.equal(totals.unpriced, 1);
  // 1000 * 2 + 100 * 8 + 500,000 * 2 per million
  assert.ok(Math.abs(totals.cost - 1.0028) < 1e-12, String(totals.cost));
  usage.close();
});

Deno.test("subscribe() hands each new record to its listeners until they stop", async (t) => {
  const usage = createUsageRecorder({ priceOf: () => ({ input: 2, output: 8 }), now: () => 1_000_000 });
  const seen: string[] = [];
  const stop = usage.subscribe((r) => seen.push(r.requestId));
  await t.step("a model call reaches the listener, other requests do not", () => {
    usage.record(entry({ request_id: "req_a" }));
    usage.record(entry({ request_id: "req_health", method: "GET", path: "/health" }));
    assert.deepEqual(seen, ["req_a"]);
  });
  await t.step("the same function subscribed twice hears twice, and each stop removes one", () => {
    const twice: string[] = [];
    const listener = (r: UsageRecord) => twice.push(r.requestId);
    const first = usage.subscribe(listener);
    const second = usage.subscribe(listener);
    usage.record(entry({ request_id: "req_b" }));
    first();
    usage.record(entry({ request_id: "req_c" }));
    second();
    usage.record(entry({ request_id: "req_d" }));
    assert.deepEqual(twice, ["req_b", "req_b", "req_c"]);
  });
  await t.step("a listener that throws is dropped; the record is kept", () => {
    let calls = 0;
    usage.subscribe(() => {
      calls++;
      throw new Error("page gone");
    });
    usage.record(entry({ request_id: "req_e" }));
    usage.record(entry({ request_id: "req_f" }));
    assert.equal(calls, 1);
    assert.deepEqual(usage.recent().map((r) => r.requestId).slice(-2), ["req_e", "req_f"]);
  });
  await t.step("after stop, nothing more", () => {
    stop();
    usage.record(entry({ request_id: "req_g" }));
    assert.deepEqual(seen, ["req_a", "req_b", "req_c", "req_d", "req_e", "req_f"]);
  });
  usage.close();
});
