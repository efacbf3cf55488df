/**
 * Where this relayx keeps usage: the SQLite database in the data directory when Deno grants read and
 * write access to exactly that directory, otherwise memory only. Permissions are queried, never
 * prompted for.
 *
 * @module
 */
import type { PriceOf } from "./cost.ts";
import { openUsageDb, pruneRecords, usageDbPath, writeRecords } from "./usage_db.ts";
import { createUsageRecorder, type UsageRecorder, type UsageRecorderOptions } from "./usage_recorder.ts";
import type { UsageSettings } from "./usage_settings.ts";

/** Where records go. */
export type UsageStorage =
  | { kind: "database"; path: string }
  | { kind: "memory"; reason: string };

/** A recorder and where it keeps its records. */
export interface OpenedUsage {
  /** The recorder the app hands every request's record to. */
  recorder: UsageRecorder;
  /** Where it keeps them. */
  storage: UsageStorage;
}

/** The permission queries used (Deno's in production). */
export type PermissionQuery = (descriptor: { name: "read" | "write"; path: string }) => Deno.PermissionState;

const denoQuery: PermissionQuery = (descriptor) => Deno.permissions.querySync(descriptor).state;

function _message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Opens the usage database in `settings.dataDir` (creating the directory) and a recorder writing to it,
 * or a recorder keeping records in memory when there is no directory, no permission, or the database
 * cannot be opened. The recorder is closed (its queue written) when the process exits.
 *
 * @example In memory when the directory may not be written
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const usage = openUsage(
 *   { dataDir: "/var/lib/relayx", retentionDays: 90 },
 *   { priceOf: () => undefined, query: () => "prompt" },
 * );
 * assert.equal(usage.storage.kind, "memory");
 * usage.recorder.close();
 * ```
 */
export function openUsage(
  settings: UsageSettings,
  options: Omit<UsageRecorderOptions, "store" | "retentionDays"> & {
    priceOf: PriceOf;
    query?: PermissionQuery;
  },
): OpenedUsage {
  const { query = denoQuery, ...recorderOptions } = options;
  const memory = (reason: string): OpenedUsage => ({
    recorder: createUsageRecorder({ ...recorderOptions, retentionDays: settings.retentionDays }),
    storage: { kind: "memory", reason },
  });
  const dir = settings.dataDir;
  if (dir === undefined) return memory("no data directory (set RELAYX_DATA_DIR)");
  if (query({ name: "read", path: dir }) !== "granted" || query({ name: "write", path: dir }) !== "granted") {
    // Two lines, so that neither is wider than a terminal for the usual directories.
    return memory(
      `no permission to ${dir}\nrelayx: to keep them, run with -R=${dir} -W=${dir}`,
    );
  }
  const path = usageDbPath(dir);
  let db;
  try {
    Deno.mkdirSync(dir, { recursive: true });
    db = openUsageDb(path);
    pruneRecords(db, (options.now ?? Date.now)() - settings.retentionDays * 86_400_000);
  } catch (err) {
    return memory(`cannot open ${path}: ${_message(err)}`);
  }
  const opened = db;
  const recorder = createUsageRecorder({
    ...recorderOptions,
    retentionDays: settings.retentionDays,
    store: {
      write: (records) => writeRecords(opened, records),
      prune: (before) => pruneRecords(opened, before),
      close: () => opened.close(),
    },
  });
  // Deno.exit (the end of a graceful shutdown, a second signal) dispatches `unload`: the queue is
  // written then, not lost.
  globalThis.addEventListener("unload", () => recorder.close());
  return { recorder, storage: { kind: "database", path } };
}

/**
 * The start-up line saying where usage goes.
 *
 * @example
 * ```ts
 * console.log(usageLine({ kind: "memory", reason: "no data directory (set RELAYX_DATA_DIR)" }));
 * // relayx: usage records kept in memory only: no data directory (set RELAYX_DATA_DIR)
 * ```
 */
export function usageLine(storage: UsageStorage): string {
  switch (storage.kind) {
    case "database":
      return `relayx: usage records in ${storage.path} (report: relayx usage)`;
    case "memory":
      return `relayx: usage records kept in memory only: ${storage.reason}`;
    default: {
      const never: never = storage;
      return never;
    }
  }
}
