/**
 * What the live page shows, computed from the usage recorder's recent records and running totals: a pure
 * function of the records and the clock, so that the figures are tested without a browser.
 *
 * @module
 */
import type { UsageTotals } from "../usage/usage_recorder.ts";
import type { UsageRecord } from "../usage/usage_record.ts";

/** Requests, tokens and cost over a set of records. */
export interface UsageSums {
  /** Model calls. */
  requests: number;
  /** Input, output, cache-read and cache-write tokens together. */
  tokens: number;
  /** US dollars over the requests whose price is known. */
  cost: number;
  /** Requests whose cost is unknown (the cost is then a lower bound). */
  unpriced: number;
}

/** One minute of the last hour. */
export interface MinuteBucket extends UsageSums {
  /** The minute's start, in milliseconds since the epoch. */
  start: number;
}

/** The sums of one Claude Code session. */
export interface SessionSums extends UsageSums {
  /** The session id (`(none)` for requests without one). */
  session: string;
  /** The start of its latest request. */
  last: number;
}

/** Nearest-rank percentiles in milliseconds; null without a sample. */
export interface Percentiles {
  /** The median. */
  p50: number | null;
  /** The 90th percentile. */
  p90: number | null;
  /** The 99th percentile. */
  p99: number | null;
}

/** Latency of the successful requests one backend served with one upstream model. */
export interface LatencyRow {
  /** The backend's name (a route target's backend, or the backend kind). */
  backend: string;
  /** The upstream model. */
  model: string;
  /** Successful requests. */
  requests: number;
  /** Time to the first stream event (streamed answers only). */
  ttfb: Percentiles;
  /** Time to the end of the answer. */
  total: Percentiles;
}

/** The failures of one kind. */
export interface ErrorRow {
  /** The Anthropic error type (`api_error`, `overloaded_error`, ...), or `http_<status>`. */
  type: string;
  /** How many. */
  count: number;
  /** The start of the latest. */
  last: number;
}

/** One recent request, as the page lists it. */
export interface RecentRow {
  /** When it started. */
  time: number;
  /** The route that matched, when there are routes. */
  route?: string;
  /** The target that served it, or the backend kind. */
  target: string;
  /** The model the client asked for. */
  model?: string;
  /** The upstream model. */
  upstreamModel?: string;
  /** The HTTP status. */
  status: number;
  /** The error type of a failure. */
  errorType?: string;
  /** How many targets failed before this one. */
  fallbacks: number;
  /** All four token counts together. */
  tokens: number;
  /** US dollars; null when unknown. */
  cost: number | null;
  /** Milliseconds to the end. */
  totalMs: number;
}

/** Everything the page shows but the configuration. */
export interface UsageSummary {
  /** When it was computed. */
  now: number;
  /** Requests that started in the last 60 seconds. */
  requestsPerMinute: number;
  /** The records since local midnight (of those in memory; see `complete`). */
  today: UsageSums;
  /** Totals since relayx started. */
  sinceStart: UsageSums;
  /**
   * False when the oldest record in memory started after local midnight and memory is full: older
   * records of today are gone from it, and `today` is a lower bound.
   */
  complete: boolean;
  /** The last hour, one bucket a minute, oldest first (60 buckets). */
  minutes: MinuteBucket[];
  /** Sessions, the most recent first (at most 10). */
  sessions: SessionSums[];
  /** Latency by backend and model, the busiest first. */
  latency: LatencyRow[];
  /** Failures by type, the most frequent first. */
  errors: ErrorRow[];
  /** Requests served by a fallback target. */
  fallbacks: number;
  /** The latest requests, newest first (at most 20). */
  recent: RecentRow[];
}

