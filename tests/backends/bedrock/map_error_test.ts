/**
 * Bedrock's words reach the client and the log only redacted: exception messages (HTTP and event-stream
 * exception frames), malformed frames and chunks, non-JSON bodies (whose `JSON.parse` message quotes
 * them), CountTokens failures (a warning header) and the causes of a failed fetch, for Converse and
 * InvokeModel, stream and non-stream, against the mock Bedrock.
 */
import assert from "node:assert/strict";
import { createBedrockBackend } from "../../../src/backends/bedrock/bedrock_backend.ts";
import type { BedrockConfig } from "../../../src/config.ts";
import {
  anthropicEvents,
  bedrockError,
  chunkEvent,
  inferenceProfile,
  type MockBedrock,
  type MockBedrockReply,
  startMockBedrock,
} from "../../support/mock_bedrock.ts";
import { startRelay, type TestRelay } from "../../support/relay.ts";

// No well-known key shapes: only the configured credentials tell the redactor what to hide.
const TOKEN = "zq7wP3-bedrock-session-token-Lm4t";
const CREDENTIALS = {
  accessKeyId: "AKIDRELAYXTEST",
  secretAccessKey: "zq7wP3-bedrock-secret-key-Rk2v",
  sessionToken: TOKEN,
};
const SECRETS = [TOKEN, CREDENTIALS.secretAccessKey, CREDENTIALS.accessKeyId];
const PROFILES = [inferenceProfile("global.anthropic.claude-opus-5-5")];
const encoder = new TextEncoder();

/** Fails when `text` holds a credential, its first six or its last eight characters. */
function assertClean(text: string, where: string): void {
  for (const secret of SECRETS) {
    for (const piece of [secret, secret.slice(0, 6), secret.slice(-8)]) {
      assert.ok(!text.includes(piece), `${where} holds "${piece}": ${text.slice(0, 2000)}`);
    }
  }
}

interface Answer {
  status: number;
  text: string;
}

async function post(relay: TestRelay, path: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${relay.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const head = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  return { status: res.status, text: `${head}\n\n${await res.text()}` };
}

const request = (stream: boolean) => ({
  model: "claude-opus-5-5",
  max_tokens: 50,
  stream,
  messages: [{ role: "user", content: "Hi" }],
});

async function relayOver(mock: MockBedrock, api: BedrockConfig["api"]): Promise<TestRelay> {
  const backend = await createBedrockBackend(
    { kind: "bedrock", profileExplicit: false, region: "us-east-1", api },
    { endpoint: mock.url, controlEndpoint: mock.url, credentials: CREDENTIALS, env: {} },
  );
  return startRelay(backend, { secrets: SECRETS });
}

/** Sends one Messages request answered by `reply`; checks the answer and the log line for credentials. */
async function expectClean(
  api: "converse" | "invoke",
  reply: MockBedrockReply,
  stream: boolean,
  check: (answer: Answer, log: string) => void,
): Promise<void> {
  await using mock = await startMockBedrock({ profiles: PROFILES, accessKeyId: CREDENTIALS.accessKeyId });
  await using relay = await relayOver(mock, api);
  const operation = api === "converse"
    ? (stream ? "converse-stream" : "converse")
    : (stream ? "invoke-with-response-stream" : "invoke");
  mock.enqueue({ ...reply, operation });
  const answer = await post(relay, "/v1/messages", request(stream));
  const log = JSON.stringify(relay.logs);
  assertClean(answer.text, "the answer");
  assertClean(log, "the log");
  check(answer, log);
}

const quoted = `The security token ${TOKEN} included in the request is invalid`;

Deno.test("Bedrock mapError() keeps credentials out of answers and logs", async (t) => {
  for (const api of ["converse", "invoke"] as const) {
    for (const stream of [false, true]) {
      await t.step(
        `${api}, ${stream ? "stream" : "non-stream"}: an HTTP exception quoting the token`,
        () =>
          expectClean(api, bedrockError("ValidationException", quoted), stream, (answer) => {
            assert.equal(answer.status, 400);
            assert.match(
              answer.text,
              /Bedrock ValidationException: The security token \[redacted\] included/,
            );
          }),
      );
    }
  }

  await t.step(
    "converse stream: an exception frame quoting the token, mid-stream",
    () =>
      expectClean(
        "converse",
        {
          kind: "stream",
          events: [
            { messageStart: { role: "assistant" } },
            { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "Hel" } } },
            { modelStreamErrorException: { message: `Model failed: ${TOKEN}`, originalMessage: TOKEN } },
          ],
        },
        true,
        (answer) => {
          assert.equal(answer.status, 200);
          assert.match(answer.text, /"text":"Hel"/);
          assert.match(answer.text, /event: error\ndata: .*Model failed: \[redacted\]/);
        },
      ),
  );

  await t.step(
    "invoke stream: an exception frame quoting the token, mid-stream",
    () =>
      expectClean(
        "invoke",
        {
          kind: "stream",
          events: [
            chunkEvent(anthropicEvents("Hel")[0]),
            { throttlingException: { message: `Too many requests with ${TOKEN}` } },
          ],
        },
        true,
        (answer) => {
          assert.equal(answer.status, 200);
          assert.match(
            answer.text,
            /event: error\ndata: .*rate_limit_error.*Too many requests with \[redacted\]/,
          );
        },
      ),
  );

  await t.step("converse stream: a frame that is not JSON, quoting the token", () =>
    expectClean(
      "converse",
      {
        kind: "stream",
        events: [
          { messageStart: { role: "assistant" } },
          { contentBlockDelta: encoder.encode(`${TOKEN} <- not JSON`) },
        ],
      },
      true,
      (answer) => {
        assert.match(
          answer.text,
          /Bedrock sent a malformed event frame contentBlockDelta: \[redacted\] <- not JSON/,
        );
      },
    ));

  await t.step(
    "invoke stream: a chunk whose bytes are not JSON, starting with the token",
    () =>
      expectClean(
        "invoke",
        {
          kind: "stream",
          events: [chunkEvent(anthropicEvents("Hel")[0]), { chunk: { bytes: btoa(`${TOKEN} <- not JSON`) } }],
        },
        true,
        (answer, log) => {
          assert.match(answer.text, /Bedrock sent a malformed chunk: \[redacted\] <- not JSON/);
          assert.match(log, /malformed chunk/);
        },
      ),
  );

  for (const api of ["converse", "invoke"] as const) {
    await t.step(
      `${api}, non-stream: a 200 body that is not JSON, starting with the token`,
      () =>
        expectClean(
          api,
          {
            kind: "text",
            status: 200,
            body: `${TOKEN} is not JSON`,
            headers: { "content-type": "application/json" },
          },
          false,
          (answer, log) => {
            assert.equal(answer.status, 500);
            // Invoke names the body itself; Converse's SDK parser quotes it in the (redacted) logged cause.
            assert.match(answer.text, /Bedrock answered (HTTP 200 )?with a body that is not JSON/);
            assert.match(log, /not JSON/);
          },
        ),
    );
  }

  await t.step("an error echoing the request's signed headers", () =>
    expectClean(
      "converse",
      bedrockError(
        "ValidationException",
        `Bad request. Headers: x-amz-security-token: ${TOKEN}\nAuthorization: AWS4-HMAC-SHA256 ` +
          `Credential=${CREDENTIALS.accessKeyId}/20261205/us-east-1/bedrock/aws4_request, Signature=0a1b`,
      ),
      false,
      (answer) => assert.match(answer.text, /x-amz-security-token: \[redacted\]/),
    ));

  await t.step("a gateway's HTML error page quoting the token", () =>
    expectClean(
      "invoke",
      {
        kind: "text",
        status: 502,
        body: `<html><head><title>502 Bad Gateway</title></head><body>${TOKEN}</body></html>`,
        headers: { "content-type": "text/html" },
      },
      true,
      (answer) => {
        assert.equal(answer.status, 529);
        assert.match(answer.text, /Bedrock answered HTTP 502 with a body that is not JSON/);
      },
    ));
});

