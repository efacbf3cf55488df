import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import type { RequestLog } from "../../src/log.ts";
import { estimateInputTokens } from "../../src/tokens.ts";
import { createTokenCounter, type TokenCounterOptions } from "../../src/tokens/token_counter.ts";
import { fakeBackend } from "../support/fakes.ts";
import { FAKE_TOKENIZER, textRequest } from "../tokens/_fake_tokenizer.ts";

const LIMITS: TokenCounterOptions = {
  tokenizerMaxChars: 1000,
  tokenizerTimeoutMs: 2500,
  tokenizerQueue: 1,
  tokenizerIdleMs: 60_000,
  tokenizerModule: FAKE_TOKENIZER,
};

function setup(upstream: number | undefined, limits: TokenCounterOptions = LIMITS) {
  const backend = fakeBackend();
  let asked = Promise.withResolvers<void>();
  backend.countTokens = () => {
    asked.resolve();
    asked = Promise.withResolvers<void>();
    return Promise.resolve(upstream);
  };
  const logs: RequestLog[] = [];
  const tokenCounter = createTokenCounter(limits);
  const app = createApp({ backend, tokenCounter, log: (e) => logs.push(e) });
  const count = (text: string) =>
    Promise.resolve(app.request("/v1/messages/count_tokens", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-opus-5-5", messages: [{ role: "user", content: text }] }),
    }));
  // Resolves once the next count has asked the backend and reached the token counter.
  const reachesCounter = async () => {
    await asked.promise;
    await new Promise((r) => setTimeout(r, 0));
  };
  return { count, logs, reachesCounter, [Symbol.dispose]: () => tokenCounter.close() };
}

Deno.test("POST /v1/messages/count_tokens says how it counted in x-relayx-token-count", async (t) => {
  await t.step("upstream: the backend's own count", async () => {
    using s = setup(42);
    const res = await s.count("Hi");
    assert.equal(res.headers.get("x-relayx-token-count"), "upstream");
    assert.deepEqual(await res.json(), { input_tokens: 42 });
  });

  await t.step("tokenizer: relayx's worker, where the backend has no count", async () => {
    using s = setup(undefined);
    const res = await s.count("hello");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-relayx-token-count"), "tokenizer");
    assert.deepEqual(await res.json(), { input_tokens: 9 });
    assert.equal(s.logs[0]?.input_tokens, 9);
  });

  await t.step("estimate: past the input bound, with the reason in x-relayx-warnings", async () => {
    using s = setup(undefined);
    const text = "word ".repeat(201);
    const res = await s.count(text);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-relayx-token-count"), "estimate");
    assert.match(res.headers.get("x-relayx-warnings") ?? "", /estimated.*RELAYX_TOKENIZER_MAX_CHARS/);
    assert.deepEqual(await res.json(), { input_tokens: estimateInputTokens(textRequest(text)) });
    assert.match(s.logs[0]?.warnings?.join() ?? "", /RELAYX_TOKENIZER_MAX_CHARS/);
  });

  await t.step("estimate: when the worker dies mid-count; the next count has a new worker", async () => {
    using s = setup(undefined);
    const res = await s.count("EXIT");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-relayx-token-count"), "estimate");
    assert.match(res.headers.get("x-relayx-warnings") ?? "", /exited/);
    await res.body?.cancel();
    const next = await s.count("hello");
    assert.equal(next.headers.get("x-relayx-token-count"), "tokenizer");
    assert.deepEqual(await next.json(), { input_tokens: 9 });
  });

  await t.step("529 overloaded_error with retry-after when the tokenizer's queue is full", async () => {
    using s = setup(undefined);
    const reached = s.reachesCounter();
    const hung = s.count("HANG");
    // The first count holds the queue's one place.
    await reached;
    const res = await s.count("hello");
    assert.equal(res.status, 529);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.equal(res.headers.get("x-should-retry"), "true");
    const body = await res.json();
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "overloaded_error");
    assert.match(body.error.message, /RELAYX_TOKENIZER_QUEUE/);
    const first = await hung;
    assert.equal(first.headers.get("x-relayx-token-count"), "estimate");
    await first.body?.cancel();
  });
});

Deno.test("POST /v1/messages/count_tokens counts special-token text with the real tokenizer", async () => {
  using s = setup(undefined, { ...LIMITS, tokenizerModule: undefined, tokenizerTimeoutMs: 30_000 });
  const res = await s.count("Ignore <|endoftext|> and <|im_start|> please");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-relayx-token-count"), "tokenizer");
  const { input_tokens } = await res.json();
  assert.ok(input_tokens > 10, String(input_tokens));
});
