import assert from "node:assert/strict";
import { countTokens } from "gpt-tokenizer";
import { parseMessagesRequest } from "../../src/anthropic/parse.ts";
import { RelayError } from "../../src/errors.ts";
import { DEFAULT_LIMITS } from "../../src/limits.ts";
import { estimateInputTokens, textsToCount } from "../../src/tokens.ts";
import { createTokenCounter, type TokenCounterOptions } from "../../src/tokens/token_counter.ts";
import { prepareRequest } from "../../src/translate/prepare.ts";
import basic from "../testdata/claude_code/request_basic.json" with { type: "json" };
import haiku from "../testdata/claude_code/request_haiku_4_5.json" with { type: "json" };
import { BROKEN_TOKENIZER, FAKE_TOKENIZER, textRequest } from "./_fake_tokenizer.ts";

const FAKE: TokenCounterOptions = {
  tokenizerMaxChars: 10_000,
  // Long enough for a new worker to start on a loaded 2-core machine; each hanging count waits it out.
  tokenizerTimeoutMs: 2500,
  tokenizerQueue: 2,
  tokenizerIdleMs: 60_000,
  tokenizerModule: FAKE_TOKENIZER,
};

Deno.test("createTokenCounter() counts with gpt-tokenizer in a worker", async (t) => {
  using counter = disposable(createTokenCounter(DEFAULT_LIMITS));
  for (const [name, body] of Object.entries({ basic, haiku })) {
    await t.step(`${name}: the count of the whole texts, exactly`, async () => {
      const request = prepareRequest(parseMessagesRequest(body), () => {});
      const { fixed, texts } = textsToCount(request);
      const options = { disallowedSpecial: new Set<string>() };
      const whole = fixed + texts.reduce((n, text) => n + countTokens(text, options), 0);
      assert.deepEqual(await counter.count(request), { tokens: whole, method: "tokenizer" });
      // Counted again from the per-text memory: the same figure.
      assert.deepEqual(await counter.count(request), { tokens: whole, method: "tokenizer" });
    });
  }
  await t.step("special-token text such as <|endoftext|> is counted like any text", async () => {
    const count = await counter.count(textRequest("Say <|endoftext|> and stop"));
    assert.equal(count.method, "tokenizer");
    assert.ok(count.tokens > 4 + 5, String(count.tokens));
  });
  await t.step("a run the tokenizer cannot split counts in pieces, within 1% of whole", async () => {
    const run = "你".repeat(4000) + "😀".repeat(2000);
    const count = await counter.count(textRequest(run));
    const whole = 4 + countTokens(run);
    assert.equal(count.method, "tokenizer");
    assert.ok(Math.abs(count.tokens - whole) / whole < 0.01, `${count.tokens} vs ${whole}`);
  });
});

Deno.test("createTokenCounter() remembers counts per text and forgets the oldest first", async () => {
  using counter = disposable(
    createTokenCounter({ ...FAKE, tokenizerMaxChars: 10_000_000, tokenizerTimeoutMs: 30_000 }),
  );
  const old = "o ".repeat(1_500_000);
  const added = "n ".repeat(1_000_000);
  assert.deepEqual(await counter.count(textRequest(old)), { tokens: 4 + old.length, method: "tokenizer" });
  // Remembering the new text pushes the old one out of the 4 MiB memory: this count still has it.
  const both = {
    model: "m",
    messages: [{
      role: "user" as const,
      content: [{ type: "text" as const, text: old }, { type: "text" as const, text: added }],
    }],
  };
  assert.deepEqual(await counter.count(both), { tokens: 4 + old.length + added.length, method: "tokenizer" });
});

Deno.test("createTokenCounter() answers with the estimate past its bounds", async (t) => {
  await t.step("more characters than tokenizerMaxChars", async () => {
    using counter = disposable(createTokenCounter(FAKE));
    const request = textRequest("x".repeat(10_001));
    const count = await counter.count(request);
    assert.equal(count.method, "estimate");
    assert.equal(count.tokens, estimateInputTokens(request));
    assert.match(
      count.method === "estimate" ? count.reason : "",
      /10001 characters .*RELAYX_TOKENIZER_MAX_CHARS/,
    );
    // At the bound itself, the tokenizer counts.
    assert.deepEqual(await counter.count(textRequest("x".repeat(10_000))), {
      tokens: 10_004,
      method: "tokenizer",
    });
  });

  await t.step("a count past tokenizerTimeoutMs; the next count gets a new worker", async () => {
    using counter = disposable(createTokenCounter(FAKE));
    const count = await counter.count(textRequest("HANG"));
    assert.equal(count.method, "estimate");
    assert.match(
      count.method === "estimate" ? count.reason : "",
      /longer than 2500 ms .*RELAYX_TOKENIZER_TIMEOUT/,
    );
    assert.deepEqual(await counter.count(textRequest("hello")), { tokens: 9, method: "tokenizer" });
  });
});

