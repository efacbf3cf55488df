/**
 * The usage database's schema as a list of migrations. `PRAGMA user_version` holds how many have been
 * applied; opening for writing applies the rest in one transaction, so a database made by an older relayx
 * is brought up to date and one made by a newer relayx is left alone.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";

/**
 * Each step's SQL, in order; step `i` brings the database from version `i` to `i + 1`. Steps are never
 * edited once released, only appended.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: one row per model call. Costs are US dollars; NULL is an unknown price, not a free request.
  `CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    session TEXT,
    client TEXT,
    route TEXT,
    backend TEXT NOT NULL,
    target TEXT,
    tried TEXT,
    fallbacks INTEGER NOT NULL DEFAULT 0,
    model TEXT,
    upstream_model TEXT,
    stream INTEGER NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    cost REAL,
    ttfb_ms REAL,
    total_ms REAL NOT NULL,
    status INTEGER NOT NULL,
    error_type TEXT
  )`,
  // 2: the report filters by time (and pruning deletes by it); sessions are looked up one at a time.
  `CREATE INDEX requests_time ON requests (time);
   CREATE INDEX requests_session ON requests (session) WHERE session IS NOT NULL`,
];

/** The schema version this relayx writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/** The database's `user_version`: how many migrations it has. */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get();
  return typeof row?.user_version === "number" ? row.user_version : 0;
}

/**
 * Applies the migrations the database lacks, in one transaction, up to `target` (every one by default;
 * tests stop earlier to make an old database).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 *
 * const db = new DatabaseSync(":memory:");
 * migrate(db);
 * assert.equal(schemaVersion(db), SCHEMA_VERSION);
 * db.close();
 * ```
 * @throws {Error} when the database was made by a newer relayx (a higher version than this one knows).
 */
export function migrate(db: DatabaseSync, target: number = SCHEMA_VERSION): void {
  const version = schemaVersion(db);
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `Usage database has schema version ${version}: made by a newer relayx (this one knows ${SCHEMA_VERSION})`,
    );
  }
  if (version >= target) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    // Another process may have migrated between the read above and the lock.
    for (let v = schemaVersion(db); v < target; v++) db.exec(MIGRATIONS[v] ?? "");
    db.exec(`PRAGMA user_version = ${target}`);
    db.exec("COMMIT");
  } catch (err) {
    db.exec("ROLLBACK");
    throw err;
  }
}
