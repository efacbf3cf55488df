/**
 * The usage report as text: a table that fits an 80-column terminal, with a totals row. Token counts are
 * shortened (`12.3k`, `4.56M`); a cost that is not known shows as `?`, never as zero.
 *
 * @module
 */
import type { UsageGrouping, UsageRow } from "./usage_query.ts";

const HEADERS = ["REQS", "INPUT", "OUTPUT", "CACHE R", "CACHE W", "COST"] as const;
const WIDTHS = [6, 8, 8, 8, 8, 10] as const;
// Numbers are right-aligned in columns wider than they get, so one space keeps them apart.
const GAP = " ";
/** The width of a table line. */
export const TABLE_WIDTH = 80;
const KEY_WIDTH = TABLE_WIDTH - WIDTHS.reduce((sum, w) => sum + w + GAP.length, 0);

function _count(n: number): string {
  if (n < 10_000) return String(n);
  for (const [unit, size] of [["G", 1e9], ["M", 1e6], ["k", 1e3]] as const) {
    if (n >= size) {
      const v = n / size;
      return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${unit}`;
    }
  }
  return String(n);
}

function _cost(row: Pick<UsageRow, "cost" | "unpriced_requests">): string {
  if (row.cost === null) return "?";
  const c = row.cost;
  const dollars = c >= 1000 ? c.toFixed(0) : c >= 1 || c === 0 ? c.toFixed(2) : c.toFixed(4);
  // Some requests of the row have no known price: the figure is a lower bound.
  return row.unpriced_requests > 0 ? `$${dollars}+?` : `$${dollars}`;
}

function _key(key: string | null, by: UsageGrouping): string {
  const text = key ?? (by === "session" ? "(no session)" : "(unknown)");
  if (text.length <= KEY_WIDTH) return text;
  // Model ids differ at both ends (`us.anthropic.claude-…-v1:0`): keep both, cut the middle.
  const head = Math.ceil((KEY_WIDTH - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (KEY_WIDTH - 1 - head))}`;
}

function _line(key: string, cells: string[]): string {
  return [key.padEnd(KEY_WIDTH), ...cells.map((c, i) => c.padStart(WIDTHS[i] ?? 0))].join(GAP).trimEnd();
}

function _cells(row: Omit<UsageRow, "key">): string[] {
  return [
    String(row.requests),
    _count(row.input_tokens),
    _count(row.output_tokens),
    _count(row.cache_read_input_tokens),
    _count(row.cache_creation_input_tokens),
    _cost(row),
  ];
}

/**
 * The rows as a table with a header and a totals row, each line at most {@linkcode TABLE_WIDTH}
 * characters; a note instead when there are no rows.
 *
 * @example
 * ```ts
 * console.log(formatUsageTable([{
 *   key: "2026-12-06", requests: 3, input_tokens: 12_345, output_tokens: 678,
 *   cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cost: null, unpriced_requests: 3,
 * }], "day"));
 * ```
 */
export function formatUsageTable(rows: readonly UsageRow[], by: UsageGrouping): string {
  if (rows.length === 0) return "No usage recorded in this period.";
  const total: Omit<UsageRow, "key"> = {
    requests: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    cost: null,
    unpriced_requests: 0,
  };
  for (const row of rows) {
    total.requests += row.requests;
    total.input_tokens += row.input_tokens;
    total.output_tokens += row.output_tokens;
    total.cache_read_input_tokens += row.cache_read_input_tokens;
    total.cache_creation_input_tokens += row.cache_creation_input_tokens;
    if (row.cost !== null) total.cost = (total.cost ?? 0) + row.cost;
    total.unpriced_requests += row.unpriced_requests;
  }
  const rule = "-".repeat(TABLE_WIDTH);
  return [
    _line(by.toUpperCase(), [...HEADERS]),
    rule,
    ...rows.map((row) => _line(_key(row.key, by), _cells(row))),
    rule,
    _line("TOTAL", _cells(total)),
  ].join("\n");
}
