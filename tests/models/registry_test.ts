/**
 * The model registry: precedence of its sources, id normalisation, overrides from a configuration file,
 * and what it answers for a model nobody knows.
 */
import assert from "node:assert/strict";
import { ALL_SLICES, catalogueOf, loadCatalogue, slicesFor } from "../../src/models/catalogue.ts";
import { modelKeys } from "../../src/models/model_id.ts";
import type { ModelProvider } from "../../src/models/model_spec.ts";
import { createModelRegistry, outputCap } from "../../src/models/registry.ts";
import { parseConfigFile } from "../../src/config_file.ts";

const full = createModelRegistry({ catalogue: await loadCatalogue(ALL_SLICES) });

Deno.test("lookup() takes each fact from the first source that has it", async (t) => {
  // A model every source describes, each differently.
  const catalogue = catalogueOf({
    openai: {
      "gpt-5.1": { id: "gpt-5.1", limit: { context: 111, output: 222 }, modalities: { input: ["text"] } },
      "gpt-4.1": { id: "gpt-4.1", limit: { context: 333, output: 444 }, reasoning: true },
    },
  });
  const overrides = { "gpt-5.1": { maxOutputTokens: 999 } };
  const registry = createModelRegistry({ catalogue, overrides });

  await t.step("a configuration override beats relayx's own entry, field by field", () => {
    const spec = registry.lookup("gpt-5.1", { provider: "openai" });
    assert.equal(spec.maxOutputTokens, 999);
    // relayx's own entry for gpt-5.1 beats the catalogue's figures for the other fields.
    assert.equal(spec.contextWindow, 400_000);
    assert.equal(spec.images, true);
  });

  await t.step("the catalogue beats relayx's family rules", () => {
    const spec = registry.lookup("gpt-4.1", { provider: "openai" });
    assert.deepEqual([spec.contextWindow, spec.maxOutputTokens, spec.reasoning], [333, 444, true]);
    // Images: the catalogue entry has no modalities, so the family rule's answer stands.
    assert.equal(spec.images, true);
    const rulesOnly = createModelRegistry().lookup("gpt-4.1", { provider: "openai" });
    assert.deepEqual([rulesOnly.contextWindow, rulesOnly.maxOutputTokens], [1_047_576, 32_768]);
  });

  await t.step("an override applies to the exact upstream id only", () => {
    assert.equal(registry.lookup("openai/gpt-5.1", { provider: "openrouter" }).maxOutputTokens, 128_000);
  });

  await t.step("relayx's upstream rules beat the catalogue where the upstream caps lower", () => {
    // The catalogue says 8,192 for Nova Pro; Bedrock's Nova 1 schema takes 5,000.
    const nova = full.lookup("us.amazon.nova-pro-v1:0", { provider: "bedrock" });
    assert.deepEqual([nova.maxOutputTokens, nova.contextWindow], [5000, 300_000]);
    // A local server's output is bounded by its own context setting, whatever the model's cap.
    assert.equal(full.lookup("qwen3-coder:30b", { provider: "ollama" }).maxOutputTokens, 16_384);
    assert.equal(full.lookup("qwen/qwen3-coder", { provider: "openrouter" }).maxOutputTokens, 66_536);
  });
});

