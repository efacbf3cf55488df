/**
 * The live page's figures from usage records: percentiles, the last hour by minute, today and per-session
 * sums, errors and fallbacks.
 */
import assert from "node:assert/strict";
import { percentile, summarizeUsage } from "../../src/live/usage_summary.ts";
import type { UsageTotals } from "../../src/usage/usage_recorder.ts";
import type { UsageRecord } from "../../src/usage/usage_record.ts";

const NOW = Date.UTC(2026, 11, 6, 0, 30, 0); // 00:30 UTC, 01:30 in UTC+1
const MIN = 60_000;
const NO_TOTALS: UsageTotals = {
  requests: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  cost: 0,
  unpriced: 0,
};

let next = 0;
function rec(over: Partial<UsageRecord>): UsageRecord {
  return {
    time: NOW - MIN,
    requestId: `req_${++next}`,
    backend: "router",
    target: "cloud",
    tried: [],
    model: "claude-sonnet-4-5",
    upstreamModel: "gpt-4.1",
    stream: true,
    inputTokens: 100,
    outputTokens: 10,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cost: 0.001,
    ttfbMs: 100,
    totalMs: 500,
    status: 200,
    ...over,
  };
}

Deno.test("percentile() takes the nearest rank", async (t) => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  await t.step("of 1..100, p50 is 50, p90 is 90, p99 is 99", () => {
    assert.deepEqual([percentile(values, 50), percentile(values, 90), percentile(values, 99)], [50, 90, 99]);
  });
  await t.step("of one value, every percentile is that value", () => {
    assert.deepEqual([percentile([7], 1), percentile([7], 50), percentile([7], 100)], [7, 7, 7]);
  });
  await t.step("of nothing, null", () => {
    assert.equal(percentile([], 50), null);
  });
});

Deno.test("summarizeUsage() sums today, the last hour by minute, sessions, latency, errors and fallbacks", async (t) => {
  const records = [
    // Yesterday in UTC, today in UTC+1.
    rec({ time: NOW - 40 * MIN, session: "s-old", inputTokens: 1000, cost: 0.5, ttfbMs: 300, totalMs: 3000 }),
    rec({ time: NOW - 20 * MIN, session: "s-a", ttfbMs: 200, totalMs: 900 }),
    rec({ time: NOW - 20 * MIN + 5000, session: "s-a", cost: undefined, tried: ["local: 503"] }),
    rec({
      time: NOW - 100 * MIN,
      session: "s-a",
      target: "local",
      upstreamModel: "qwen3",
      ttfbMs: undefined,
    }),
    rec({
      time: NOW - 2 * MIN,
      session: "s-b",
      status: 529,
      errorType: "overloaded_error",
      outputTokens: 0,
      inputTokens: 0,
      cost: 0,
    }),
    rec({ time: NOW - 30_000, status: 502, errorType: undefined, inputTokens: 0, outputTokens: 0, cost: 0 }),
    rec({ time: NOW - 10_000, session: "s-b", cacheReadTokens: 50, cacheWriteTokens: 5, totalMs: 700 }),
  ];
  const totals = {
    ...NO_TOTALS,
    requests: 40,
    inputTokens: 5000,
    outputTokens: 500,
    cost: 1.25,
    unpriced: 2,
  };

  await t.step("in UTC", async () => {
    const summary = summarizeUsage(records, totals, { now: NOW, utcOffsetMs: 0, full: false });
    assert.equal(summary.minutes.length, 60);
    assert.equal(summary.minutes[59]?.start, NOW - (NOW % MIN));
    assert.equal(summary.requestsPerMinute, 2, "the two requests of the last 60 seconds");
    assert.equal(summary.today.requests, 5, "since 00:00 UTC");
    // The busy minutes only: the snapshot stays readable.
    await t.assertSnapshot({ ...summary, minutes: summary.minutes.filter((m) => m.requests > 0) });
  });

  await t.step("in UTC+1, today starts an hour earlier", () => {
    const summary = summarizeUsage(records, totals, { now: NOW, utcOffsetMs: 3_600_000, full: false });
    assert.equal(summary.today.requests, 6);
    assert.equal(summary.complete, true);
  });

  await t.step("a full memory whose oldest record is from today makes today a lower bound", () => {
    const today = records.filter((r) => r.time >= NOW - 30 * MIN);
    assert.equal(summarizeUsage(today, totals, { now: NOW, utcOffsetMs: 0, full: true }).complete, false);
    assert.equal(summarizeUsage(records, totals, { now: NOW, utcOffsetMs: 0, full: true }).complete, true);
  });

  await t.step("without records: 60 empty minutes, no rows", async () => {
    const empty = summarizeUsage([], NO_TOTALS, { now: NOW, utcOffsetMs: 0, full: false });
    assert.equal(empty.minutes.length, 60);
    assert.ok(empty.minutes.every((m) => m.requests === 0 && m.tokens === 0 && m.cost === 0));
    await t.assertSnapshot({ ...empty, minutes: [] });
  });
});
