/**
 * `relayx usage`: the report, read from the usage database without starting the server. Needs read
 * permission to the data directory only (`deno run --allow-read=<dir> --allow-env main.ts usage`).
 *
 * @module
 */
import { usageDbPath } from "./usage_db.ts";
import { sinceTime, type UsageOptions } from "./usage_args.ts";
import { openUsageReader, queryUsage, type UsageRow } from "./usage_query.ts";
import type { UsageSettings } from "./usage_settings.ts";
import { formatUsageTable } from "./usage_table.ts";
import type { PermissionQuery } from "./usage_storage.ts";

/** What {@linkcode runUsage} reaches the world through. */
export interface UsageIo {
  /** Prints the report (default `console.log`). */
  print?: (text: string) => void;
  /** Prints an error line (default `console.error`). */
  error?: (text: string) => void;
  /** The clock (default `Date.now`). */
  now?: () => number;
  /** The local time zone's offset from UTC in milliseconds (default: the system's, now). */
  utcOffsetMs?: number;
  /** Permission queries (default Deno's). */
  query?: PermissionQuery;
}

/** A report row as `--json` prints it: the key under the grouping's name. */
export type UsageJsonRow = Record<string, string | number | null>;

/**
 * The rows as `--json` prints them: `{ "<by>": key, requests, input_tokens, output_tokens,
 * cache_read_input_tokens, cache_creation_input_tokens, cost, unpriced_requests }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const rows = usageJson([{
 *   key: "m", requests: 1, input_tokens: 2, output_tokens: 3, cache_read_input_tokens: 0,
 *   cache_creation_input_tokens: 0, cost: null, unpriced_requests: 1,
 * }], "model");
 * assert.equal(rows[0]?.model, "m");
 * ```
 */
export function usageJson(rows: readonly UsageRow[], by: string): UsageJsonRow[] {
  return rows.map(({ key, ...figures }) => ({ [by]: key, ...figures }));
}

/**
 * Prints the report the options ask for; returns the exit code (1 when the database cannot be read).
 *
 * @example
 * ```ts
 * const code = runUsage({ by: "day", json: true }, { retentionDays: 90 }, { print() {}, error() {} });
 * console.log(code); // 1: no data directory
 * ```
 */
export function runUsage(options: UsageOptions, settings: UsageSettings, io: UsageIo = {}): number {
  const print = io.print ?? ((text: string) => console.log(text));
  const error = io.error ?? ((text: string) => console.error(text));
  const query = io.query ?? ((d) => Deno.permissions.querySync(d).state);
  const dir = settings.dataDir;
  if (dir === undefined) {
    error("relayx usage: no data directory: set RELAYX_DATA_DIR");
    return 1;
  }
  if (query({ name: "read", path: dir }) !== "granted") {
    error(`relayx usage: no permission to read ${dir}: run with --allow-read=${dir}`);
    return 1;
  }
  const path = usageDbPath(dir);
  let rows: UsageRow[] = [];
  try {
    const db = openUsageReader(path);
    if (db) {
      try {
        const now = io.now?.() ?? Date.now();
        const utcOffsetMs = io.utcOffsetMs ?? -new Date(now).getTimezoneOffset() * 60_000;
        const since = options.since ? sinceTime(options.since, now, utcOffsetMs) : undefined;
        rows = queryUsage(db, { by: options.by, since, utcOffsetMs });
      } finally {
        db.close();
      }
    } else if (!options.json) {
      print(`No usage recorded yet (${path} does not exist).`);
      return 0;
    }
  } catch (err) {
    error(`relayx usage: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  print(
    options.json ? JSON.stringify(usageJson(rows, options.by), null, 2) : formatUsageTable(rows, options.by),
  );
  return 0;
}
