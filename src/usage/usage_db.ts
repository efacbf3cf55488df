/**
 * The usage database on disk: opening it (WAL, so that `relayx usage` reads while relayx writes),
 * writing a batch of records in one transaction, and pruning old ones. Uses Deno's built-in
 * `node:sqlite`, so there is no native dependency.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { migrate } from "./usage_schema.ts";
import type { UsageRecord } from "./usage_record.ts";

/** The database's file name inside the data directory. */
export const USAGE_DB_FILE = "usage.db";

/**
 * The database's path in a data directory.
 *
 * @example
 * ```ts
 * console.log(usageDbPath("/home/ada/.local/share/relayx")); // /home/ada/.local/share/relayx/usage.db
 * ```
 */
export function usageDbPath(dir: string): string {
  return `${dir}${dir.endsWith("/") || dir.endsWith("\\") ? "" : "/"}${USAGE_DB_FILE}`;
}

// Writers wait this long for another writer (a second relayx on the same directory) before a flush is
// retried later: the wait blocks the event loop, so it stays short.
const BUSY_MS = 200;

/**
 * Opens (creating it if needed) the usage database at `path` for writing, and brings its schema up to
 * date.
 *
 * @example
 * ```ts
 * const db = openUsageDb(":memory:");
 * db.close();
 * ```
 * @throws {Error} when the file cannot be opened or was made by a newer relayx.
 */
export function openUsageDb(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_MS}`);
    db.exec("PRAGMA journal_mode = WAL");
    // WAL with NORMAL sync is durable across a crash of relayx (not of the machine), at a fraction of
    // FULL's cost: usage figures are worth that trade.
    db.exec("PRAGMA synchronous = NORMAL");
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

const COLUMNS = [
  "time",
  "request_id",
  "session",
  "client",
  "route",
  "backend",
  "target",
  "tried",
  "fallbacks",
  "model",
  "upstream_model",
  "stream",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "cost",
  "ttfb_ms",
  "total_ms",
  "status",
  "error_type",
] as const;

function _row(r: UsageRecord): SQLInputValue[] {
  return [
    r.time,
    r.requestId,
    r.session ?? null,
    r.client ?? null,
    r.route ?? null,
    r.backend,
    r.target ?? null,
    r.tried.length ? JSON.stringify(r.tried) : null,
    r.tried.length,
    r.model ?? null,
    r.upstreamModel ?? null,
    r.stream ? 1 : 0,
    r.inputTokens,
    r.outputTokens,
    r.cacheReadTokens,
    r.cacheWriteTokens,
    r.cost ?? null,
    r.ttfbMs ?? null,
    r.totalMs,
    r.status,
    r.errorType ?? null,
  ];
}

/**
 * Writes records in one transaction: all of them or, on an error, none.
 *
 * @example
 * ```ts
 * const db = openUsageDb(":memory:");
 * writeRecords(db, []);
 * db.close();
 * ```
 */
export function writeRecords(db: DatabaseSync, records: readonly UsageRecord[]): void {
  if (records.length === 0) return;
  const insert = db.prepare(
    `INSERT INTO requests (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`,
  );
  db.exec("BEGIN IMMEDIATE");
  try {
    for (const r of records) insert.run(..._row(r));
    db.exec("COMMIT");
  } catch (err) {
    db.exec("ROLLBACK");
    throw err;
  }
}

/**
 * Deletes the records that started before `before` (milliseconds since the epoch); returns how many.
 *
 * @example
 * ```ts
 * const db = openUsageDb(":memory:");
 * console.log(pruneRecords(db, Date.now() - 90 * 86_400_000)); // 0
 * db.close();
 * ```
 */
export function pruneRecords(db: DatabaseSync, before: number): number {
  return Number(db.prepare("DELETE FROM requests WHERE time < ?").run(before).changes);
}
