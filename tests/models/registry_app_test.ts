/**
 * The model registry as relayx uses it, through a real relayx (`createRelay`, with a configuration file's
 * settings) in front of mock OpenAI-compatible upstreams: the max_tokens clamp, `/v1/models` limits, the
 * context preflight, and the router's move to a larger window on an overflow.
 */
import assert from "node:assert/strict";
import { createRelay } from "../../main.ts";
import { parseServerConfig } from "../../src/config.ts";
import { parseConfigFile } from "../../src/config_file.ts";
import { completion, openAIError, startMockOpenAI } from "../support/mock_openai.ts";
import { tinyPdfBase64 } from "../support/tiny_pdf.ts";

async function relayFor(file: Record<string, unknown>, env: Record<string, string> = {}) {
  const config = {
    ...parseServerConfig({ LOG_FORMAT: "off", ...env }),
    ...parseConfigFile(JSON.stringify(file), env),
  };
  return await createRelay(env, config);
}

function ask(relay: { fetch: (r: Request) => Promise<Response> }, body: Record<string, unknown>) {
  return relay.fetch(
    new Request("http://127.0.0.1/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 64_000, ...body }),
    }),
  );
}

const user = (text: string) => [{ role: "user", content: text }];

// deno-lint-ignore no-explicit-any
type Body = any;

Deno.test("the max_tokens clamp follows the registry; the backend's maxOutputTokens still wins", async (t) => {
  await using mock = await startMockOpenAI();
  await t.step("a configuration override of the model's output cap", async () => {
    const relay = await relayFor({
      backends: { local: { type: "openai", baseUrl: mock.url, model: "qwen3-coder:30b" } },
      models: { "qwen3-coder:30b": { maxOutputTokens: 12_000 } },
    });
    mock.enqueue(completion({ text: "ok" }));
    const res = await ask(relay, { messages: user("Hi") });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal((mock.requests.at(-1)?.body as Body).max_tokens, 12_000);
    assert.match(res.headers.get("x-relayx-warnings") ?? "", /clamped to 12000/);
  });

  await t.step("the catalogue's cap (gpt-4o: 16,384) on a hosted provider", async () => {
    const relay = await relayFor({
      backends: {
        hosted: { type: "openai", baseUrl: mock.url, apiKey: "sk-x", provider: "openai", model: "gpt-4o" },
      },
    });
    mock.enqueue(completion({ text: "ok" }));
    assert.equal((await ask(relay, { messages: user("Hi") })).status, 200);
    assert.equal(
      (mock.requests.at(-1)?.body as Body).max_completion_tokens ??
        (mock.requests.at(-1)?.body as Body).max_tokens,
      16_384,
    );
  });

  await t.step("the backend's maxOutputTokens beats the registry", async () => {
    const relay = await relayFor({
      backends: {
        local: { type: "openai", baseUrl: mock.url, model: "qwen3-coder:30b", maxOutputTokens: 3000 },
      },
      models: { "qwen3-coder:30b": { maxOutputTokens: 12_000 } },
    });
    mock.enqueue(completion({ text: "ok" }));
    assert.equal((await ask(relay, { messages: user("Hi") })).status, 200);
    assert.equal((mock.requests.at(-1)?.body as Body).max_tokens, 3000);
  });
});

Deno.test("GET /v1/models gives each model's limits from the registry, through the router", async () => {
  await using mock = await startMockOpenAI();
  const relay = await relayFor({
    backends: {
      local: {
        type: "openai",
        baseUrl: mock.url,
        provider: "ollama",
        model: "qwen3-coder:30b",
        smallModel: "my-finetune",
      },
      gemini: { type: "openai", baseUrl: mock.url, apiKey: "k", provider: "gemini", model: "gemini-2.5-pro" },
    },
    routes: [
      { match: { model: "claude-haiku-*" }, to: "local" },
      { to: ["local", "gemini/gemini-2.5-pro"] },
    ],
    models: { "qwen3-coder:30b": { contextWindow: 65_536 } },
  });
  const res = await relay.fetch(new Request("http://127.0.0.1/v1/models?limit=100"));
  const list: Body = await res.json();
  const byId = Object.fromEntries(
    list.data.map((m: Body) => [m.id, [m.max_input_tokens, m.max_tokens]]),
  );
  assert.deepEqual(
    byId["claude-sonnet-4-5"],
    [65_536, 16_384],
    "the local model: override window, local cap",
  );
  assert.deepEqual(byId["gemini-2.5-pro"], [1_048_576, 65_536], "from the catalogue");
  // Unknown to every source: no window (null, not a guess); the output cap is the local servers rule.
  assert.deepEqual(byId["my-finetune"], [null, 16_384]);
  const one: Body = await (await relay.fetch(new Request("http://127.0.0.1/v1/models/gemini-2.5-pro")))
    .json();
  assert.deepEqual([one.max_input_tokens, one.max_tokens], [1_048_576, 65_536]);
});

Deno.test("a prompt beyond the model's window is answered 400 at once, without calling the upstream", async () => {
  await using mock = await startMockOpenAI();
  const relay = await relayFor({
    backends: { local: { type: "openai", baseUrl: mock.url, model: "qwen3-coder:30b" } },
    models: { "qwen3-coder:30b": { contextWindow: 1000 } },
  });
  for (const stream of [false, true]) {
    const res = await ask(relay, { messages: user("word ".repeat(2000)), stream });
    assert.equal(res.status, 400);
    const body: Body = await res.json();
    assert.equal(body.error.type, "invalid_request_error");
    // Anthropic's wording, on which Claude Code compacts; relayx's estimate of 10,000 characters.
    assert.match(body.error.message, /^prompt is too long: \d+ tokens > 1000 maximum$/);
    assert.ok(Number(body.error.message.match(/(\d+) tokens/)[1]) > 2000);
  }
  assert.equal(mock.requests.length, 0);
  // Within the window, the request goes through.
  mock.enqueue(completion({ text: "ok" }));
  assert.equal((await ask(relay, { messages: user("Hi") })).status, 200);
  assert.equal(mock.requests.length, 1);
});

