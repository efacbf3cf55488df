/**
 * The usage report's figures: records grouped by day, model, session or route, summed in SQLite. Reads
 * only; the database is opened read-only, so that the report runs beside a relayx writing to it.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { schemaVersion } from "./usage_schema.ts";

/** What the report groups by. */
export type UsageGrouping = "day" | "model" | "session" | "route";

/** The groupings, in the order `--help` lists them. */
export const USAGE_GROUPINGS: readonly UsageGrouping[] = ["day", "model", "session", "route"];

/** One row of the report. */
export interface UsageRow {
  /** The day (`YYYY-MM-DD`), upstream model, session id or route; null for records without one. */
  key: string | null;
  /** Model calls. */
  requests: number;
  /** Input tokens, not counting cached ones. */
  input_tokens: number;
  /** Output tokens. */
  output_tokens: number;
  /** Input tokens read from the prompt cache. */
  cache_read_input_tokens: number;
  /** Input tokens written to the prompt cache. */
  cache_creation_input_tokens: number;
  /** US dollars over the priced requests; null when none of them has a known price. */
  cost: number | null;
  /** Requests whose price is unknown (their cost is not in `cost`). */
  unpriced_requests: number;
}

/** What to report. */
export interface UsageQuery {
  /** The grouping. */
  by: UsageGrouping;
  /** Only records that started at or after this time (milliseconds since the epoch). */
  since?: number;
  /** The local time zone's offset from UTC in milliseconds, for the day boundaries (default 0). */
  utcOffsetMs?: number;
}

const KEYS: Record<UsageGrouping, string> = {
  day: "date((time + :offset) / 1000, 'unixepoch')",
  model: "COALESCE(upstream_model, model)",
  session: "session",
  // Without routes (one backend) the backend kind stands for the route.
  route: "COALESCE(route, backend)",
};

/**
 * Opens the usage database read-only, or returns undefined when the file does not exist yet.
 *
 * @example
 * ```ts
 * console.log(openUsageReader("/nonexistent/usage.db")); // undefined
 * ```
 * @throws {Error} when the file exists but cannot be read, or is not a usage database.
 */
export function openUsageReader(path: string): DatabaseSync | undefined {
  try {
    Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  const db = new DatabaseSync(path, { readOnly: true });
  if (schemaVersion(db) < 1) {
    db.close();
    throw new Error(`${path} is not a relayx usage database`);
  }
  return db;
}

/**
 * The report's rows: by day in date order, otherwise the costliest first (unknown costs last).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openUsageDb } from "./usage_db.ts";
 *
 * const db = openUsageDb(":memory:");
 * assert.deepEqual(queryUsage(db, { by: "model" }), []);
 * db.close();
 * ```
 */
export function queryUsage(db: DatabaseSync, query: UsageQuery): UsageRow[] {
  const key = KEYS[query.by];
  const order = query.by === "day" ? "key" : "COALESCE(SUM(cost), -1) DESC, requests DESC, key";
  const sql = `SELECT ${key} AS key, COUNT(*) AS requests,
      SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
      SUM(cache_read_tokens) AS cache_read_input_tokens, SUM(cache_write_tokens) AS cache_creation_input_tokens,
      SUM(cost) AS cost, SUM(cost IS NULL) AS unpriced_requests
    FROM requests WHERE time >= :since GROUP BY key ORDER BY ${order}`;
  const params: Record<string, number> = { since: query.since ?? 0 };
  if (query.by === "day") params.offset = query.utcOffsetMs ?? 0;
  return db.prepare(sql).all(params).map((row) => ({
    key: typeof row.key === "string" ? row.key : null,
    requests: Number(row.requests),
    input_tokens: Number(row.input_tokens),
    output_tokens: Number(row.output_tokens),
    cache_read_input_tokens: Number(row.cache_read_input_tokens),
    cache_creation_input_tokens: Number(row.cache_creation_input_tokens),
    // Micro-dollars are plenty, and spare the reader float noise (7.1785000000000005).
    cost: typeof row.cost === "number" ? Math.round(row.cost * 1e6) / 1e6 : null,
    unpriced_requests: Number(row.unpriced_requests),
  }));
}
