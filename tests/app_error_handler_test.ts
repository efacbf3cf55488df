/**
 * The app's error handler is the last redaction step before an error answer and its log line, whatever
 * backend threw: a message, a cause or a nested cause quoting a credential comes out redacted.
 */
import assert from "node:assert/strict";
import { createApp } from "../src/app.ts";
import { RelayError } from "../src/errors.ts";
import type { RequestLog } from "../src/log.ts";
import { createRedactor } from "../src/redact.ts";
import { fakeBackend } from "./support/fakes.ts";

const RELAY_KEY = "zq7wP3-relayx-client-key-Lm4t";
const UPSTREAM_KEY = "zq7wP3-upstream-key-Rk2v";

function setup() {
  const backend = fakeBackend();
  const logs: RequestLog[] = [];
  const app = createApp({
    backend,
    log: (e) => logs.push(e),
    apiKey: RELAY_KEY,
    redact: createRedactor([RELAY_KEY, UPSTREAM_KEY]),
  });
  const ask = async (stream: boolean) => {
    const res = await app.request("/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": RELAY_KEY },
      body: JSON.stringify({
        model: "claude-opus-5-5",
        max_tokens: 5,
        stream,
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    return { status: res.status, text: await res.text() };
  };
  return { backend, logs, ask };
}

function assertClean(text: string): void {
  for (const key of [RELAY_KEY, UPSTREAM_KEY]) {
    for (const piece of [key, key.slice(0, 6), key.slice(-8)]) assert.ok(!text.includes(piece), text);
  }
}

Deno.test("createApp()'s error handler redacts answers and log lines", async (t) => {
  await t.step("a backend's RelayError quoting a key", async () => {
    const { backend, logs, ask } = setup();
    backend.reply = new RelayError("permission_error", `Key ${UPSTREAM_KEY} may not use this model`);
    const answer = await ask(false);
    assert.equal(answer.status, 403);
    assert.match(answer.text, /Key \[redacted\] may not use this model/);
    assertClean(answer.text);
    assertClean(JSON.stringify(logs));
  });

  await t.step(
    "an unexpected exception whose causes quote keys: hidden from the client, redacted in the log",
    async () => {
      const { backend, logs, ask } = setup();
      backend.reply = new TypeError(`fetch failed: ${UPSTREAM_KEY}`, {
        cause: new Error(`connect: ${RELAY_KEY}`, { cause: new Error(`deeper: ${UPSTREAM_KEY}`) }),
      });
      const answer = await ask(false);
      assert.equal(answer.status, 500);
      assert.match(answer.text, /Internal error in relayx/);
      assertClean(answer.text);
      const log = JSON.stringify(logs);
      assertClean(log);
      assert.match(
        log,
        /Internal error in relayx: fetch failed: \[redacted\]: connect: \[redacted\]: deeper: \[redacted\]/,
      );
    },
  );

  await t.step("a stream failing before its first event", async () => {
    const { backend, logs, ask } = setup();
    backend.events = [new RelayError("api_error", `Upstream sent a malformed stream chunk: ${UPSTREAM_KEY}`)];
    const answer = await ask(true);
    assert.equal(answer.status, 500);
    assert.match(answer.text, /malformed stream chunk: \[redacted\]/);
    assertClean(answer.text);
    assertClean(JSON.stringify(logs));
  });
});
