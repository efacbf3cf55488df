import assert from "node:assert/strict";
import { parseMessagesRequest } from "../../../src/anthropic/parse.ts";
import { bedrockModelInfo, foundationModelId } from "../../../src/translate/bedrock/bedrock_models.ts";
import { resolveInference } from "../../../src/translate/bedrock/bedrock_inference.ts";
import { warnings } from "./_bedrock_helpers.ts";

const IDS = [
  "anthropic.claude-3-haiku-20240307-v1:0",
  "anthropic.claude-3-5-haiku-20241022-v1:0",
  "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
  "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
  "us.anthropic.claude-sonnet-4-20250514-v1:0",
  "us.anthropic.claude-opus-4-1-20250805-v1:0",
  "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
  "global.anthropic.claude-haiku-4-5-20251001-v1:0",
  "us.anthropic.claude-opus-4-5-20251101-v1:0",
  "global.anthropic.claude-opus-4-6-v1",
  "jp.anthropic.claude-sonnet-4-6",
  "global.anthropic.claude-opus-4-7",
  "us.anthropic.claude-opus-5",
  "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
  "us.amazon.nova-micro-v1:0",
  "us.amazon.nova-pro-v1:0",
  "us.amazon.nova-premier-v1:0",
  "us.meta.llama3-3-70b-instruct-v1:0",
  "us.meta.llama4-maverick-17b-instruct-v1:0",
  "mistral.mistral-large-2407-v1:0",
  "us.deepseek.r1-v1:0",
  "deepseek.v3-v1:0",
  "qwen.qwen3-coder-480b-a35b-v1:0",
  "openai.gpt-oss-120b-1:0",
  "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
];

function req(body: Record<string, unknown>) {
  return parseMessagesRequest({
    model: "m",
    max_tokens: 8000,
    messages: [{ role: "user", content: "x" }],
    ...body,
  });
}

Deno.test("foundationModelId()", async (t) => {
  const cases: [string, string][] = [
    ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0"],
    ["global.anthropic.claude-opus-4-7", "anthropic.claude-opus-4-7"],
    ["us-gov.anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"],
    ["apac.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"],
    ["anthropic.claude-sonnet-4-6", "anthropic.claude-sonnet-4-6"],
    [
      "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6",
      "anthropic.claude-sonnet-4-6",
    ],
    [
      "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-6",
      "anthropic.claude-sonnet-4-6",
    ],
    [
      "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
      "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
    ],
  ];
  for (const [id, bare] of cases) {
    await t.step(`strips ${id}`, () => assert.equal(foundationModelId(id), bare));
  }
});

Deno.test("bedrockModelInfo()", async (t) => {
  await t.step("reads family, version and capabilities from ids, profiles and ARNs", async (t) => {
    const table = Object.fromEntries(IDS.map((id) => {
      const i = bedrockModelInfo(id);
      const flags = Object.entries(i).filter(([, v]) => v === true).map(([k]) => k.replace(/^supports/, ""));
      return [id, `${i.family} v${i.version} max=${i.maxOutputTokens} ${flags.join(",")}`];
    }));
    await t.assertSnapshot(table);
  });

  await t.step("knows the adaptive-only Claude models", () => {
    for (
      const id of [
        "global.anthropic.claude-opus-4-7",
        "us.anthropic.claude-opus-4-8",
        "anthropic.claude-sonnet-5",
      ]
    ) {
      assert.equal(bedrockModelInfo(id).adaptiveOnly, true, id);
    }
    for (const id of ["global.anthropic.claude-opus-4-6-v1", "anthropic.claude-sonnet-4-5-20250929-v1:0"]) {
      assert.equal(bedrockModelInfo(id).adaptiveOnly, false, id);
    }
  });

  await t.step("gives conservative capabilities to an id it does not know", () => {
    const i = bedrockModelInfo("cohere.command-r-plus-v1:0");
    assert.equal(i.family, "other");
    assert.equal(i.supportsCachePoints, false);
    assert.equal(i.supportsThinking, false);
    assert.equal(i.maxOutputTokens, 4096);
  });
});

Deno.test("bedrockModelInfo() answers the same id with the same unchangeable object", () => {
  const id = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
  const first = bedrockModelInfo(id);
  assert.equal(bedrockModelInfo(id), first);
  assert.ok(Object.isFrozen(first));
  assert.throws(() => {
    (first as { maxOutputTokens: number }).maxOutputTokens = 1;
  }, TypeError);
  assert.notEqual(bedrockModelInfo(id).maxOutputTokens, 1);
});

