import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import { DEFAULT_LIMITS } from "../../src/limits.ts";
import type { RequestLog } from "../../src/log.ts";
import { fakeBackend } from "../support/fakes.ts";

function setup(maxModelLength?: number) {
  const logs: RequestLog[] = [];
  const backend = fakeBackend();
  const limits = maxModelLength ? { ...DEFAULT_LIMITS, maxModelLength } : undefined;
  const app = createApp({ backend, log: (e) => logs.push(e), limits });
  const post = (path: string, body: unknown) =>
    Promise.resolve(app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }));
  return { backend, logs, post };
}

const messages = [{ role: "user", content: "Hi" }];

Deno.test("a model name past the cap is a 400 naming model, and never reaches the log", async (t) => {
  await t.step("10 MB on /v1/messages and /v1/messages/count_tokens", async () => {
    const { backend, logs, post } = setup();
    const model = "claude-".padEnd(10 * 1024 * 1024, "x");
    for (
      const [path, body] of [
        ["/v1/messages", { model, max_tokens: 10, messages }],
        ["/v1/messages/count_tokens", { model, messages }],
      ] as const
    ) {
      const res = await post(path, body);
      assert.equal(res.status, 400, path);
      const json = await res.json();
      assert.equal(json.type, "error");
      assert.equal(json.error.type, "invalid_request_error");
      assert.match(json.error.message, /^model: .*512/);
      assert.ok(json.error.message.length < 200);
    }
    assert.equal(backend.calls.length, 0);
    assert.equal(logs.length, 2);
    assert.ok(JSON.stringify(logs).length < 2000, "the log lines stay small");
  });

  await t.step("the cap is config.limits.maxModelLength", async () => {
    const { post } = setup(16);
    assert.equal(
      (await post("/v1/messages", { model: "m".repeat(16), max_tokens: 10, messages })).status,
      200,
    );
    const res = await post("/v1/messages", { model: "m".repeat(17), max_tokens: 10, messages });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /^model: .*16/);
  });
});
