/**
 * The usage settings: where the database lives and how long records are kept. A pure parse of the
 * environment, like `limits.ts`; the platform is passed in.
 *
 * @module
 */
import { ConfigError } from "../config_error.ts";

/** Where usage is kept and for how long. */
export interface UsageSettings {
  /** The data directory; undefined when the environment names none (no `HOME`, no `APPDATA`). */
  dataDir?: string;
  /** Records older than this many days are pruned. */
  retentionDays: number;
}

/** Days records are kept unless `RELAYX_USAGE_RETENTION_DAYS` says otherwise. */
export const DEFAULT_RETENTION_DAYS = 90;

/** The operating systems whose data directories differ (`Deno.build.os`'s names). */
export type Platform = "linux" | "darwin" | "windows" | (string & Record<never, never>);

// The user's data directory by platform convention: XDG on Linux and the other Unixes.
function _platformDir(env: Record<string, string | undefined>, os: Platform): string | undefined {
  if (os === "windows") return env.APPDATA ? `${env.APPDATA}\\relayx` : undefined;
  if (os === "darwin") return env.HOME ? `${env.HOME}/Library/Application Support/relayx` : undefined;
  // The XDG spec ignores a relative XDG_DATA_HOME.
  const xdg = env.XDG_DATA_HOME;
  if (xdg?.startsWith("/")) return `${xdg}/relayx`;
  return env.HOME ? `${env.HOME}/.local/share/relayx` : undefined;
}

/**
 * Reads `RELAYX_DATA_DIR` (else the platform's data directory: `$XDG_DATA_HOME/relayx` or
 * `~/.local/share/relayx` on Linux, `~/Library/Application Support/relayx` on macOS,
 * `%APPDATA%\relayx` on Windows) and `RELAYX_USAGE_RETENTION_DAYS` (default 90).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseUsageSettings({ HOME: "/home/ada" }, "linux"), {
 *   dataDir: "/home/ada/.local/share/relayx",
 *   retentionDays: 90,
 * });
 * ```
 * @throws {ConfigError} naming the variable that is wrong.
 */
export function parseUsageSettings(env: Record<string, string | undefined>, os: Platform): UsageSettings {
  const raw = env.RELAYX_USAGE_RETENTION_DAYS?.trim();
  let retentionDays = DEFAULT_RETENTION_DAYS;
  if (raw) {
    retentionDays = Number(raw);
    if (!/^\d+$/.test(raw) || retentionDays < 1) {
      throw new ConfigError(`RELAYX_USAGE_RETENTION_DAYS: expected a positive number of days, got "${raw}"`);
    }
  }
  const named = env.RELAYX_DATA_DIR?.trim();
  return { dataDir: named ? named : _platformDir(env, os), retentionDays };
}
