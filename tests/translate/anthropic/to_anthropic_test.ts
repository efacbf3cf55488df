import assert from "node:assert/strict";
import type { MessagesRequest } from "../../../src/anthropic/types.ts";
import { encodeSignature } from "../../../src/translate/signature.ts";
import {
  ANTHROPIC_PROVIDERS,
  type AnthropicProviderName,
  detectAnthropicProvider,
} from "../../../src/translate/anthropic/providers.ts";
import { toAnthropicRequest } from "../../../src/translate/anthropic/to_anthropic.ts";

// What Claude Code sends on a thinking turn with deferred tools, a server tool, betas and newer fields.
const REQUEST: MessagesRequest = {
  model: "claude-sonnet-4-5",
  max_tokens: 32000,
  betas: ["interleaved-thinking-2025-05-14", "context-management-2025-06-27"],
  system: [{ type: "text", text: "You are Claude Code." }],
  thinking: { type: "enabled", budget_tokens: 8000 },
  output_config: { effort: "high" },
  service_tier: "auto",
  cache_control: { type: "ephemeral" },
  tools: [
    { name: "Read", input_schema: { type: "object", properties: { file_path: { type: "string" } } } },
    { name: "NotebookEdit", defer_loading: true, input_schema: { type: "object" } },
    { type: "web_search_20250305", name: "web_search" },
  ],
  messages: [
    { role: "user", content: [{ type: "text", text: "Read a.txt" }] },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "from upstream", signature: "EqUpstreamSig==" },
        { type: "thinking", thinking: "from relayx", signature: encodeSignature("ds", { reasoning: "r" }) },
        { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "a.txt" } },
      ],
    },
    {
      role: "user",
      content: [{
        type: "tool_result",
        tool_use_id: "toolu_1",
        content: [{ type: "tool_reference", tool_name: "NotebookEdit" }],
      }],
    },
    { role: "system", content: [{ type: "text", text: "Remember the style guide." }] },
    {
      role: "assistant",
      content: [{ type: "thinking", thinking: "only relayx", signature: encodeSignature("ds", {}) }],
    },
  ],
};

Deno.test("toAnthropicRequest: the clean-up per provider", async (t) => {
  for (const name of Object.keys(ANTHROPIC_PROVIDERS) as AnthropicProviderName[]) {
    await t.step(name, async (t) => {
      const warnings: string[] = [];
      const out = toAnthropicRequest(REQUEST, {
        model: "upstream-model",
        profile: ANTHROPIC_PROVIDERS[name],
        warn: (w) => warnings.push(w),
      });
      await t.assertSnapshot({ ...out, warnings });
    });
  }
});

Deno.test("toAnthropicRequest: relayx's signatures never leave, the upstream's go back unchanged", () => {
  for (const profile of Object.values(ANTHROPIC_PROVIDERS)) {
    const { body } = toAnthropicRequest(REQUEST, { model: "m", profile, warn: () => {} });
    const text = JSON.stringify(body);
    assert.ok(!text.includes("relayx1."), profile.name);
    assert.ok(text.includes('"signature":"EqUpstreamSig=="'), profile.name);
    assert.ok(!("betas" in body), profile.name);
    // The assistant turn that held only a relayx thinking block is gone, not sent empty.
    assert.ok((body.messages as { content: unknown[] }[]).every((m) => m.content.length > 0));
  }
});

Deno.test("toAnthropicRequest: Anthropic gets the client's betas and fields, the rest none", () => {
  const anthropic = toAnthropicRequest(REQUEST, {
    model: "m",
    profile: ANTHROPIC_PROVIDERS.anthropic,
    warn: () => {},
  });
  assert.deepEqual(anthropic.betas, REQUEST.betas);
  assert.deepEqual(anthropic.dropped, []);
  assert.deepEqual(anthropic.body.output_config, { effort: "high" });
  const zai = toAnthropicRequest(REQUEST, { model: "m", profile: ANTHROPIC_PROVIDERS.zai, warn: () => {} });
  assert.deepEqual(zai.betas, []);
  assert.equal(zai.body.output_config, undefined);
  assert.equal(zai.dropped.length, 5);
});

Deno.test("detectAnthropicProvider: by host, and by port for local servers", () => {
  const cases: [string, AnthropicProviderName][] = [
    ["https://api.anthropic.com", "anthropic"],
    ["https://api.deepseek.com/anthropic", "deepseek"],
    ["https://api.z.ai/api/anthropic", "zai"],
    ["https://open.bigmodel.cn/api/anthropic", "zai"],
    ["https://api.moonshot.ai/anthropic", "moonshot"],
    ["http://localhost:11434", "ollama"],
    ["http://localhost:1234", "lmstudio"],
    ["http://127.0.0.1:8080", "llamacpp"],
    ["http://10.0.0.5:8000", "vllm"],
    ["http://127.0.0.1:30000", "generic"],
    ["not a url", "generic"],
  ];
  for (const [url, name] of cases) assert.equal(detectAnthropicProvider(url), name, url);
});
