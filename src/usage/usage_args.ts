/**
 * `relayx usage`'s command line: `--by day|model|session|route`, `--since 7d|24h|YYYY-MM-DD`, `--json`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../config_error.ts";
import { USAGE_GROUPINGS, type UsageGrouping } from "./usage_query.ts";

/** How far back the report goes: a number of days or hours back from now, or a local date. */
export type Since =
  | { kind: "ago"; ms: number; text: string }
  | { kind: "date"; year: number; month: number; day: number; text: string };

/** What `relayx usage` was asked for. */
export interface UsageOptions {
  /** The grouping (default `day`). */
  by: UsageGrouping;
  /** The start of the period; all records when unset. */
  since?: Since;
  /** Rows as JSON objects instead of a table. */
  json: boolean;
}

/** The `relayx usage --help` text. */
export const USAGE_HELP: string = [
  "Usage: relayx usage [--by day|model|session|route] [--since 7d|24h|YYYY-MM-DD] [--json]",
  "Tokens and cost from the usage database (RELAYX_DATA_DIR), read-only: it",
  "works while relayx runs. A cost shows as ? when the model's price is unknown.",
].join("\n");

function _since(text: string): Since {
  const ago = /^(\d+)([dh])$/.exec(text);
  if (ago) return { kind: "ago", ms: Number(ago[1]) * (ago[2] === "d" ? 86_400_000 : 3_600_000), text };
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const check = new Date(Date.UTC(year, month - 1, day));
    if (check.getUTCMonth() === month - 1 && check.getUTCDate() === day) {
      return { kind: "date", year, month, day, text };
    }
  }
  throw new ConfigError(
    `--since: expected a number of days (7d), hours (24h) or a date (2026-12-01), got "${text}"`,
  );
}

/**
 * Parses the arguments after `usage`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseUsageArgs(["--by", "model", "--json"]), { by: "model", json: true });
 * ```
 * @throws {ConfigError} naming the flag that is wrong.
 */
export function parseUsageArgs(args: string[]): UsageOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        by: { type: "string" },
        since: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    throw new ConfigError(`usage: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (values.help) return "help";
  const by = values.by ?? "day";
  if (!(USAGE_GROUPINGS as readonly string[]).includes(by)) {
    throw new ConfigError(`--by: expected ${USAGE_GROUPINGS.join(", ")}, got "${by}"`);
  }
  const options: UsageOptions = { by: by as UsageGrouping, json: values.json === true };
  if (values.since !== undefined) options.since = _since(values.since);
  return options;
}

/**
 * The start of the period in milliseconds since the epoch: `now` minus the duration, or the local
 * midnight starting the date (`utcOffsetMs` is the local zone's offset from UTC).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const since = { kind: "date", year: 2026, month: 12, day: 1, text: "2026-12-01" } as const;
 * assert.equal(sinceTime(since, Date.now(), 0), Date.UTC(2026, 11, 1));
 * ```
 */
export function sinceTime(since: Since, now: number, utcOffsetMs: number): number {
  switch (since.kind) {
    case "ago":
      return now - since.ms;
    case "date":
      return Date.UTC(since.year, since.month - 1, since.day) - utcOffsetMs;
    default: {
      const never: never = since;
      return never;
    }
  }
}
