import assert from "node:assert/strict";
import { claudeFamily } from "../src/anthropic/claude_names.ts";
import { type BackendConfig, type Config, ConfigError, parseConfig } from "../src/config.ts";
import { createOpenAIBackend } from "../src/backends/openai.ts";

function rejects(env: Record<string, string>, variable: string): void {
  assert.throws(() => parseConfig(env), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.ok(e.message.startsWith(`${variable}: `), e.message);
    assert.equal(e.message.split("\n").length, 1);
    return true;
  });
}

// An environment configuration's one backend, after checking that the catch-all route names it.
function only(config: Config): BackendConfig {
  const names = Object.keys(config.backends);
  assert.equal(names.length, 1);
  assert.deepEqual(config.routes, [{ name: "routes[0]", match: {}, to: [{ backend: names[0] }] }]);
  const backend = config.backends[names[0]!];
  assert.ok(backend);
  return backend;
}

Deno.test("parseConfig()", async (t) => {
  await t.step("defaults: Bedrock on 127.0.0.1:8082, the saml profile, us-east-1", () => {
    const c = parseConfig({});
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.port, 8082);
    const b = only(c);
    assert.equal(c.backends.bedrock, b);
    assert.equal(b.kind, "bedrock");
    if (b.kind !== "bedrock") return;
    assert.equal(b.profile, "saml");
    assert.equal(b.profileExplicit, false);
    assert.equal(b.region, "us-east-1");
    assert.equal(b.api, "auto");
  });

  await t.step("AWS_DEFAULT_REGION is read, AWS_REGION wins", () => {
    const a = only(parseConfig({ AWS_DEFAULT_REGION: "eu-west-1" }));
    const b = only(parseConfig({ AWS_DEFAULT_REGION: "eu-west-1", AWS_REGION: "ap-northeast-1" }));
    assert.equal(a.kind === "bedrock" && a.region, "eu-west-1");
    assert.equal(b.kind === "bedrock" && b.region, "ap-northeast-1");
  });

  await t.step("openai_compatible defaults to Gemini's endpoint and gemini-2.0-flash", () => {
    const c = only(parseConfig({ LLM_BACKEND: "openai_compatible", OPENAI_API_KEY: "k" }));
    assert.equal(c.kind, "openai_compatible");
    if (c.kind !== "openai_compatible") return;
    assert.equal(c.baseUrl, "https://generativelanguage.googleapis.com/v1beta/openai");
    assert.equal(c.provider, "gemini");
    assert.equal(c.model, "gemini-2.0-flash");
    assert.equal(c.smallModel, "gemini-2.0-flash");
  });

  await t.step("the provider comes from the base URL; local servers need no key", () => {
    const c = only(
      parseConfig({ LLM_BACKEND: "openai_compatible", OPENAI_BASE_URL: "http://localhost:11434/v1/" }),
    );
    assert.equal(c.kind === "openai_compatible" && c.provider, "ollama");
    assert.equal(c.kind === "openai_compatible" && c.baseUrl, "http://localhost:11434/v1");
  });

  await t.step("limits: defaults, seconds with decimals, lists in lower case", () => {
    const d = parseConfig({}).limits;
    assert.equal(d.upstreamHeadersMs, 600_000);
    assert.equal(d.guard, "auto");
    assert.deepEqual(d.allowedHosts, []);
    const c = parseConfig({
      RELAYX_UPSTREAM_IDLE_TIMEOUT: "0.25",
      RELAYX_MAX_CONNECTIONS: "8",
      RELAYX_ALLOWED_HOSTS: " Relay.LAN ,,box ",
      RELAYX_GUARD: "ON",
    }).limits;
    assert.equal(c.upstreamIdleMs, 250);
    assert.equal(c.maxConnections, 8);
    assert.deepEqual(c.allowedHosts, ["relay.lan", "box"]);
    assert.equal(c.guard, "on");
    rejects({ RELAYX_UPSTREAM_IDLE_TIMEOUT: "0" }, "RELAYX_UPSTREAM_IDLE_TIMEOUT");
    rejects({ RELAYX_BODY_TIMEOUT: "soon" }, "RELAYX_BODY_TIMEOUT");
    rejects({ RELAYX_MAX_CONNECTIONS: "1.5" }, "RELAYX_MAX_CONNECTIONS");
    rejects({ RELAYX_GUARD: "maybe" }, "RELAYX_GUARD");
  });

  await t.step("limits: the tokenizer's bounds behind count_tokens", () => {
    const d = parseConfig({}).limits;
    assert.equal(d.tokenizerMaxChars, 2_000_000);
    assert.equal(d.tokenizerTimeoutMs, 5_000);
    assert.equal(d.tokenizerQueue, 16);
    assert.equal(d.tokenizerIdleMs, 60_000);
    const c = parseConfig({
      RELAYX_TOKENIZER_MAX_CHARS: "1000",
      RELAYX_TOKENIZER_TIMEOUT: "0.2",
      RELAYX_TOKENIZER_QUEUE: "2",
      RELAYX_TOKENIZER_IDLE_TIMEOUT: "1.5",
    }).limits;
    assert.equal(c.tokenizerMaxChars, 1000);
    assert.equal(c.tokenizerTimeoutMs, 200);
    assert.equal(c.tokenizerQueue, 2);
    assert.equal(c.tokenizerIdleMs, 1500);
    rejects({ RELAYX_TOKENIZER_MAX_CHARS: "lots" }, "RELAYX_TOKENIZER_MAX_CHARS");
    rejects({ RELAYX_TOKENIZER_TIMEOUT: "-1" }, "RELAYX_TOKENIZER_TIMEOUT");
    rejects({ RELAYX_TOKENIZER_QUEUE: "0" }, "RELAYX_TOKENIZER_QUEUE");
    rejects({ RELAYX_TOKENIZER_IDLE_TIMEOUT: "never" }, "RELAYX_TOKENIZER_IDLE_TIMEOUT");
  });

  await t.step("limits: the size bound of a PDF's text", () => {
    assert.equal(parseConfig({}).limits.pdfTextMaxChars, 200_000);
    assert.equal(parseConfig({ RELAYX_PDF_TEXT_MAX_CHARS: "5000" }).limits.pdfTextMaxChars, 5000);
    rejects({ RELAYX_PDF_TEXT_MAX_CHARS: "0" }, "RELAYX_PDF_TEXT_MAX_CHARS");
  });

  await t.step("errors name the variable", () => {
    rejects({ LLM_BACKEND: "azure" }, "LLM_BACKEND");
    rejects({ SERVER_PORT: "http" }, "SERVER_PORT");
    rejects({ SERVER_PORT: "70000" }, "SERVER_PORT");
    rejects({ LLM_BACKEND: "openai_compatible" }, "OPENAI_API_KEY");
    rejects(
      { LLM_BACKEND: "openai_compatible", OPENAI_API_KEY: "k", OPENAI_PROVIDER: "acme" },
      "OPENAI_PROVIDER",
    );
    rejects({ BEDROCK_API: "rest" }, "BEDROCK_API");
    rejects({ MAX_OUTPUT_TOKENS: "-5" }, "MAX_OUTPUT_TOKENS");
    rejects({ LOG_FORMAT: "xml" }, "LOG_FORMAT");
  });

  await t.step("listening beyond loopback needs RELAYX_API_KEY", () => {
    rejects({ HOST: "0.0.0.0" }, "HOST");
    assert.equal(parseConfig({ HOST: "0.0.0.0", RELAYX_API_KEY: "s" }).apiKey, "s");
    assert.equal(parseConfig({ HOST: "localhost" }).host, "localhost");
  });
});

