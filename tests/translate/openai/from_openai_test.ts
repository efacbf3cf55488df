import assert from "node:assert/strict";
import type { MessageResponse } from "../../../src/anthropic/types.ts";
import { RelayError } from "../../../src/errors.ts";
import { type FromOpenAIOptions, fromOpenAIResponse } from "../../../src/translate/openai/from_openai.ts";
import { usageFromOpenAI } from "../../../src/translate/openai/_openai_usage.ts";
import { parseToolArguments } from "../../../src/translate/openai/_openai_tool_use.ts";
import { splitThinkTags } from "../../../src/translate/openai/_think_tags.ts";
import { type ProviderName, PROVIDERS } from "../../../src/translate/openai/providers.ts";
import { decodeSignature } from "../../../src/translate/signature.ts";
import { toolNameMap } from "../../../src/translate/tool_names.ts";
import { toOpenAIRequest } from "../../../src/translate/openai/to_openai.ts";
import badArgs from "../../testdata/openai/response_bad_args.json" with { type: "json" };
import deepseek from "../../testdata/openai/response_deepseek_reasoning.json" with { type: "json" };
import gemini from "../../testdata/openai/response_gemini_tools.json" with { type: "json" };
import openrouter from "../../testdata/openai/response_openrouter_cached.json" with { type: "json" };
import parallel from "../../testdata/openai/response_parallel_tools.json" with { type: "json" };
import refusal from "../../testdata/openai/response_refusal.json" with { type: "json" };
import text from "../../testdata/openai/response_text.json" with { type: "json" };
import thinkTags from "../../testdata/openai/response_think_tags.json" with { type: "json" };

function options(
  provider: ProviderName,
  thinkingDisplay: FromOpenAIOptions["thinkingDisplay"] = "summarized",
): FromOpenAIOptions & { warnings: string[] } {
  let n = 0;
  const warnings: string[] = [];
  return {
    model: "claude-opus-5-5",
    messageId: "msg_test",
    ids: { messageId: () => "msg_x", toolUseId: () => `toolu_gen${++n}` },
    names: toolNameMap(["get_weather", "mcp.github/get_issue", "Bash", "Read", "Write", "Glob"]),
    provider: PROVIDERS[provider],
    thinkingDisplay,
    inputEstimate: 1234,
    warn: (w) => warnings.push(w),
    warnings,
  };
}

/** The payloads of the relayx signatures in a message, for readable assertions. */
function carried(message: MessageResponse): unknown[] {
  return message.content.flatMap((b) => b.type === "thinking" ? [decodeSignature(b.signature)] : []);
}

