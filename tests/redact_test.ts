import assert from "node:assert/strict";
import { RelayError, toRelayError } from "../src/errors.ts";
import { createRedactor, MAX_TEXT, REDACTED, secretsOf } from "../src/redact.ts";

const KEY = "relayx-configured-Zq7w3P";

function base64(s: string): string {
  return btoa(s);
}

Deno.test("createRedactor() hides configured secrets in every form they travel in", async (t) => {
  const redact = createRedactor([KEY, "", undefined, null, "abc"]);

  await t.step("as is, base64 (padded, bare, URL-safe), URL- and JSON-escaped", () => {
    const b64 = base64(KEY);
    const text = [
      `key ${KEY}.`,
      b64,
      b64.replace(/=+$/, ""),
      b64.replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_"),
      encodeURIComponent(KEY),
    ].join(" | ");
    const shown = redact.text(text);
    assert.ok(!shown.includes(KEY), shown);
    assert.ok(!shown.includes(b64.slice(0, 12)), shown);
    assert.equal(shown, `key ${REDACTED}. | ${REDACTED} | ${REDACTED} | ${REDACTED} | ${REDACTED}`);
  });

  await t.step("a secret with characters JSON escapes", () => {
    const odd = 'pa"ss\\word-42';
    const shown = createRedactor([odd]).text(JSON.stringify({ password: odd }));
    assert.equal(shown, `{"password":"${REDACTED}"}`);
  });

  await t.step("leaves values too short to be a secret alone", () => {
    assert.equal(redact.text("abc is not a secret"), "abc is not a secret");
  });

  await t.step("with() adds secrets to a copy", () => {
    const more = redact.with(["another-secret-42"]);
    assert.equal(more.text(`${KEY} another-secret-42`), `${REDACTED} ${REDACTED}`);
    assert.equal(redact.text("another-secret-42"), "another-secret-42");
  });
});

Deno.test("createRedactor() hides credentials it was never told of", async (t) => {
  const redact = createRedactor([]);

  await t.step("header values as upstreams echo them", () => {
    const cases: [string, string][] = [
      ["Authorization: Bearer abc.def.ghi\nHost: x", `Authorization: ${REDACTED}\nHost: x`],
      ['{"authorization":"Basic dXNlcjpwYXNz","x":1}', `{"authorization":"${REDACTED}","x":1}`],
      ['{"x-api-key": "k-123456"}', `{"x-api-key": "${REDACTED}"}`],
      ['"{\\"X-Goog-Api-Key\\":\\"opaque123\\"}"', `"{\\"X-Goog-Api-Key\\":\\"${REDACTED}\\"}"`],
      ["x-amz-security-token=FQoGZXIvYXdzEJr", `x-amz-security-token=${REDACTED}`],
      [
        "Authorization=AWS4-HMAC-SHA256 Credential=AKID/2026/us-east-1/bedrock/aws4_request, Signature=ab",
        `Authorization=${REDACTED}`,
      ],
    ];
    for (const [text, want] of cases) assert.equal(redact.text(text), want);
  });

  await t.step("well-known key shapes", () => {
    const keys = [
      "sk-proj-AbCdEf123456",
      "sk-or-v1-0123456789abcdef",
      "sk-ant-api03-abcdefgh",
      "AIzaSyA1234567890abcdefghij",
      "AKIAIOSFODNN7EXAMPLE",
      "ASIAIOSFODNN7EXAMPLE",
      "ABSKQmVkcm9ja0FQSUtleS1hYmNkZWZnaGlq",
      "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t",
      "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH",
      "Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0",
    ];
    for (const key of keys) {
      assert.equal(redact.text(`rejected: ${key} (invalid)`), `rejected: ${REDACTED} (invalid)`, key);
    }
    // Words that merely contain the letters stay.
    assert.equal(redact.text("task-12345678 and desk-organizer"), "task-12345678 and desk-organizer");
  });

  await t.step("the quote in a JSON.parse message, which may cut a secret anywhere", () => {
    const secret = "relayx-secret-value-123456";
    const messages: string[] = [];
    for (const text of [`hello ${secret} world`, `{"aaaaaaaaaaaaaaaaaaaaaaaaaa": 1, "b": ${secret} x`]) {
      try {
        JSON.parse(text);
      } catch (err) {
        messages.push((err as Error).message);
      }
    }
    // The engine's own message shows a cut of the secret that no list of secrets would recognise.
    assert.ok(messages.every((m) => m.includes("relayx-sec") || m.includes("hello rela")), messages.join());
    for (const m of messages) {
      const shown = createRedactor([secret]).text(m);
      assert.match(shown, /^Unexpected token '.', \[redacted\] is not valid JSON$/);
    }
  });
});