/** Options for {@linkcode summarizeUsage}. */
export interface SummaryOptions {
  /** The clock, in milliseconds since the epoch. */
  now: number;
  /** The local time zone's offset from UTC, in milliseconds (for "today"). */
  utcOffsetMs: number;
  /** True when the recorder's memory is full (older records were dropped). */
  full: boolean;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const MAX_SESSIONS = 10;
const MAX_RECENT = 20;

function _sums(): UsageSums {
  return { requests: 0, tokens: 0, cost: 0, unpriced: 0 };
}

function _tokens(r: UsageRecord): number {
  return r.inputTokens + r.outputTokens + r.cacheReadTokens + r.cacheWriteTokens;
}

function _add(sums: UsageSums, r: UsageRecord): void {
  sums.requests++;
  sums.tokens += _tokens(r);
  if (r.cost === undefined) sums.unpriced++;
  else sums.cost += r.cost;
}

/**
 * The nearest-rank percentile `p` (0-100) of `sorted` (ascending), or null when it is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(percentile([10, 20, 30, 40], 50), 20);
 * assert.equal(percentile([10, 20, 30, 40], 99), 40);
 * assert.equal(percentile([], 50), null);
 * ```
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

function _percentiles(values: number[]): Percentiles {
  values.sort((a, b) => a - b);
  return { p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99) };
}

// The backend a record's price and latency belong to: `NAME` of the target `NAME/MODEL`, else the kind.
function _backendOf(r: UsageRecord): string {
  return r.target === undefined ? r.backend : r.target.split("/", 1)[0] ?? r.backend;
}

function _latency(records: readonly UsageRecord[]): LatencyRow[] {
  const groups = new Map<string, { backend: string; model: string; ttfb: number[]; total: number[] }>();
  for (const r of records) {
    // Failures answer fast or time out: either way they would say nothing about the model's speed.
    if (r.status >= 400) continue;
    const backend = _backendOf(r);
    const model = r.upstreamModel ?? r.model ?? "?";
    const key = `${backend}\u0000${model}`;
    let group = groups.get(key);
    if (!group) groups.set(key, group = { backend, model, ttfb: [], total: [] });
    if (r.ttfbMs !== undefined) group.ttfb.push(r.ttfbMs);
    group.total.push(r.totalMs);
  }
  return [...groups.values()]
    .map((g) => ({
      backend: g.backend,
      model: g.model,
      requests: g.total.length,
      ttfb: _percentiles(g.ttfb),
      total: _percentiles(g.total),
    }))
    .sort((a, b) =>
      b.requests - a.requests || a.backend.localeCompare(b.backend) || a.model.localeCompare(b.model)
    );
}

function _recent(r: UsageRecord): RecentRow {
  const row: RecentRow = {
    time: r.time,
    target: r.target ?? r.backend,
    status: r.status,
    fallbacks: r.tried.length,
    tokens: _tokens(r),
    cost: r.cost ?? null,
    totalMs: r.totalMs,
  };
  if (r.route !== undefined) row.route = r.route;
  if (r.model !== undefined) row.model = r.model;
  if (r.upstreamModel !== undefined) row.upstreamModel = r.upstreamModel;
  if (r.errorType !== undefined) row.errorType = r.errorType;
  return row;
}

/**
 * The page's figures from the recent records (oldest first, as `UsageRecorder.recent()` gives them) and
 * the totals since start.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const totals = {
 *   requests: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cost: 0, unpriced: 0,
 * };
 * const summary = summarizeUsage([], totals, { now: Date.UTC(2026, 11, 6, 12), utcOffsetMs: 0, full: false });
 * assert.equal(summary.minutes.length, 60);
 * assert.equal(summary.today.requests, 0);
 * ```
 */
export function summarizeUsage(
  records: readonly UsageRecord[],
  totals: UsageTotals,
  options: SummaryOptions,
): UsageSummary {
  const { now, utcOffsetMs } = options;
  const midnight = Math.floor((now + utcOffsetMs) / DAY) * DAY - utcOffsetMs;
  const firstMinute = Math.floor(now / MINUTE) * MINUTE - 59 * MINUTE;
  const minutes: MinuteBucket[] = Array.from({ length: 60 }, (_, i) => ({
    start: firstMinute + i * MINUTE,
    ..._sums(),
  }));
  const today = _sums();
  const sessions = new Map<string, SessionSums>();
  const errors = new Map<string, ErrorRow>();
  let requestsPerMinute = 0;
  let fallbacks = 0;
  for (const r of records) {
    if (r.time >= midnight) _add(today, r);
    if (r.time > now - MINUTE) requestsPerMinute++;
    const bucket = minutes[Math.floor((r.time - firstMinute) / MINUTE)];
    if (r.time >= firstMinute && bucket) _add(bucket, r);
    const id = r.session ?? "(none)";
    let session = sessions.get(id);
    if (!session) sessions.set(id, session = { session: id, last: r.time, ..._sums() });
    _add(session, r);
    session.last = Math.max(session.last, r.time);
    if (r.status >= 400) {
      const type = r.errorType ?? `http_${r.status}`;
      const row = errors.get(type);
      if (row) {
        row.count++;
        row.last = Math.max(row.last, r.time);
      } else errors.set(type, { type, count: 1, last: r.time });
    }
    if (r.tried.length > 0) fallbacks++;
  }
  const oldest = records[0];
  return {
    now,
    requestsPerMinute,
    today,
    sinceStart: {
      requests: totals.requests,
      tokens: totals.inputTokens + totals.outputTokens + totals.cacheReadTokens + totals.cacheWriteTokens,
      cost: totals.cost,
      unpriced: totals.unpriced,
    },
    complete: !options.full || oldest === undefined || oldest.time < midnight,
    minutes,
    sessions: [...sessions.values()].sort((a, b) => b.last - a.last).slice(0, MAX_SESSIONS),
    latency: _latency(records),
    errors: [...errors.values()].sort((a, b) => b.count - a.count || b.last - a.last),
    fallbacks,
    recent: records.slice(-MAX_RECENT).reverse().map(_recent),
  };
}