Deno.test("fromOpenAIResponse()", async (t) => {
  await t.step("translates a text completion", async () => {
    const opts = options("openai");
    const message = fromOpenAIResponse(text, opts);
    assert.deepEqual(message.content, [{ type: "text", text: "Hello! 👋 How can I help?" }]);
    assert.equal(message.stop_reason, "end_turn");
    assert.equal(message.model, "claude-opus-5-5");
    assert.deepEqual(opts.warnings, []);
    await t.assertSnapshot(message);
  });

  await t.step("translates parallel tool calls, restoring aliased names", async () => {
    const message = fromOpenAIResponse(parallel, options("openai"));
    assert.equal(message.stop_reason, "tool_use");
    assert.deepEqual(message.content.map((b) => b.type === "tool_use" ? [b.id, b.name, b.input] : b.type), [
      ["call_abc", "get_weather", { location: "Paris" }],
      ["call_def", "mcp.github/get_issue", { number: 12 }],
    ]);
    // 2500 prompt tokens of which 2048 cached: Anthropic counts them apart.
    assert.equal(message.usage.input_tokens + message.usage.cache_read_input_tokens, 2500);
    await t.assertSnapshot(message);
  });

  await t.step(
    "carries DeepSeek reasoning in the signature only when the client does not see it",
    async () => {
      const shown = fromOpenAIResponse(deepseek, options("deepseek", "summarized"));
      const hidden = fromOpenAIResponse(deepseek, options("deepseek", "omitted"));
      const off = fromOpenAIResponse(deepseek, options("deepseek", "off"));
      assert.deepEqual(shown.content[0], {
        type: "thinking",
        thinking: "The user asks for the weather. I should call the tool.",
        signature: shown.content[0]?.type === "thinking" ? shown.content[0].signature : "",
      });
      assert.deepEqual(carried(shown), [{ tag: "deepseek", payload: {} }]);
      const reasoning = {
        tag: "deepseek",
        payload: { reasoning: "The user asks for the weather. I should call the tool." },
      };
      assert.deepEqual(carried(hidden), [reasoning]);
      assert.equal(hidden.content[0]?.type === "thinking" && hidden.content[0].thinking, "");
      // A tool-call turn must give DeepSeek its reasoning back even when the client asked for no thinking.
      assert.deepEqual(carried(off), [reasoning]);
      assert.deepEqual(shown.usage, {
        input_tokens: 440,
        output_tokens: 60,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 2560,
        output_tokens_details: { thinking_tokens: 35 },
        service_tier: "standard",
      });
      await t.assertSnapshot({ shown, hidden, off });
    },
  );

  await t.step("round-trips carried reasoning into the next DeepSeek request", () => {
    const message = fromOpenAIResponse(deepseek, options("deepseek", "off"));
    const next = toOpenAIRequest({
      model: "claude-opus-5-5",
      max_tokens: 1000,
      thinking: { type: "adaptive" },
      messages: [
        { role: "user", content: [{ type: "text", text: "Weather in Berlin?" }] },
        { role: "assistant", content: message.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "call_00_kx1", content: "Sunny" }],
        },
      ],
    }, {
      model: "deepseek-reasoner",
      provider: PROVIDERS.deepseek,
      maxOutputTokens: 8192,
      stream: false,
      warn: () => {},
    });
    assert.deepEqual(next.messages[1], {
      role: "assistant",
      content: "Checking the weather.",
      reasoning_content: "The user asks for the weather. I should call the tool.",
      tool_calls: [{
        id: "call_00_kx1",
        type: "function",
        function: { name: "get_weather", arguments: '{"location":"Berlin"}' },
      }],
    });
  });

  await t.step("turns a refusal into text with stop_reason refusal", async () => {
    const message = fromOpenAIResponse(refusal, options("openai"));
    assert.deepEqual(message.content, [{ type: "text", text: "I'm sorry, I can't help with that." }]);
    assert.equal(message.stop_reason, "refusal");
    await t.assertSnapshot(message);
  });

  await t.step("maps OpenRouter cache reads and writes and carries reasoning_details", async () => {
    const message = fromOpenAIResponse(openrouter, options("openrouter"));
    assert.deepEqual(message.usage, {
      input_tokens: 500,
      output_tokens: 80,
      cache_creation_input_tokens: 500,
      cache_read_input_tokens: 4000,
      output_tokens_details: { thinking_tokens: 20 },
      service_tier: "standard",
    });
    assert.equal(
      message.usage.input_tokens + message.usage.cache_read_input_tokens +
        message.usage.cache_creation_input_tokens,
      5000,
    );
    assert.deepEqual(carried(message), [{
      tag: "openrouter",
      payload: { details: openrouter.choices[0]!.message.reasoning_details },
    }]);
    await t.assertSnapshot(message);
  });

  await t.step("keeps Gemini thought signatures even when the client asked for no thinking", async () => {
    const off = fromOpenAIResponse(gemini, options("gemini", "off"));
    assert.deepEqual(off.content.map((b) => b.type), ["thinking", "text", "tool_use"]);
    assert.equal(off.content[0]?.type === "thinking" && off.content[0].thinking, "");
    assert.deepEqual(carried(off), [{
      tag: "gemini",
      payload: { thoughtSignatures: { jm4owj31: "EjQKMgEMOdbHJChLX75QUCJjyYlm" } },
    }]);
    // Gemini answers "stop" even when it calls tools; Gemini's total includes thought tokens.
    assert.equal(off.stop_reason, "tool_use");
    assert.equal(off.usage.output_tokens, 110);
    const shown = fromOpenAIResponse(gemini, options("gemini", "summarized"));
    assert.equal(
      shown.content[0]?.type === "thinking" && shown.content[0].thinking,
      "**Planning**\nI will look it up.",
    );
    assert.deepEqual(shown.content[1], { type: "text", text: "Let me check." });
    await t.assertSnapshot(shown);
  });

  await t.step("splits inline <think> reasoning from the answer", () => {
    const shown = fromOpenAIResponse(thinkTags, options("ollama"));
    assert.deepEqual(shown.content.map((b) => b.type === "thinking" ? ["thinking", b.thinking] : b), [
      ["thinking", "The user greets me."],
      { type: "text", text: "Hello! How can I help?" },
    ]);
    assert.deepEqual(carried(shown), [{ tag: "ollama", payload: {} }]);
    const off = fromOpenAIResponse(thinkTags, options("ollama", "off"));
    assert.deepEqual(off.content, [{ type: "text", text: "Hello! How can I help?" }]);
  });

  await t.step("repairs or replaces broken tool arguments, with warnings and estimated usage", async () => {
    const opts = options("ollama");
    const message = fromOpenAIResponse(badArgs, opts);
    assert.deepEqual(message.content.map((b) => b.type === "tool_use" ? [b.id, b.input] : b.type), [
      ["toolu_gen1", { file_path: "a.txt", content: "hi" }],
      ["call_2", { file_path: "b.txt" }],
      ["call_3", {}],
      ["call_4", { pattern: "*.ts" }],
    ]);
    assert.equal(message.stop_reason, "tool_use");
    assert.equal(message.usage.input_tokens, 1234);
    await t.assertSnapshot({ message, warnings: opts.warnings });
  });

  await t.step("rejects bodies that are not completions, and maps error bodies", () => {
    for (const body of [null, "text", { choices: [] }, { object: "list" }]) {
      assert.throws(() => fromOpenAIResponse(body, options("openai")), (err: unknown) => {
        assert.ok(err instanceof RelayError);
        assert.equal(err.type, "api_error");
        assert.equal(err.message, "Upstream returned a response that is not a chat completion");
        return true;
      });
    }
    assert.throws(
      () =>
        fromOpenAIResponse(
          { error: { message: "Rate limit reached", type: "rate_limit_exceeded" } },
          options("openai"),
        ),
      (err: unknown) => err instanceof RelayError && err.type === "rate_limit_error",
    );
  });
});

Deno.test("usageFromOpenAI() returns undefined without counts", () => {
  assert.equal(usageFromOpenAI(null), undefined);
  assert.equal(usageFromOpenAI({ total_tokens: 3 }), undefined);
});

Deno.test("parseToolArguments() passes objects through and treats blank arguments as no input", () => {
  const warn = () => assert.fail("no warning expected");
  assert.deepEqual(parseToolArguments({ a: 1 }, "T", warn), { a: 1 });
  assert.deepEqual(parseToolArguments("", "T", warn), {});
  assert.deepEqual(parseToolArguments("  ", "T", warn), {});
});

Deno.test("splitThinkTags() handles unclosed and absent tags", () => {
  assert.deepEqual(splitThinkTags("<think>cut short"), { thinking: "cut short", text: "" });
  assert.equal(splitThinkTags("Plain <think>not at start</think>"), undefined);
  assert.deepEqual(splitThinkTags("\n<thought>a</thought>b"), { thinking: "a", text: "b" });
});
