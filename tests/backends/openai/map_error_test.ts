/**
 * An OpenAI-compatible upstream's words reach the client and the log only redacted: error bodies,
 * malformed stream chunks, non-JSON bodies (whose `JSON.parse` message quotes them) and the causes of a
 * failed fetch, stream and non-stream, against the mock upstream.
 */
import assert from "node:assert/strict";
import { createOpenAIBackend } from "../../../src/backends/openai.ts";
import type { OpenAIConfig } from "../../../src/config.ts";
import { completion, type MockOpenAIReply, openAIError, startMockOpenAI } from "../../support/mock_openai.ts";
import { startRelay, type TestRelay } from "../../support/relay.ts";

// No well-known key shape: only the configured key tells the redactor what to hide.
const KEY = "zq7wP3-openai-upstream-key-Lm4t";

/** Fails when `text` holds the key, its first six or its last eight characters. */
function assertClean(text: string, where: string): void {
  for (const piece of [KEY, KEY.slice(0, 6), KEY.slice(-8)]) {
    assert.ok(!text.includes(piece), `${where} holds "${piece}": ${text.slice(0, 2000)}`);
  }
}

function config(baseUrl: string): OpenAIConfig {
  return {
    kind: "openai_compatible",
    apiKey: KEY,
    baseUrl,
    model: "gpt-4.1",
    smallModel: "gpt-4.1-mini",
    provider: "openai",
  };
}

interface Answer {
  status: number;
  text: string;
}

async function ask(relay: TestRelay, stream: boolean): Promise<Answer> {
  const res = await fetch(`${relay.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "claude-opus-5-5",
      max_tokens: 50,
      stream,
      messages: [{ role: "user", content: "Hi" }],
    }),
  });
  const head = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  return { status: res.status, text: `${head}\n\n${await res.text()}` };
}

/** Sends one request answered by `reply`, and checks the answer and the log line for the key. */
async function expectClean(
  reply: MockOpenAIReply,
  stream: boolean,
  check: (answer: Answer, log: string) => void,
): Promise<void> {
  await using mock = await startMockOpenAI();
  await using relay = startRelay(createOpenAIBackend(config(mock.url)), { secrets: [KEY] });
  mock.enqueue(reply);
  const answer = await ask(relay, stream);
  const log = JSON.stringify(relay.logs);
  assert.equal(relay.logs.length, 1, log);
  assertClean(answer.text, "the answer");
  assertClean(log, "the log");
  check(answer, log);
}

const firstChunk = {
  choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, finish_reason: null }],
};

Deno.test("OpenAI-compatible mapError() keeps the key out of answers and logs", async (t) => {
  await t.step("a malformed stream chunk quoting the key, mid-stream: an error event", () =>
    expectClean(
      { kind: "stream", chunks: [firstChunk, `data: {"debug": ${KEY}, "auth": "${KEY}"}\n\n`] },
      true,
      (answer, log) => {
        assert.equal(answer.status, 200);
        assert.match(
          answer.text,
          /event: error\ndata: .*malformed stream chunk: \{\\"debug\\": \[redacted\]/,
        );
        assert.match(log, /malformed stream chunk: \{\\"debug\\": \[redacted\]/);
      },
    ));

  await t.step(
    "a malformed first chunk quoting the key: an HTTP error",
    () =>
      expectClean({ kind: "stream", chunks: [`data: ${KEY} <- not JSON\n\n`] }, true, (answer) => {
        assert.equal(answer.status, 500);
        assert.match(answer.text, /malformed stream chunk: \[redacted\] <- not JSON/);
      }),
  );

  await t.step("an in-stream error object quoting the key", () =>
    expectClean(
      {
        kind: "stream",
        chunks: [firstChunk],
        errorAfter: { after: 1, error: { message: `bad key ${KEY}` } },
      },
      true,
      (answer) => assert.match(answer.text, /event: error\ndata: .*bad key \[redacted\]/),
    ));

  await t.step("a 200 body that is not JSON, starting with the key (JSON.parse quotes it)", () =>
    expectClean(
      {
        kind: "text",
        status: 200,
        body: `${KEY} says hello`,
        headers: { "content-type": "application/json" },
      },
      false,
      (answer, log) => {
        assert.equal(answer.status, 500);
        // The complete call names the body instead of quoting the parser (which quotes the body).
        assert.match(answer.text, /Upstream answered HTTP 200 with a body that is not JSON/);
        assert.match(log, /not JSON/);
        assert.doesNotMatch(log, /Unexpected token/);
      },
    ));

  await t.step(
    "an error body with the key in its message (401, JSON)",
    () =>
      expectClean(openAIError(401, `Incorrect API key provided: ${KEY}.`), false, (answer) => {
        assert.match(answer.text, /Upstream authentication failed: Incorrect API key provided: \[redacted\]/);
      }),
  );

  await t.step("an error body with the key in a 200 answer", () =>
    expectClean(
      { kind: "json", status: 200, body: { error: { message: `Key ${KEY} is disabled`, code: 403 } } },
      false,
      (answer) => assert.match(answer.text, /Key \[redacted\] is disabled/),
    ));

  await t.step("an upstream echoing the request's headers in its error page", () =>
    expectClean(
      { kind: "text", status: 400, body: `bad request\nauthorization: Bearer ${KEY}\nx-api-key: ${KEY}` },
      false,
      (answer) => assert.match(answer.text, /authorization: \[redacted\]/),
    ));

  await t.step("a gateway's HTML page quoting the key", () =>
    expectClean(
      {
        kind: "text",
        status: 502,
        body: `<html><head><title>502 Bad Gateway</title></head><body>${KEY}</body></html>`,
        headers: { "content-type": "text/html" },
      },
      true,
      (answer) => {
        assert.equal(answer.status, 529);
        assert.match(answer.text, /502 Bad Gateway \(HTML page\)/);
      },
    ));

  await t.step(
    "a normal answer still flows",
    () => expectClean(completion({ text: "fine" }), false, (answer) => assert.match(answer.text, /"fine"/)),
  );
});

Deno.test("OpenAI-compatible mapError() keeps the key out of a failed fetch's causes", async () => {
  await using mock = await startMockOpenAI();
  const failing: typeof fetch = () =>
    Promise.reject(
      new TypeError(`error sending request for url (${mock.url}/chat/completions?key=${KEY})`, {
        cause: new Error(`client error (Connect): tcp connect error: ${KEY}`),
      }),
    );
  await using relay = startRelay(createOpenAIBackend(config(mock.url), { fetch: failing }), {
    secrets: [KEY],
  });
  for (const stream of [false, true]) {
    const answer = await ask(relay, stream);
    assert.equal(answer.status, 500);
    assert.match(answer.text, /Cannot reach the upstream/);
    assertClean(answer.text, "the answer");
  }
  const log = JSON.stringify(relay.logs);
  assertClean(log, "the log");
  // The causes are logged, redacted: what failed stays visible.
  assert.match(log, /error sending request for url .*key=\[redacted\].*tcp connect error: \[redacted\]/);
});