Deno.test("resolveInference()", async (t) => {
  const sonnet45 = bedrockModelInfo("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  const opus47 = bedrockModelInfo("global.anthropic.claude-opus-4-7");
  const sonnet37 = bedrockModelInfo("us.anthropic.claude-3-7-sonnet-20250219-v1:0");
  const betas = "claude-code-20250219,interleaved-thinking-2025-05-14,context-1m-2025-08-07," +
    "token-efficient-tools-2025-02-19,output-128k-2025-02-19,fine-grained-tool-streaming-2025-05-14";

  await t.step("keeps only the beta flags Bedrock takes for the model and path", () => {
    const thinking = { thinking: { type: "enabled", budget_tokens: 2000 } };
    const r45 = parseMessagesRequest({
      model: "m",
      max_tokens: 8000,
      messages: [{ role: "user", content: "x" }],
      ...thinking,
    }, betas);
    assert.deepEqual(
      resolveInference(r45, sonnet45, { api: "invoke", warn: () => {} }).betas,
      ["interleaved-thinking-2025-05-14", "context-1m-2025-08-07"],
    );
    assert.deepEqual(
      resolveInference(r45, sonnet37, { api: "invoke", warn: () => {} }).betas,
      ["token-efficient-tools-2025-02-19", "output-128k-2025-02-19"],
    );
    assert.deepEqual(
      resolveInference(r45, sonnet37, { api: "converse", warn: () => {} }).betas,
      [],
      "Converse takes only interleaved thinking and 1M context, both Claude 4",
    );
    assert.deepEqual(resolveInference(r45, opus47, { api: "invoke", warn: () => {} }).betas, []);
  });

  await t.step("drops interleaved thinking without budgeted thinking", () => {
    const r = parseMessagesRequest(
      { model: "m", max_tokens: 8000, messages: [{ role: "user", content: "x" }] },
      "interleaved-thinking-2025-05-14",
    );
    assert.deepEqual(resolveInference(r, sonnet45, { api: "converse", warn: () => {} }).betas, []);
  });

  await t.step("drops non-default sampling for adaptive-only models and turns budgets into effort", () => {
    const w = warnings();
    const r = resolveInference(
      req({ temperature: 0.2, top_p: 0.5, top_k: 5, thinking: { type: "enabled", budget_tokens: 30_000 } }),
      opus47,
      { api: "invoke", warn: w.warn },
    );
    assert.deepEqual(r, { maxTokens: 8000, betas: [], thinking: { type: "adaptive" }, effort: "high" });
    assert.equal(w.list.length, 3);
  });

  await t.step("omits disabled thinking for adaptive-only models and sends it to others", () => {
    const off = req({ thinking: { type: "disabled" } });
    assert.equal(resolveInference(off, opus47, { api: "converse", warn: () => {} }).thinking, undefined);
    assert.deepEqual(resolveInference(off, sonnet45, { api: "converse", warn: () => {} }).thinking, {
      type: "disabled",
    });
  });

  await t.step("keeps temperature over top_p where the model takes only one", () => {
    const w = warnings();
    const r = resolveInference(req({ temperature: 0.3, top_p: 0.9 }), sonnet45, {
      api: "converse",
      warn: w.warn,
    });
    assert.equal(r.temperature, 0.3);
    assert.equal(r.topP, undefined);
    assert.deepEqual(w.list, ["top_p: this model takes temperature or top_p, not both; top_p dropped"]);
  });

  await t.step("clamps max_tokens to the override and keeps the budget below it", () => {
    const w = warnings();
    const r = resolveInference(
      req({ max_tokens: 50_000, thinking: { type: "enabled", budget_tokens: 40_000 } }),
      sonnet45,
      { api: "converse", maxOutputTokens: 16_000, warn: w.warn },
    );
    assert.equal(r.maxTokens, 16_000);
    assert.deepEqual(r.thinking, { type: "enabled", budget_tokens: 15_999 });
  });

  await t.step("maps efforts older models lack", () => {
    const opus46 = bedrockModelInfo("global.anthropic.claude-opus-4-6-v1");
    const r = resolveInference(req({ output_config: { effort: "xhigh" } }), opus46, {
      api: "invoke",
      warn: () => {},
    });
    assert.equal(r.effort, "high");
    const opus45 = bedrockModelInfo("us.anthropic.claude-opus-4-5-20251101-v1:0");
    const r45 = resolveInference(req({ output_config: { effort: "low" } }), opus45, {
      api: "invoke",
      warn: () => {},
    });
    assert.deepEqual([r45.effort, r45.betas], ["low", ["effort-2025-11-24"]]);
  });
});