Deno.test("Bedrock count_tokens keeps a failure's credentials out of the warning header and the log", async () => {
  await using mock = await startMockBedrock({ profiles: PROFILES, accessKeyId: CREDENTIALS.accessKeyId });
  await using relay = await relayOver(mock, "invoke");
  mock.enqueue(bedrockError("ValidationException", quoted, { operation: "count-tokens" }));
  const { model, messages } = request(false);
  const answer = await post(relay, "/v1/messages/count_tokens", { model, messages });
  assert.equal(answer.status, 200);
  assert.match(answer.text, /x-relayx-warnings: count_tokens: Bedrock CountTokens failed/);
  assertClean(answer.text, "the answer");
  assertClean(JSON.stringify(relay.logs), "the log");
});

Deno.test("Bedrock mapError() keeps credentials out of a failed fetch's causes", async () => {
  await using mock = await startMockBedrock({ profiles: PROFILES, accessKeyId: CREDENTIALS.accessKeyId });
  await using relay = await relayOver(mock, "converse");
  const real = globalThis.fetch;
  // The SDK's fetch handler calls the global fetch: requests to the mock fail with causes quoting the
  // token, everything else (the test's own requests to relayx) goes through.
  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(mock.url)) return real(input, init);
    return Promise.reject(
      new TypeError(`error sending request for url (${url}): ${TOKEN}`, {
        cause: new Error(`tcp connect error: ${CREDENTIALS.secretAccessKey}`),
      }),
    );
  };
  try {
    for (const stream of [false, true]) {
      const answer = await post(relay, "/v1/messages", request(stream));
      assert.equal(answer.status, 500, `stream=${stream}: ${answer.text.slice(0, 300)}`);
      assertClean(answer.text, "the answer");
    }
  } finally {
    globalThis.fetch = real;
  }
  const log = JSON.stringify(relay.logs);
  assertClean(log, "the log");
  assert.match(log, /error sending request for url .*\[redacted\]/);
});
