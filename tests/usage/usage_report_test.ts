/**
 * `relayx usage`: its arguments, and the report as a table and as JSON, read from a database written the
 * way relayx writes it.
 */
import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli.ts";
import { ConfigError } from "../../src/config_error.ts";
import { openUsageDb, usageDbPath, writeRecords } from "../../src/usage/usage_db.ts";
import type { UsageRecord } from "../../src/usage/usage_record.ts";
import { runUsage } from "../../src/usage/usage_command.ts";
import { parseUsageArgs } from "../../src/usage/usage_args.ts";
import { TABLE_WIDTH } from "../../src/usage/usage_table.ts";

const NOW = Date.UTC(2026, 11, 6, 12);
const HOUR = 3_600_000;
const SESSION_A = "8b0e5c3a-7f4e-4a0e-9c55-2f1d8f0b6a11";
const SESSION_B = "f3c1d2e4-0000-4bbb-8ccc-123456789abc";

function record(over: Partial<UsageRecord>): UsageRecord {
  return {
    time: NOW - HOUR,
    requestId: "req_1",
    backend: "router",
    tried: [],
    stream: true,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    totalMs: 100,
    status: 200,
    ...over,
  };
}

// Three days of a Claude Code user's traffic: Bedrock Sonnet (priced), a local model (no price), and a
// request whose fallback served it.
const RECORDS: UsageRecord[] = [
  record({
    time: NOW - 50 * HOUR,
    session: SESSION_A,
    route: "main",
    upstreamModel: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    inputTokens: 12_000,
    outputTokens: 800,
    cacheReadTokens: 40_000,
    cacheWriteTokens: 2_000,
    cost: 0.0555,
  }),
  record({
    time: NOW - 26 * HOUR,
    session: SESSION_A,
    route: "background",
    upstreamModel: "qwen3-coder:30b",
    inputTokens: 300,
    outputTokens: 20,
  }),
  record({
    time: NOW - 2 * HOUR,
    session: SESSION_B,
    route: "main",
    upstreamModel: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    inputTokens: 1_234_567,
    outputTokens: 45_678,
    cacheReadTokens: 9_876_543,
    cacheWriteTokens: 123_456,
    cost: 7.123,
    tried: ["local: 503 api_error"],
  }),
  record({ time: NOW - HOUR, route: "background", upstreamModel: "qwen3-coder:30b", inputTokens: 50 }),
];

async function withDb(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const db = openUsageDb(usageDbPath(dir));
  writeRecords(db, RECORDS);
  db.close();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function report(dir: string, args: string[]): { code: number; out: string; err: string } {
  const options = parseUsageArgs(args);
  assert.notEqual(options, "help");
  if (options === "help") throw new Error("unreachable");
  let out = "";
  let err = "";
  const code = runUsage(options, { dataDir: dir, retentionDays: 90 }, {
    print: (t) => (out += t),
    error: (t) => (err += t),
    now: () => NOW,
    utcOffsetMs: 0,
  });
  return { code, out, err };
}

Deno.test("relayx usage prints a table within 80 columns, unknown costs as ?", async (t) => {
  await withDb(async (dir) => {
    for (const by of ["day", "model", "session", "route"]) {
      await t.step(`--by ${by}`, async () => {
        const { code, out } = report(dir, ["--by", by]);
        assert.equal(code, 0);
        for (const line of out.split("\n")) assert.ok(line.length <= TABLE_WIDTH, line);
        await t.assertSnapshot(out);
      });
    }
    await t.step("a row whose every request lacks a price shows ?, not $0.00", () => {
      const { out } = report(dir, ["--by", "model"]);
      assert.match(out, /^qwen3-coder:30b .* \?$/m);
      assert.match(out, /^TOTAL .* \$7\.18\+\?$/m);
    });
  });
});

Deno.test("relayx usage --json prints the rows as objects; --since limits the period", async (t) => {
  await withDb(async (dir) => {
    await t.step("--by model --json", async () => {
      const { code, out } = report(dir, ["--by", "model", "--json"]);
      assert.equal(code, 0);
      const rows = JSON.parse(out);
      await t.assertSnapshot(rows);
      const qwen = rows.find((r: { model: string }) => r.model === "qwen3-coder:30b");
      assert.deepEqual(qwen, {
        model: "qwen3-coder:30b",
        requests: 2,
        input_tokens: 350,
        output_tokens: 20,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
        cost: null,
        unpriced_requests: 2,
      });
    });
    await t.step("--since 1d --by day: only today's requests", () => {
      const rows = JSON.parse(report(dir, ["--since", "1d", "--by", "day", "--json"]).out);
      assert.deepEqual(rows.map((r: { day: string; requests: number }) => [r.day, r.requests]), [[
        "2026-12-06",
        2,
      ]]);
    });
    await t.step("--since a date: from that day's midnight", () => {
      const rows = JSON.parse(report(dir, ["--since", "2026-12-05", "--json"]).out);
      assert.deepEqual(rows.map((r: { day: string }) => r.day), ["2026-12-05", "2026-12-06"]);
    });
  });
});

Deno.test("relayx usage without a database says so, and names the flag without permission", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(report(dir, []), {
      code: 0,
      out: `No usage recorded yet (${dir}/usage.db does not exist).`,
      err: "",
    });
    assert.deepEqual(report(dir, ["--json"]), { code: 0, out: "[]", err: "" });
    let err = "";
    const code = runUsage({ by: "day", json: false }, { dataDir: "/srv/relayx", retentionDays: 90 }, {
      print() {},
      error: (t) => (err += t),
      query: () => "prompt",
    });
    assert.equal(code, 1);
    assert.equal(err, "relayx usage: no permission to read /srv/relayx: run with --allow-read=/srv/relayx");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseCommandLine() takes the usage subcommand and its flags", async (t) => {
  const none = { readTextFile: () => "", readable: () => false };
  await t.step("defaults: by day, all records, a table", () => {
    assert.deepEqual(parseCommandLine(["usage"], {}, none, "0.0.0"), {
      kind: "usage",
      options: { by: "day", json: false },
    });
  });
  await t.step("--since 7d and a date", () => {
    const week = parseCommandLine(["usage", "--since", "7d", "--by", "session"], {}, none, "0.0.0");
    assert.deepEqual(week, {
      kind: "usage",
      options: { by: "session", json: false, since: { kind: "ago", ms: 7 * 86_400_000, text: "7d" } },
    });
  });
  await t.step("bad values name the flag", () => {
    assert.throws(
      () => parseCommandLine(["usage", "--by", "week"], {}, none, "0.0.0"),
      new ConfigError('--by: expected day, model, session, route, got "week"'),
    );
    assert.throws(
      () => parseCommandLine(["usage", "--since", "2026-02-30"], {}, none, "0.0.0"),
      /--since: expected a number of days \(7d\), hours \(24h\) or a date \(2026-12-01\), got "2026-02-30"/,
    );
    assert.throws(
      () => parseCommandLine(["usage", "--port", "1"], {}, none, "0.0.0"),
      /^ConfigError: usage: /,
    );
  });
  await t.step("usage --help", () => {
    const help = parseCommandLine(["usage", "--help"], {}, none, "0.0.0");
    assert.equal(help.kind, "help");
    assert.match(
      help.kind === "help" ? help.text : "",
      /^Usage: relayx usage \[--by day\|model\|session\|route\]/,
    );
  });
});