Deno.test("lookup() normalises the ways upstreams spell one model", async (t) => {
  const cases: [string, ModelProvider, string][] = [
    ["us.anthropic.claude-sonnet-4-20250514-v1:0", "bedrock", "claude-sonnet-4-20250514"],
    ["eu.anthropic.claude-sonnet-4-20250514-v1:0", "bedrock", "claude-sonnet-4-20250514"],
    ["apac.anthropic.claude-3-7-sonnet-20250219-v1:0", "bedrock", "claude-3-7-sonnet-20250219"],
    ["global.anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock", "claude-sonnet-4-5"],
    ["openrouter/anthropic/claude-sonnet-4", "openrouter", "claude-sonnet-4-20250514"],
    ["anthropic/claude-3.7-sonnet", "generic", "claude-3-7-sonnet-20250219"],
    ["gemini-2.5-pro", "gemini", "google/gemini-2.5-pro"],
    ["gpt-4o-2024-08-06", "openai", "gpt-4o"],
  ];
  for (const [id, provider, same] of cases) {
    await t.step(`${id} reads as ${same}`, () => {
      const a = full.lookup(id, { provider });
      const b = full.lookup(same, {});
      assert.ok(a.contextWindow, `${id} has a window`);
      assert.equal(a.contextWindow, b.contextWindow);
    });
  }

  await t.step("an Ollama tag is tried with its size, then without", () => {
    assert.deepEqual(modelKeys("qwen3-coder:30b"), ["qwen3-coder:30b", "qwen3-coder-30b", "qwen3-coder"]);
    assert.equal(full.lookup("qwen3-coder:30b", { provider: "ollama" }).contextWindow, 262_144);
    assert.equal(full.lookup("qwen3-coder:latest", { provider: "ollama" }).contextWindow, 262_144);
  });

  await t.step("the hinted provider's slice answers first", () => {
    // DeepSeek's own API caps deepseek-chat at 8K; OpenRouter's DeepSeek models take more.
    assert.equal(full.lookup("deepseek-chat", { provider: "deepseek" }).maxOutputTokens, 8192);
    assert.deepEqual(slicesFor({ provider: "deepseek" }), ["deepseek"]);
  });
});

Deno.test("lookup() takes the configuration file's models section as overrides", () => {
  const settings = parseConfigFile(
    JSON.stringify({
      backends: { local: { type: "openai", baseUrl: "http://localhost:11434/v1", model: "qwen3-coder:30b" } },
      models: {
        "qwen3-coder:30b": { contextWindow: 65_536, images: false, price: { input: 0, output: 0 } },
      },
    }),
    {},
  );
  const registry = createModelRegistry({ overrides: settings.models, catalogue: catalogueOf({}) });
  const spec = registry.lookup("qwen3-coder:30b", { provider: "ollama" });
  assert.deepEqual(spec, {
    contextWindow: 65_536,
    maxOutputTokens: 16_384,
    images: false,
    price: { input: 0, output: 0 },
  });
  assert.deepEqual(registry.lookup("qwen3-coder:14b", { provider: "ollama" }), { maxOutputTokens: 16_384 });
});

Deno.test("lookup() knows nothing of an unknown model, and outputCap() gives the conservative default", () => {
  const spec = full.lookup("my-finetune-v3", { provider: "generic" });
  assert.deepEqual(spec, {});
  assert.equal(outputCap(spec, { provider: "generic" }), 16_384);
  assert.equal(
    outputCap(full.lookup("cohere.unknown-v9:0", { provider: "bedrock" }), { provider: "bedrock" }),
    4096,
  );
});

Deno.test("lookup() of the models relayx is most often in front of", async (t) => {
  const cases: [string, ModelProvider][] = [
    ["gemini-2.5-pro", "gemini"],
    ["gemini-2.0-flash", "gemini"],
    ["gpt-4.1", "openai"],
    ["gpt-5", "openai"],
    ["deepseek-reasoner", "deepseek"],
    ["anthropic/claude-sonnet-4.5", "openrouter"],
    ["qwen3-coder:30b", "ollama"],
    ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock"],
    ["global.anthropic.claude-opus-4-7", "bedrock"],
    ["us.amazon.nova-pro-v1:0", "bedrock"],
    ["us.meta.llama3-3-70b-instruct-v1:0", "bedrock"],
    ["glm-4.6", "anthropic"],
    ["kimi-k2-0905-preview", "anthropic"],
  ];
  await t.assertSnapshot(Object.fromEntries(cases.map(([m, provider]) => [m, full.lookup(m, { provider })])));
});
