/**
 * The configuration file: its shape, `${VAR}`, every error path named, and the published JSON Schema.
 */
import assert from "node:assert/strict";
import { ConfigError } from "../src/config.ts";
import { configFileJsonSchema, parseConfigFile } from "../src/config_file.ts";

const ISSUE_EXAMPLE = {
  backends: {
    local: { type: "openai", baseUrl: "http://localhost:11434/v1", model: "qwen3-coder:30b" },
    gemini: {
      type: "openai",
      baseUrl: "https://generativelanguage.googleapis.com/v1beta/openai",
      apiKey: "${GEMINI_API_KEY}",
      model: "gemini-2.5-pro",
      smallModel: "gemini-2.5-flash",
    },
    bedrock: { type: "bedrock", region: "us-east-1", profile: "saml", api: "auto" },
    glm: { type: "anthropic", baseUrl: "https://api.z.ai/api/anthropic", apiKey: "${ZAI_API_KEY}" },
  },
  routes: [
    { match: { model: "claude-haiku-*" }, to: ["local", "gemini/gemini-2.5-flash"] },
    { match: { inputTokensOver: 180000 }, to: "gemini/gemini-2.5-pro" },
    { to: ["bedrock", "glm/glm-4.6"] },
  ],
};
const ENV = { GEMINI_API_KEY: "AIza-gemini", ZAI_API_KEY: "zai-key" };

function fails(file: unknown, env: Record<string, string>, message: string): void {
  assert.throws(() => parseConfigFile(typeof file === "string" ? file : JSON.stringify(file), env), (e) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.message, message);
    return true;
  });
}

Deno.test("parseConfigFile() reads the issue's example", async (t) => {
  const settings = parseConfigFile(JSON.stringify(ISSUE_EXAMPLE), ENV);
  await t.assertSnapshot(settings);
  assert.equal(
    settings.backends.gemini?.kind === "openai_compatible" && settings.backends.gemini.apiKey,
    "AIza-gemini",
  );
  assert.equal(
    settings.backends.gemini?.kind === "openai_compatible" && settings.backends.gemini.provider,
    "gemini",
  );
  assert.equal(
    settings.backends.local?.kind === "openai_compatible" && settings.backends.local.provider,
    "ollama",
  );
  assert.deepEqual(settings.routes[0]?.to, [{ backend: "local" }, {
    backend: "gemini",
    model: "gemini-2.5-flash",
  }]);
  assert.deepEqual(settings.routes[0]?.match, { model: ["claude-haiku-*"] });
  assert.deepEqual(settings.routes[2]?.match, {});
});

Deno.test("parseConfigFile(): targets, defaults and substitution", async (t) => {
  await t.step("MODEL after the first / keeps its own / and :", () => {
    const s = parseConfigFile(
      JSON.stringify({
        backends: { or: { type: "openai", baseUrl: "https://openrouter.ai/api/v1", apiKey: "k" } },
        routes: [{ to: "or/qwen/qwen3-coder:free" }],
      }),
      {},
    );
    assert.deepEqual(s.routes[0]?.to, [{ backend: "or", model: "qwen/qwen3-coder:free" }]);
  });

  await t.step("without routes, one catch-all route tries the backends in file order", () => {
    const s = parseConfigFile(
      JSON.stringify({
        backends: { b: { type: "bedrock" }, a: { type: "anthropic", baseUrl: "http://127.0.0.1:1/" } },
      }),
      { AWS_REGION: "eu-west-1" },
    );
    assert.deepEqual(s.routes, [{ name: "routes[0]", match: {}, to: [{ backend: "b" }, { backend: "a" }] }]);
    assert.equal(s.backends.b?.kind === "bedrock" && s.backends.b.region, "eu-west-1");
    assert.equal(s.backends.a?.kind === "anthropic" && s.backends.a.baseUrl, "http://127.0.0.1:1");
  });

  await t.step("${VAR} works inside longer strings, and nowhere but strings", () => {
    const s = parseConfigFile(
      JSON.stringify({
        backends: { x: { type: "openai", baseUrl: "http://${HOSTNAME_X}:11434/v1", model: "m" } },
      }),
      { HOSTNAME_X: "gpu-box" },
    );
    assert.equal(
      s.backends.x?.kind === "openai_compatible" && s.backends.x.baseUrl,
      "http://gpu-box:11434/v1",
    );
  });

  await t.step("models: overrides by upstream id", () => {
    const s = parseConfigFile(
      JSON.stringify({
        backends: { x: { type: "openai", baseUrl: "http://127.0.0.1:1/v1" } },
        models: {
          "qwen3-coder:30b": { contextWindow: 65536, images: false, price: { input: 0, output: 0 } },
        },
      }),
      {},
    );
    assert.deepEqual(s.models, {
      "qwen3-coder:30b": { contextWindow: 65536, images: false, price: { input: 0, output: 0 } },
    });
  });
});

