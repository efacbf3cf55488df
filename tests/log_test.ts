import assert from "node:assert/strict";
import { createLogger, MAX_LOG_FIELD, MAX_LOG_WARNINGS, type RequestLog } from "../src/log.ts";
import { createRedactor } from "../src/redact.ts";

const KEY = "relayx-configured-Zq7w3P";

/** The lines `fn` writes with console.log. */
function captured(fn: () => void): string[] {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  try {
    fn();
  } finally {
    console.log = original;
  }
  return lines;
}

const base: RequestLog = {
  request_id: "req_1",
  backend: "openai_compatible",
  method: "POST",
  path: "/v1/messages",
  status: 400,
  total_ms: 2,
};

Deno.test("createLogger() bounds every field: a 10 MB model name is no 20 MB line", async (t) => {
  const model = "m".repeat(10 * 1024 * 1024);
  for (const format of ["json", "text"] as const) {
    await t.step(format, () => {
      const [line = ""] = captured(() =>
        createLogger(format)({
          ...base,
          model,
          upstream_model: model,
          error: `model: ${model}`,
          warnings: Array.from({ length: 50 }, () => model),
        })
      );
      assert.ok(line.length < 20_000, `${line.length} characters`);
      assert.ok(line.includes(`${"m".repeat(MAX_LOG_FIELD)}…(${model.length - MAX_LOG_FIELD} more)`));
      assert.ok(line.includes(`…(${50 - MAX_LOG_WARNINGS} more)`));
    });
  }
});

Deno.test("createLogger() redacts every string field, in both formats", async (t) => {
  const entry: RequestLog = {
    ...base,
    model: `claude-${KEY}`,
    error: `Upstream sent a malformed stream chunk: {"authorization": "Bearer opaque-token"} ${KEY}`,
    warnings: [`dropped ${KEY}`],
  };
  for (const format of ["json", "text"] as const) {
    await t.step(format, () => {
      const [line = ""] = captured(() => createLogger(format, createRedactor([KEY]))(entry));
      assert.ok(!line.includes(KEY), line);
      assert.ok(!line.includes("opaque-token"), line);
      assert.match(line, /\[redacted\]/);
    });
  }
  await t.step("well-known key shapes without a configured redactor", () => {
    const [line = ""] = captured(() =>
      createLogger("json")({ ...base, error: "bad key sk-proj-AbCdEf123456" })
    );
    assert.ok(!line.includes("sk-proj-AbCdEf"), line);
  });
  await t.step("keeps the JSON line's shape: time first, then the record's fields", () => {
    const [line = "{}"] = captured(() => createLogger("json")(base));
    const parsed = JSON.parse(line);
    assert.deepEqual(Object.keys(parsed), ["time", ...Object.keys(base)]);
    assert.equal(parsed.status, 400);
  });
});