Deno.test("the router moves an overflowing request to a target with a larger window", async () => {
  await using small = await startMockOpenAI();
  await using large = await startMockOpenAI();
  const relay = await relayFor({
    backends: {
      small: { type: "openai", baseUrl: small.url, model: "small-model" },
      large: { type: "openai", baseUrl: large.url, model: "large-model" },
    },
    routes: [{ to: ["small", "small/tiny-model", "large"] }],
    models: {
      "small-model": { contextWindow: 8000 },
      "tiny-model": { contextWindow: 4000 },
      "large-model": { contextWindow: 100_000 },
    },
  });
  // The small model's own overflow (the estimate fits, the upstream's count does not).
  small.enqueue(
    openAIError(
      400,
      "This model's maximum context length is 8000 tokens. However, you requested 9500 tokens",
      {
        code: "context_length_exceeded",
      },
    ),
  );
  large.enqueue(completion({ text: "from large" }));
  const res = await ask(relay, { messages: user("word ".repeat(5000)) });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(await res.text(), /from large/);
  // One request to small; tiny (4,000 is not larger than 8,000) is skipped without a request.
  assert.deepEqual([small.requests.length, large.requests.length], [1, 1]);
  assert.equal((small.requests[0]?.body as Body).model, "small-model");

  // No cool-down: the next request that fits goes to the first target again.
  small.enqueue(completion({ text: "from small" }));
  assert.match(await (await ask(relay, { messages: user("Hi") })).text(), /from small/);
  assert.equal(small.requests.length, 2);

  // relayx's own preflight moves on the same way, without calling the small upstream at all.
  large.enqueue(completion({ text: "large again" }));
  assert.match(await (await ask(relay, { messages: user("word ".repeat(9000)) })).text(), /large again/);
  assert.deepEqual([small.requests.length, large.requests.length], [2, 2]);
});

Deno.test("an image to a model the registry knows has no vision becomes a note, not an upstream 400", async () => {
  await using mock = await startMockOpenAI();
  const relay = await relayFor({
    backends: {
      local: {
        type: "openai",
        baseUrl: mock.url,
        provider: "ollama",
        model: "qwen3-coder:30b",
        smallModel: "llava:7b",
      },
    },
    models: { "llava:7b": { images: true } },
  });
  const PNG =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==";
  const messages = [{
    role: "user",
    content: [
      { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
      { type: "text", text: "What is this?" },
    ],
  }];
  // qwen3-coder is text-only in the catalogue: Ollama's profile takes images, the model does not.
  mock.enqueue(completion({ text: "ok" }));
  assert.equal((await ask(relay, { messages })).status, 200);
  const sent = JSON.stringify(mock.requests.at(-1)?.body);
  assert.doesNotMatch(sent, /image_url/);
  assert.match(sent, /image omitted: this model takes no images/);
  // A model the configuration says has vision gets the image.
  mock.enqueue(completion({ text: "ok" }));
  assert.equal((await ask(relay, { model: "claude-haiku-4-5", messages })).status, 200);
  assert.match(JSON.stringify(mock.requests.at(-1)?.body), /image_url/);
});

Deno.test("the preflight counts a PDF sent to a model without PDFs as the text relayx sends instead", async () => {
  await using mock = await startMockOpenAI();
  // About 1.3 MB of PDF (1.7 MB of base64: 170,000 tokens by its size), over deepseek-chat's 128K window;
  // relayx sends at most 200,000 characters of its text.
  const line = "Quarterly figures rose in every region again. ".repeat(25);
  const pdf = tinyPdfBase64({ pages: Array.from({ length: 1000 }, (_, i) => `${i} ${line}`) });
  assert.ok(pdf.length > 1_300_000, `${pdf.length}`);
  const relay = await relayFor({
    backends: {
      ds: { type: "openai", baseUrl: mock.url, apiKey: "sk-x", provider: "deepseek", model: "deepseek-chat" },
    },
  });
  mock.enqueue(completion({ text: "read it" }));
  const res = await ask(relay, {
    max_tokens: 100,
    messages: [{
      role: "user",
      content: [
        { type: "document", source: { type: "base64", media_type: "application/pdf", data: pdf } },
        { type: "text", text: "Summarise" },
      ],
    }],
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(JSON.stringify(mock.requests.at(-1)?.body), /Quarterly figures rose in every region/);
});

Deno.test("an Anthropic-format local server's models are read from the local servers' catalogue", async () => {
  // Ollama's Anthropic endpoint, by its port; nothing listens there: /v1/models asks no upstream when the
  // backend names its model.
  const relay = await relayFor({
    backends: { local: { type: "anthropic", baseUrl: "http://127.0.0.1:11434", model: "qwen3-coder:30b" } },
  });
  const res = await relay.fetch(new Request("http://127.0.0.1/v1/models"));
  assert.equal(res.status, 200);
  const [entry] = (await res.json()).data;
  assert.equal(entry.id, "qwen3-coder:30b");
  assert.ok(entry.max_input_tokens > 0, JSON.stringify(entry));
});