Deno.test("claudeFamily() and the OpenAI-compatible model mapping", async (t) => {
  await t.step("Anthropic ids map by family", () => {
    assert.equal(claudeFamily("claude-opus-5-5"), "opus");
    assert.equal(claudeFamily("claude-haiku-4-5-20251001"), "haiku");
    assert.equal(claudeFamily("claude-3-7-sonnet-latest"), "sonnet");
    assert.equal(claudeFamily("qwen3-coder"), undefined);
    assert.equal(claudeFamily("anthropic/claude-sonnet-4.5"), undefined);
  });
  await t.step("Claude names go to the configured models, others pass through", async () => {
    const backend = createOpenAIBackend({
      kind: "openai_compatible",
      apiKey: "",
      baseUrl: "http://localhost:11434/v1",
      model: "qwen3-coder:30b",
      smallModel: "qwen3:4b",
      provider: "ollama",
    });
    assert.equal(await backend.resolveModel("claude-opus-5-5"), "qwen3-coder:30b");
    assert.equal(await backend.resolveModel("claude-haiku-4-5-20251001"), "qwen3:4b");
    assert.equal(await backend.resolveModel("llama3.3:70b"), "llama3.3:70b");
    assert.equal(await backend.resolveModel("anthropic/claude-sonnet-4.5"), "anthropic/claude-sonnet-4.5");
  });
});
