/**
 * The generated bad-input corpus (tests/support/bad_inputs.ts) against a real relayx server over each
 * backend kind, with mock upstreams that refuse what the real services refuse: every request gets a 4xx
 * in Anthropic's envelope naming the bad field, or, for a valid-but-new shape, a normal answer; never a
 * 5xx; and the server keeps serving (/health and a normal request after each batch).
 */
import assert from "node:assert/strict";
import { createBedrockBackend } from "../src/backends/bedrock/bedrock_backend.ts";
import type { BedrockConfig } from "../src/config.ts";
import { createOpenAIBackend } from "../src/backends/openai.ts";
import { type BadInput, badInputs, type Expectation } from "./support/bad_inputs.ts";
import { inferenceProfile, startMockBedrock } from "./support/mock_bedrock.ts";
import { startMockOpenAI } from "./support/mock_openai.ts";
import { startRelay, type TestRelay } from "./support/relay.ts";
import basic from "./testdata/claude_code/request_basic.json" with { type: "json" };

const SEED = 9;
const BATCH = 24;
const PARALLEL = 6;

/** A relay over one backend kind, and how to stop both. */
interface Target extends AsyncDisposable {
  relay: TestRelay;
}

async function openAITarget(): Promise<Target> {
  const mock = await startMockOpenAI();
  const relay = startRelay(createOpenAIBackend({
    kind: "openai_compatible",
    apiKey: "sk-test-secret",
    baseUrl: mock.url,
    model: "gpt-4.1",
    smallModel: "gpt-4.1-mini",
    provider: "openai",
  }));
  return { relay, [Symbol.asyncDispose]: async () => (await relay.close(), await mock.close()) };
}

async function bedrockTarget(api: BedrockConfig["api"]): Promise<Target> {
  const credentials = { accessKeyId: "AKIDRELAYXTEST", secretAccessKey: "relayx-test-secret" };
  const mock = await startMockBedrock({
    profiles: [
      inferenceProfile("global.anthropic.claude-opus-5-5"),
      inferenceProfile("us.anthropic.claude-haiku-4-5-20251001-v1:0"),
    ],
    accessKeyId: credentials.accessKeyId,
  });
  const backend = await createBedrockBackend(
    { kind: "bedrock", profileExplicit: false, region: "us-east-1", api },
    { endpoint: mock.url, controlEndpoint: mock.url, credentials, env: {} },
  );
  const relay = startRelay(backend);
  return { relay, [Symbol.asyncDispose]: async () => (await relay.close(), await mock.close()) };
}

const TARGETS: Record<string, () => Promise<Target>> = {
  "OpenAI-compatible": openAITarget,
  "Bedrock Invoke": () => bedrockTarget("invoke"),
  "Bedrock Converse": () => bedrockTarget("converse"),
};

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Why an answer breaks the case's expectation, or undefined when it keeps it. */
function verdict(c: BadInput, status: number, headers: Headers, text: string): string | undefined {
  if (status >= 500) return `got ${status}: ${text.slice(0, 300)}`;
  if (status >= 400) return checkError(c.expect, status, headers, text);
  if (c.expect.kind === "reject") return `expected ${c.expect.status}, got ${status}`;
  if (status !== 200) return `unexpected status ${status}`;
  if (c.path === "/v1/messages/count_tokens") {
    return typeof JSON.parse(text).input_tokens === "number"
      ? undefined
      : `no input_tokens: ${text.slice(0, 200)}`;
  }
  if (headers.get("content-type")?.startsWith("text/event-stream")) {
    if (text.includes("event: error")) {
      return `the stream failed: ${text.slice(text.indexOf("event: error"), 400)}`;
    }
    return text.trimEnd().endsWith('data: {"type":"message_stop"}') ? undefined : "the stream did not end";
  }
  return JSON.parse(text).type === "message" ? undefined : `not a message: ${text.slice(0, 200)}`;
}

function checkError(expect: Expectation, status: number, headers: Headers, text: string): string | undefined {
  let body: { type?: unknown; error?: { type?: unknown; message?: unknown }; request_id?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    return `a ${status} that is not JSON: ${text.slice(0, 200)}`;
  }
  const message = body.error?.message;
  if (body.type !== "error" || typeof body.error?.type !== "string" || typeof message !== "string") {
    return `a ${status} outside Anthropic's envelope: ${text.slice(0, 200)}`;
  }
  if (!headers.get("request-id")) return "no request-id header";
  if (expect.kind === "accept") return `expected a normal answer, got ${status}: ${message.slice(0, 300)}`;
  if (expect.kind === "either") return undefined;
  if (status !== expect.status) return `expected ${expect.status}, got ${status}: ${message.slice(0, 300)}`;
  if (expect.field && !new RegExp(`^${escape(expect.field)}[.:]`).test(message)) {
    return `the message does not name ${expect.field}: ${message.slice(0, 300)}`;
  }
  return undefined;
}

async function send(relay: TestRelay, c: BadInput): Promise<string | undefined> {
  const res = await fetch(`${relay.url}${c.path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...c.headers },
    body: c.body,
  });
  return verdict(c, res.status, res.headers, await res.text());
}

/** The server still serves: /health, and a normal request. */
async function assertServing(relay: TestRelay, after: string): Promise<void> {
  const health = await fetch(`${relay.url}/health`);
  assert.equal(health.status, 200, `/health after ${after}`);
  await health.body?.cancel();
  const res = await fetch(`${relay.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...basic, stream: false }),
  });
  assert.equal(res.status, 200, `a normal request after ${after}: ${await res.clone().text()}`);
  assert.equal((await res.json()).type, "message");
}

const corpus = badInputs(SEED);

Deno.test(`the bad-input corpus (seed ${SEED}) has at least 300 distinct requests of every kind`, () => {
  assert.ok(corpus.length >= 300, `${corpus.length} cases`);
  assert.equal(new Set(corpus.map((c) => c.name)).size, corpus.length);
  for (
    const family of [
      "wrong type",
      "missing",
      "size",
      "unicode",
      "truncated",
      "newer",
      "role",
      "empty",
      "duplicate",
    ]
  ) {
    assert.ok(corpus.filter((c) => c.name.includes(` ${family}: `)).length >= 5, family);
  }
  assert.ok(corpus.filter((c) => c.path === "/v1/messages/count_tokens").length >= 25);
  assert.deepEqual(badInputs(SEED).map((c) => c.name), corpus.map((c) => c.name), "deterministic");
});

for (const [kind, start] of Object.entries(TARGETS)) {
  Deno.test(`relayx over ${kind} answers every bad input with a 4xx or a normal answer, and keeps serving`, async () => {
    await using target = await start();
    const { relay } = target;
    const failures: string[] = [];
    for (let b = 0; b < corpus.length; b += BATCH) {
      const batch = corpus.slice(b, b + BATCH);
      for (let k = 0; k < batch.length; k += PARALLEL) {
        await Promise.all(
          batch.slice(k, k + PARALLEL).map(async (c) => {
            const why = await send(relay, c).catch((err: unknown) => `the request failed: ${String(err)}`);
            if (why) failures.push(`${c.name} (${c.path}): ${why}`);
          }),
        );
      }
      await assertServing(relay, `cases ${b}-${b + batch.length - 1}`);
    }
    assert.deepEqual(
      failures,
      [],
      `${failures.length} of ${corpus.length} cases failed:\n${failures.join("\n")}`,
    );
    assert.deepEqual(relay.logs.filter((l) => l.status >= 500).map((l) => `${l.status} ${l.error}`), []);
  });
}