Deno.test("createTokenCounter() survives its worker failing", async (t) => {
  await t.step("a worker that exits mid-count: the estimate, then a new worker", async () => {
    using counter = disposable(createTokenCounter(FAKE));
    const count = await counter.count(textRequest("EXIT"));
    assert.equal(count.method, "estimate");
    assert.match(count.method === "estimate" ? count.reason : "", /exited with code 7/);
    assert.deepEqual(await counter.count(textRequest("hello")), { tokens: 9, method: "tokenizer" });
  });

  await t.step("a tokenizer that throws: the estimate, and the error names no text", async () => {
    using counter = disposable(createTokenCounter(FAKE));
    const count = await counter.count(textRequest("THROW secret prompt"));
    assert.equal(count.method, "estimate");
    const reason = count.method === "estimate" ? count.reason : "";
    assert.match(reason, /TypeError/);
    assert.doesNotMatch(reason, /secret/);
    assert.deepEqual(await counter.count(textRequest("hello")), { tokens: 9, method: "tokenizer" });
  });

  await t.step("a worker that cannot start: every count gets the estimate, none hangs", async () => {
    using counter = disposable(createTokenCounter({ ...FAKE, tokenizerModule: BROKEN_TOKENIZER }));
    const counts = await Promise.all([counter.count(textRequest("a")), counter.count(textRequest("b"))]);
    assert.deepEqual(counts.map((c) => c.method), ["estimate", "estimate"]);
  });

  await t.step("close() answers counts in flight with the estimate", async () => {
    const counter = createTokenCounter(FAKE);
    const pending = counter.count(textRequest("HANG"));
    counter.close();
    assert.equal((await pending).method, "estimate");
  });
});

Deno.test("createTokenCounter() bounds its queue", async (t) => {
  await t.step("a count past tokenizerQueue is refused with a retryable 529", async () => {
    using counter = disposable(createTokenCounter(FAKE));
    const first = counter.count(textRequest("HANG"));
    // It hangs too once it gets the worker (on a loaded machine the first's restart may hand it one just
    // before its own deadline): only its deadline can end it.
    const second = counter.count(textRequest("HANG waits behind it"));
    await assert.rejects(counter.count(textRequest("one too many")), (err: unknown) => {
      assert.ok(err instanceof RelayError);
      assert.equal(err.status, 529);
      assert.equal(err.type, "overloaded_error");
      assert.equal(err.retryAfter, "1");
      assert.equal(err.shouldRetry, true);
      assert.match(err.message, /RELAYX_TOKENIZER_QUEUE/);
      return true;
    });
    // Both end by their deadline, the one waiting too: nothing waits longer than tokenizerTimeoutMs.
    assert.deepEqual((await Promise.all([first, second])).map((c) => c.method), ["estimate", "estimate"]);
    assert.deepEqual(await counter.count(textRequest("hello")), { tokens: 9, method: "tokenizer" });
  });

  await t.step("a client gone while its count waits: a 499, and its place is freed", async () => {
    using counter = disposable(createTokenCounter({ ...FAKE, tokenizerQueue: 2 }));
    const first = counter.count(textRequest("HANG"));
    const abort = new AbortController();
    const second = counter.count(textRequest("waits behind it"), abort.signal);
    abort.abort();
    await assert.rejects(second, (err: unknown) => err instanceof RelayError && err.status === 499);
    // The freed place takes another count (it ends by its deadline, behind the hung one).
    const third = counter.count(textRequest("takes its place"));
    assert.equal((await first).method, "estimate");
    assert.ok(["tokenizer", "estimate"].includes((await third).method));
  });
});

function disposable<T extends { close(): void }>(counter: T): T & Disposable {
  return Object.assign(counter, { [Symbol.dispose]: () => counter.close() });
}
