import assert from "node:assert/strict";
import { parseMessagesRequest } from "../src/anthropic/parse.ts";
import { DEFAULT_LIMITS } from "../src/limits.ts";
import { estimateInputTokens, type TokenCountRequest } from "../src/tokens.ts";
import { createTokenCounter } from "../src/tokens/token_counter.ts";
import { prepareRequest } from "../src/translate/prepare.ts";
import basic from "./testdata/claude_code/request_basic.json" with { type: "json" };
import toolResult from "./testdata/claude_code/request_tool_result.json" with { type: "json" };
import toolSearch from "./testdata/claude_code/request_tool_search.json" with { type: "json" };
import image from "./testdata/claude_code/request_image.json" with { type: "json" };
import compaction from "./testdata/claude_code/request_compaction.json" with { type: "json" };
import haiku from "./testdata/claude_code/request_haiku_4_5.json" with { type: "json" };

const fixtures = { basic, toolResult, toolSearch, image, compaction, haiku };

// The BPE count, as count_tokens makes it (in the tokenizer worker). Its worker is left to stop by
// itself: unreferenced while idle, it keeps no test waiting.
const counter = createTokenCounter({ ...DEFAULT_LIMITS, tokenizerTimeoutMs: 60_000 });
async function countInputTokens(request: TokenCountRequest): Promise<number> {
  const count = await counter.count(request);
  assert.equal(count.method, "tokenizer");
  return count.tokens;
}

Deno.test("the BPE count of a request", async (t) => {
  await t.step("a short prompt is a handful of tokens", async () => {
    const n = await countInputTokens({
      model: "m",
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
    });
    assert.ok(n >= 5 && n <= 10, String(n));
  });
  await t.step("100 repetitions of a 10-word sentence are about 1,000 tokens", async () => {
    const text = "The quick brown fox jumps over the lazy dog. ".repeat(100);
    const n = await countInputTokens({
      model: "m",
      messages: [{ role: "user", content: [{ type: "text", text }] }],
    });
    assert.ok(n >= 1000 && n <= 1010, String(n));
  });
  await t.step("tools and system count too", async () => {
    const messages = [{ role: "user" as const, content: [{ type: "text" as const, text: "Hi" }] }];
    const bare = await countInputTokens({ model: "m", messages });
    const full = await countInputTokens({
      model: "m",
      messages,
      system: [{ type: "text", text: "You are terse." }],
      tools: [{ name: "Bash", description: "Runs a command", input_schema: { type: "object" } }],
    });
    assert.ok(full > bare + 10, `${full} vs ${bare}`);
  });
});

Deno.test("estimateInputTokens() stays within 15% of the BPE count on real Claude Code requests", async (t) => {
  for (const [name, body] of Object.entries(fixtures)) {
    await t.step(name, async () => {
      const req = prepareRequest(parseMessagesRequest(body), () => {});
      const bpe = await countInputTokens(req);
      const fast = estimateInputTokens(req);
      assert.ok(Math.abs(fast - bpe) / bpe < 0.15, `${name}: estimate ${fast}, BPE ${bpe}`);
    });
  }
  await t.step("a changed tool description is measured again", () => {
    const messages = [{ role: "user" as const, content: [{ type: "text" as const, text: "Hi" }] }];
    const tool = (description: string, props: number) => ({
      name: "Grow",
      description,
      input_schema: {
        type: "object",
        properties: Object.fromEntries(
          Array.from({ length: props }, (_, i) => [`p${i}`, { type: "string" }]),
        ),
      },
    });
    const small = estimateInputTokens({ model: "m", messages, tools: [tool("a", 1)] });
    const large = estimateInputTokens({ model: "m", messages, tools: [tool("ab", 200)] });
    assert.ok(large > small + 500, `${large} vs ${small}`);
  });
});

Deno.test("estimateInputTokens() stays within 35% of the BPE count for non-Latin scripts", async (t) => {
  const texts = {
    chinese: "你好世界，这是一个测试。我们正在检查分词器的估计。".repeat(20),
    japanese: "こんにちは世界、これはテストです。".repeat(20),
    mixed: "Fix the bug in 函数 foo(): it returns 空 when the input is empty. ".repeat(20),
  };
  for (const [name, text] of Object.entries(texts)) {
    await t.step(name, async () => {
      const req = {
        model: "m",
        messages: [{ role: "user" as const, content: [{ type: "text" as const, text }] }],
      };
      const bpe = await countInputTokens(req);
      const fast = estimateInputTokens(req);
      assert.ok(Math.abs(fast - bpe) / bpe < 0.35, `${name}: estimate ${fast}, BPE ${bpe}`);
    });
  }
});