Deno.test("createRedactor() bounds text after redacting it", async (t) => {
  const redact = createRedactor([KEY]);

  await t.step("cuts at 1,000 characters with a count of the rest", () => {
    assert.equal(redact.text("x".repeat(MAX_TEXT)), "x".repeat(MAX_TEXT));
    assert.equal(redact.text("x".repeat(1500)), `${"x".repeat(1000)}…(500 more)`);
    assert.equal(redact.text("x".repeat(30), 10), `${"x".repeat(10)}…(20 more)`);
  });

  await t.step("never shows a piece of a secret cut where the text is cut", () => {
    for (let at = 980; at <= 1010; at++) {
      const shown = redact.text(`${"x".repeat(at)}${KEY}${"y".repeat(5000)}`);
      assert.ok(!shown.includes(KEY.slice(0, 4)), `at ${at}: ${shown.slice(970, 1030)}`);
    }
  });

  await t.step("searches only the head of a huge text, and still hides what it shows", () => {
    const huge = `${KEY} ${"m".repeat(10_000_000)}`;
    const shown = redact.text(huge);
    assert.ok(shown.startsWith(`${REDACTED} mmm`));
    assert.ok(shown.length < 1100, String(shown.length));
    assert.match(shown, /…\(\d+ more\)$/);
  });

  await t.step("redacts all of a long text whose head shrank so much a cut secret could show", () => {
    const many = `${KEY} `.repeat(400) + `${KEY}`.repeat(3);
    const shown = redact.text(many);
    assert.ok(!shown.includes(KEY.slice(0, 6)), shown);
  });
});

Deno.test("Redactor.error() redacts message, retry-after and causes, and keeps the rest", () => {
  const redact = createRedactor([KEY]);
  const cause = new TypeError(`error sending request: ${KEY}`, { cause: new Error(`inner ${KEY}`) });
  const err = new RelayError("rate_limit_error", `Too many requests for ${KEY}`, {
    retryAfter: "7",
    shouldRetry: true,
    cause,
  });
  const clean = redact.error(err);
  assert.equal(clean.type, "rate_limit_error");
  assert.equal(clean.status, 429);
  assert.equal(clean.retryAfter, "7");
  assert.equal(clean.shouldRetry, true);
  assert.equal(clean.message, `Too many requests for ${REDACTED}`);
  assert.ok(clean.cause instanceof Error);
  assert.equal(clean.cause.message, `error sending request: ${REDACTED}: inner ${REDACTED}`);
  const plain = new RelayError("invalid_request_error", "messages: Required");
  assert.equal(redact.error(plain), plain);
  assert.equal(clean.internal, false);
  // A bug inside relayx stays marked as one (the router must not fall back on it).
  const bug = redact.error(toRelayError(new TypeError(`cannot read ${KEY}`)));
  assert.equal(bug.internal, true);
  assert.equal(bug.message, "Internal error in relayx");
});

Deno.test("secretsOf() reads the credential variables and nothing else", () => {
  assert.deepEqual(
    secretsOf({
      OPENAI_API_KEY: "o",
      RELAYX_API_KEY: "r",
      AWS_ACCESS_KEY_ID: "a",
      AWS_SECRET_ACCESS_KEY: "s",
      AWS_SESSION_TOKEN: "t",
      AWS_BEARER_TOKEN_BEDROCK: "b",
      HOME: "/home/me",
      OPENAI_MODEL: "gpt-4.1",
    }).sort(),
    ["a", "b", "o", "r", "s", "t"],
  );
});