Deno.test("parseConfigFile(): every error names its path in one line", async (t) => {
  const ok = { type: "openai", baseUrl: "http://127.0.0.1:1/v1" };
  const cases: [string, unknown, Record<string, string>, string][] = [
    ["not JSON", "{", {}, "not valid JSON"],
    [
      "a missing variable",
      { backends: { g: { ...ok, apiKey: "${NOPE}" } } },
      {},
      "backends.g.apiKey: environment variable NOPE is not set",
    ],
    [
      "an empty variable",
      { backends: { g: { ...ok, apiKey: "${EMPTY_KEY}" } } },
      { EMPTY_KEY: "" },
      "backends.g.apiKey: environment variable EMPTY_KEY is empty",
    ],
    [
      "an empty backend name",
      { backends: { "": ok } },
      {},
      'backends[""]: a backend name must be non-empty, without "/"',
    ],
    [
      "a backend name with a slash",
      { backends: { "ollama/local": ok } },
      {},
      'backends["ollama/local"]: a backend name must be non-empty, without "/"',
    ],
    [
      "a malformed reference",
      { backends: { g: { ...ok, apiKey: "${ ZAI_KEY }" } } },
      {},
      'backends.g.apiKey: "${" must start a reference like ${NAME} (letters, digits, _)',
    ],
    [
      "a misspelt backend in a list",
      { backends: { gemini: ok }, routes: [{ to: "gemini" }, { to: ["gemini", "gemni/x"] }] },
      {},
      'routes[1].to[1]: no backend named "gemni"',
    ],
    [
      "a misspelt backend alone",
      { backends: { gemini: ok }, routes: [{ to: "gemni" }] },
      {},
      'routes[0].to: no backend named "gemni"',
    ],
    ["an unknown top-level key", { backends: { a: ok }, route: [] }, {}, '(top level): unknown key "route"'],
    [
      "an unknown backend key",
      { backends: { a: { ...ok, base_url: "x" } } },
      {},
      'backends.a: unknown key "base_url"',
    ],
    [
      "an unknown match key",
      { backends: { a: ok }, routes: [{ match: { modle: "x" }, to: "a" }] },
      {},
      'routes[0].match: unknown key "modle"',
    ],
    [
      "a wrong type",
      { backends: { a: ok }, routes: [{ match: { thinking: "yes" }, to: "a" }] },
      {},
      "routes[0].match.thinking: Invalid input: expected boolean, received string",
    ],
    [
      "an unknown backend type",
      { backends: { a: { type: "gemini" } } },
      {},
      "backends.a.type: Invalid discriminator value. Expected 'openai' | 'bedrock' | 'anthropic'",
    ],
    [
      "a bad URL",
      { backends: { a: { type: "anthropic", baseUrl: "api.z.ai" } } },
      {},
      "backends.a.baseUrl: not a URL",
    ],
    [
      "a bad api",
      { backends: { a: { type: "bedrock", api: "chat" } } },
      {},
      'backends.a.api: Invalid option: expected one of "auto"|"invoke"|"converse"',
    ],
    ["no backends", { backends: {} }, {}, "backends: at least one backend"],
    [
      "an empty target list",
      { backends: { a: ok }, routes: [{ to: [] }] },
      {},
      "routes[0].to: Too small: expected array to have >=1 items",
    ],
    [
      "a hosted provider without a key",
      { backends: { o: { type: "openai", baseUrl: "https://api.openai.com/v1" } } },
      {},
      "backends.o.apiKey: required for openai (api.openai.com)",
    ],
    [
      "a negative price",
      { backends: { a: ok }, models: { m: { price: { input: -1, output: 1 } } } },
      {},
      "models.m.price.input: Too small: expected number to be >=0",
    ],
  ];
  for (const [name, file, env, message] of cases) {
    await t.step(name, () => {
      if (name === "not JSON") {
        assert.throws(
          () => parseConfigFile("{", env),
          (e) => e instanceof ConfigError && e.message.startsWith(message),
        );
        return;
      }
      fails(file, env, message);
    });
  }
});

Deno.test("src/relayx.schema.json is the JSON Schema of the parser's schema", async () => {
  interface Schema {
    properties: { backends: { additionalProperties: { oneOf: { properties: object }[] } } };
  }
  const committed: Schema = JSON.parse(
    await Deno.readTextFile(new URL("../src/relayx.schema.json", import.meta.url)),
  );
  // Regenerate with: deno task schema
  assert.deepEqual(committed, configFileJsonSchema());
  const backend = committed.properties.backends.additionalProperties.oneOf
    .map((b: { properties: object }) => Object.keys(b.properties));
  assert.deepEqual(backend, [
    ["type", "baseUrl", "apiKey", "provider", "model", "smallModel", "maxOutputTokens"],
    ["type", "region", "profile", "api", "model", "smallModel", "endpoint", "maxOutputTokens"],
    ["type", "baseUrl", "apiKey", "model", "webSearch"],
  ]);
});
