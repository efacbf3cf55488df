import assert from "node:assert/strict";
import { parseMessagesRequest } from "../../../src/anthropic/parse.ts";
import { chatBodyBytes, openAITools } from "../../../src/translate/openai/_openai_tools.ts";
import { type ProviderName, PROVIDERS } from "../../../src/translate/openai/providers.ts";
import { toOpenAIRequest } from "../../../src/translate/openai/to_openai.ts";
import { prepareRequest } from "../../../src/translate/prepare.ts";
import ccBasic from "../../testdata/claude_code/request_basic.json" with { type: "json" };
import ccToolSearch from "../../testdata/claude_code/request_tool_search.json" with { type: "json" };
import ccToolResult from "../../testdata/claude_code/request_tool_result.json" with { type: "json" };
import mixed from "../../testdata/openai/request_mixed.json" with { type: "json" };

const decoder = new TextDecoder();

Deno.test("chatBodyBytes is exactly the bytes of JSON.stringify, memo or not", async (t) => {
  const fixtures = { ccBasic, ccToolSearch, ccToolResult, mixed };
  for (const provider of Object.keys(PROVIDERS) as ProviderName[]) {
    await t.step(provider, () => {
      for (const [name, fixture] of Object.entries(fixtures)) {
        const request = prepareRequest(parseMessagesRequest({ ...fixture, stream: true }), () => {});
        const body = toOpenAIRequest(request, {
          model: "m",
          provider: PROVIDERS[provider],
          maxOutputTokens: 32_000,
          stream: true,
          warn: () => {},
        });
        // Twice: the second time every tool's bytes come from the memo.
        for (let i = 0; i < 2; i++) {
          assert.equal(decoder.decode(chatBodyBytes(body)), JSON.stringify(body), `${name}, pass ${i}`);
        }
      }
    });
  }

  await t.step("tools first, last, alone, or absent", () => {
    const tools = openAITools(ccBasic.tools.slice(0, 3) as never, PROVIDERS.openai);
    const bodies = [
      { tools, model: "m", messages: [{ role: "user" as const, content: "naïve ✓ 日本" }] },
      { model: "m", messages: [{ role: "user" as const, content: "x" }], tools },
      { model: "m", messages: [], tools: [] },
      { model: "m", messages: [], tools, user: undefined, stop: ["a"] },
      { model: "m", messages: [] },
      // Members long enough to be encoded on their own, before and after the tools, between short ones.
      { model: "m", messages: [{ role: "user" as const, content: "é".repeat(3000) }], tools, stop: ["b"] },
      {
        tools,
        messages: [{ role: "user" as const, content: "x".repeat(2000) }],
        user: undefined,
        model: "m",
      },
      { messages: [{ role: "user" as const, content: "y".repeat(2000) }], tools, model: "m" },
    ];
    for (const body of bodies) assert.equal(decoder.decode(chatBodyBytes(body)), JSON.stringify(body));
  });
});

Deno.test("a tool is translated once per tool object and schema style, and shared frozen", () => {
  const request = parseMessagesRequest(ccBasic);
  const a = openAITools(request.tools, PROVIDERS.openai);
  const b = openAITools(request.tools, PROVIDERS.openai);
  assert.equal(a[0], b[0]);
  assert.ok(Object.isFrozen(a[0]) && Object.isFrozen(a[0]?.function));
  // Gemini's cleaned schemas are a different translation of the same tool.
  const gemini = openAITools(request.tools, PROVIDERS.gemini);
  assert.notEqual(gemini[0], a[0]);
  assert.equal(openAITools(request.tools, PROVIDERS.gemini)[0], gemini[0]);
  // Another tool object with the same content is translated on its own (the memo is by identity).
  const copy = parseMessagesRequest(ccBasic);
  assert.notEqual(openAITools(copy.tools, PROVIDERS.openai)[0], a[0]);
  assert.deepEqual(openAITools(copy.tools, PROVIDERS.openai), a);
});
