/**
 * The usage database: migrations from an older schema, batched writes, pruning, and where records go
 * when the data directory may not be used.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openUsageDb, pruneRecords, usageDbPath, writeRecords } from "../../src/usage/usage_db.ts";
import type { UsageRecord } from "../../src/usage/usage_record.ts";
import { migrate, SCHEMA_VERSION, schemaVersion } from "../../src/usage/usage_schema.ts";
import { openUsage, usageLine } from "../../src/usage/usage_storage.ts";

function record(over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    time: Date.UTC(2026, 11, 6, 10),
    requestId: "req_1",
    session: "8b0e5c3a-7f4e-4a0e-9c55-2f1d8f0b6a11",
    client: "claude-cli/2.1.3",
    backend: "router",
    route: "main",
    target: "b/fallback-model",
    tried: ["a: 429 rate_limit_error"],
    model: "claude-sonnet-4-5",
    upstreamModel: "fallback-model",
    stream: true,
    inputTokens: 1200,
    outputTokens: 80,
    cacheReadTokens: 1000,
    cacheWriteTokens: 0,
    cost: 0.0123,
    ttfbMs: 12.5,
    totalMs: 340.25,
    status: 200,
    ...over,
  };
}

function indexes(db: DatabaseSync): string[] {
  return db.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' ORDER BY name",
  )
    .all().map((r) => String(r.name));
}

Deno.test("migrate() brings a database of an older schema up to date, keeping its rows", async (t) => {
  const dir = await Deno.makeTempDir();
  const path = usageDbPath(dir);
  try {
    await t.step("a version-1 database (as the first release wrote it) gets the indexes", () => {
      const old = new DatabaseSync(path);
      migrate(old, 1);
      assert.equal(schemaVersion(old), 1);
      writeRecords(old, [record()]);
      assert.deepEqual(indexes(old), []);
      old.close();
      const db = openUsageDb(path);
      assert.equal(schemaVersion(db), SCHEMA_VERSION);
      assert.deepEqual(indexes(db), ["requests_session", "requests_time"]);
      assert.equal(db.prepare("SELECT count(*) AS n FROM requests").get()?.n, 1);
      db.close();
    });

    await t.step("opening an up-to-date database again changes nothing", () => {
      const db = openUsageDb(path);
      assert.equal(schemaVersion(db), SCHEMA_VERSION);
      assert.equal(db.prepare("SELECT count(*) AS n FROM requests").get()?.n, 1);
      db.close();
    });

    await t.step("a database of a newer relayx is not touched", () => {
      const newer = new DatabaseSync(path);
      newer.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
      newer.close();
      assert.throws(() => openUsageDb(path), /schema version \d+: made by a newer relayx/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeRecords() writes a batch in one transaction; pruneRecords() drops the old ones", () => {
  const db = openUsageDb(":memory:");
  const day = 86_400_000;
  const now = Date.UTC(2026, 11, 6);
  writeRecords(db, [
    record({ requestId: "req_old", time: now - 91 * day }),
    record({ requestId: "req_new", time: now - day, cost: undefined, tried: [], session: undefined }),
  ]);
  const rows = db.prepare(
    "SELECT request_id, cost, tried, fallbacks, session, stream FROM requests ORDER BY id",
  )
    .all().map((r) => ({ ...r }));
  assert.deepEqual(rows, [
    {
      request_id: "req_old",
      cost: 0.0123,
      tried: '["a: 429 rate_limit_error"]',
      fallbacks: 1,
      session: "8b0e5c3a-7f4e-4a0e-9c55-2f1d8f0b6a11",
      stream: 1,
    },
    { request_id: "req_new", cost: null, tried: null, fallbacks: 0, session: null, stream: 1 },
  ]);
  // A row that fails leaves none of its batch behind.
  assert.throws(() => writeRecords(db, [record({ requestId: "req_x" }), record({ totalMs: Number.NaN })]));
  assert.equal(db.prepare("SELECT count(*) AS n FROM requests").get()?.n, 2);
  assert.equal(pruneRecords(db, now - 90 * day), 1);
  assert.deepEqual(db.prepare("SELECT request_id FROM requests").all().map((r) => r.request_id), ["req_new"]);
  db.close();
});

Deno.test("openUsage() keeps records in memory when the data directory may not be used", async (t) => {
  const options = { priceOf: () => undefined };
  await t.step("no read/write permission: memory, and the line names the flags", () => {
    const asked: string[] = [];
    const usage = openUsage({ dataDir: "/srv/relayx", retentionDays: 90 }, {
      ...options,
      query: ({ name, path }) => {
        asked.push(`${name} ${path}`);
        return name === "read" ? "granted" : "prompt";
      },
    });
    assert.deepEqual(usage.storage, {
      kind: "memory",
      reason: "no permission to /srv/relayx\nrelayx: to keep them, run with -R=/srv/relayx -W=/srv/relayx",
    });
    assert.deepEqual(asked, ["read /srv/relayx", "write /srv/relayx"]);
    assert.equal(
      usageLine(usage.storage),
      "relayx: usage records kept in memory only: no permission to /srv/relayx\n" +
        "relayx: to keep them, run with -R=/srv/relayx -W=/srv/relayx",
    );
    usage.recorder.record({
      request_id: "req_1",
      backend: "bedrock",
      method: "POST",
      path: "/v1/messages",
      status: 200,
      total_ms: 1,
    });
    assert.equal(usage.recorder.recent().length, 1);
    usage.recorder.close();
  });

  await t.step("no data directory at all", () => {
    const usage = openUsage({ retentionDays: 90 }, options);
    assert.deepEqual(usage.storage, { kind: "memory", reason: "no data directory (set RELAYX_DATA_DIR)" });
    usage.recorder.close();
  });

  await t.step("a database it cannot open (a newer relayx's)", async () => {
    const dir = await Deno.makeTempDir();
    const newer = new DatabaseSync(usageDbPath(dir));
    newer.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`);
    newer.close();
    const usage = openUsage({ dataDir: dir, retentionDays: 90 }, options);
    assert.equal(usage.storage.kind, "memory");
    assert.match(usageLine(usage.storage), /cannot open .*usage\.db: .*made by a newer relayx/);
    usage.recorder.close();
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("openUsage() creates the data directory and the database, and prunes it on opening", async () => {
  const dir = await Deno.makeTempDir();
  const nested = `${dir}/a/b/relayx`;
  try {
    const now = Date.UTC(2026, 11, 6);
    const first = openUsage({ dataDir: nested, retentionDays: 7 }, {
      priceOf: () => undefined,
      now: () => now,
    });
    assert.deepEqual(first.storage, { kind: "database", path: `${nested}/usage.db` });
    assert.equal(
      usageLine(first.storage),
      `relayx: usage records in ${nested}/usage.db (report: relayx usage)`,
    );
    first.recorder.close();
    const db = new DatabaseSync(`${nested}/usage.db`);
    writeRecords(db, [record({ time: now - 8 * 86_400_000 }), record({ time: now - 86_400_000 })]);
    db.close();
    const second = openUsage({ dataDir: nested, retentionDays: 7 }, {
      priceOf: () => undefined,
      now: () => now,
    });
    second.recorder.close();
    const check = new DatabaseSync(`${nested}/usage.db`, { readOnly: true });
    assert.equal(check.prepare("SELECT count(*) AS n FROM requests").get()?.n, 1);
    check.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openUsage() writes the queue when the process exits (Deno.exit dispatches unload)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const usage = openUsage({ dataDir: dir, retentionDays: 90 }, {
      priceOf: () => undefined,
      flushMs: 3_600_000,
    });
    usage.recorder.record({
      request_id: "req_last",
      backend: "bedrock",
      method: "POST",
      path: "/v1/messages",
      status: 200,
      total_ms: 5,
    });
    assert.equal(usage.recorder.pending(), 1);
    globalThis.dispatchEvent(new Event("unload"));
    const db = new DatabaseSync(usageDbPath(dir), { readOnly: true });
    assert.deepEqual(db.prepare("SELECT request_id FROM requests").all().map((r) => r.request_id), [
      "req_last",
    ]);
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
