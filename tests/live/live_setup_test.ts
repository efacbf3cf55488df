/**
 * The configuration as the live page shows it: names, kinds, models and hosts, never a key or a URL's
 * credentials, path or query.
 */
import assert from "node:assert/strict";
import { liveSetup } from "../../src/live/live_setup.ts";
import type { Config } from "../../src/config.ts";

Deno.test("liveSetup() shows backends and routes without a key or a URL's credentials", async (t) => {
  const config: Pick<Config, "backends" | "routes"> = {
    backends: {
      local: {
        kind: "openai_compatible",
        apiKey: "sk-test-local-key-1234567890",
        baseUrl: "http://ollama-user:ollama-password@gpu-box:11434/v1?token=query-secret",
        model: "qwen3-coder",
        smallModel: "qwen3-coder",
        provider: "ollama",
      },
      aws: {
        kind: "bedrock",
        profileExplicit: false,
        region: "eu-west-1",
        modelId: "anthropic.claude",
        api: "auto",
      },
      claude: { kind: "anthropic", apiKey: "sk-ant-test-key", baseUrl: "https://api.anthropic.com" },
    },
    routes: [
      {
        name: "thinking",
        match: {
          model: ["*opus*", "*sonnet*"],
          thinking: true,
          inputTokensOver: 100_000,
          images: false,
          tools: "Web*",
        },
        to: [{ backend: "claude" }, { backend: "aws", model: "anthropic.claude-opus" }],
      },
      { name: "routes[1]", match: {}, to: [{ backend: "local" }] },
    ],
  };
  const setup = liveSetup(config);
  await t.step("each backend by name, kind, where and model", () => {
    assert.deepEqual(setup.backends, [
      { name: "local", kind: "openai_compatible", where: "ollama at gpu-box:11434", model: "qwen3-coder" },
      { name: "aws", kind: "bedrock", where: "AWS eu-west-1", model: "anthropic.claude" },
      { name: "claude", kind: "anthropic", where: "api.anthropic.com" },
    ]);
  });
  await t.step("each route with its conditions in words and its targets in order", () => {
    assert.deepEqual(setup.routes, [
      {
        name: "thinking",
        match: "model *opus* | *sonnet*, thinking, input > 100000 tokens, no images, tool Web*",
        to: ["claude", "aws/anthropic.claude-opus"],
      },
      { name: "routes[1]", match: "every request", to: ["local"] },
    ]);
  });
  await t.step("no secret anywhere", () => {
    const text = JSON.stringify(setup);
    for (const secret of ["sk-test", "sk-ant", "ollama-user", "ollama-password", "query-secret", "/v1"]) {
      assert.ok(!text.includes(secret), secret);
    }
  });
});
