import assert from "node:assert/strict";
import type { MessagesRequest } from "../../../src/anthropic/types.ts";
import { parseMessagesRequest } from "../../../src/anthropic/parse.ts";
import { RelayError } from "../../../src/errors.ts";
import type { OpenAIChatRequest, OpenAIMessage } from "../../../src/translate/openai/openai_types.ts";
import { prepareRequest } from "../../../src/translate/prepare.ts";
import { type ProviderName, PROVIDERS } from "../../../src/translate/openai/providers.ts";
import { toOpenAIRequest } from "../../../src/translate/openai/to_openai.ts";
import mixed from "../../testdata/openai/request_mixed.json" with { type: "json" };
import ccAfterCompaction from "../../testdata/claude_code/request_after_compaction.json" with {
  type: "json",
};
import ccBasic from "../../testdata/claude_code/request_basic.json" with { type: "json" };
import ccCompaction from "../../testdata/claude_code/request_compaction.json" with { type: "json" };
import ccHaiku from "../../testdata/claude_code/request_haiku_4_5.json" with { type: "json" };
import ccImage from "../../testdata/claude_code/request_image.json" with { type: "json" };
import ccToolResult from "../../testdata/claude_code/request_tool_result.json" with { type: "json" };
import ccToolSearch from "../../testdata/claude_code/request_tool_search.json" with { type: "json" };

/** An upstream model per provider, as a user would configure it. */
const MODELS: Record<ProviderName, string> = {
  openai: "gpt-4.1",
  gemini: "gemini-3-flash-preview",
  deepseek: "deepseek-reasoner",
  openrouter: "anthropic/claude-sonnet-4.5",
  ollama: "qwen3:8b",
  vllm: "Qwen/Qwen3-8B",
  lmstudio: "qwen3-8b",
  generic: "local-model",
};

function translate(
  req: MessagesRequest,
  provider: ProviderName,
  overrides: { model?: string; maxOutputTokens?: number; stream?: boolean } = {},
): { body: OpenAIChatRequest; warnings: string[] } {
  const warnings: string[] = [];
  const body = toOpenAIRequest(req, {
    model: overrides.model ?? MODELS[provider],
    provider: PROVIDERS[provider],
    maxOutputTokens: overrides.maxOutputTokens ?? 32768,
    stream: overrides.stream ?? true,
    warn: (w) => warnings.push(w),
  });
  return { body, warnings };
}

function request(body: Record<string, unknown>): MessagesRequest {
  return parseMessagesRequest({ model: "claude-opus-5-5", max_tokens: 1024, ...body });
}

/** The ordering rules OpenAI enforces (and some local servers rely on). */
function assertWellFormed(messages: OpenAIMessage[]): void {
  assert.ok(messages.length > 0);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const prev = messages[i - 1];
    if (m.role === "tool") {
      // A tool message follows the assistant turn that called it, or another tool message of that turn.
      let j = i - 1;
      while (messages[j]?.role === "tool") j--;
      const caller = messages[j];
      assert.ok(
        caller?.role === "assistant" && caller.tool_calls,
        `message ${i}: tool message after tool calls`,
      );
      assert.ok(
        caller.tool_calls.some((c) => c.id === m.tool_call_id),
        `message ${i}: answers a call of its turn`,
      );
    }
    if (m.role === "assistant" && m.tool_calls) {
      // Every call is answered right after its turn (the history fixtures are complete).
      const answered = new Set<string>();
      for (let k = i + 1; messages[k]?.role === "tool"; k++) {
        answered.add((messages[k] as { tool_call_id: string }).tool_call_id);
      }
      if (i + 1 < messages.length) {
        for (const c of m.tool_calls) assert.ok(answered.has(c.id), `message ${i}: call ${c.id} answered`);
      }
      for (const c of m.tool_calls) {
        assert.match(c.id, /^[a-zA-Z0-9_-]{1,64}$/);
        assert.match(c.function.name, /^[a-zA-Z0-9_-]{1,64}$/);
        JSON.parse(c.function.arguments);
      }
    }
    if (m.role === "user") assert.notEqual(prev?.role, "user", `message ${i}: user turns are merged`);
    if (m.role === "user" && Array.isArray(m.content)) assert.ok(m.content.length > 0);
  }
}

/** Long strings cut down so a snapshot of a real request stays readable. */
function shape(value: unknown): unknown {
  if (typeof value === "string") {
    return value.length > 100 ? `${value.slice(0, 60)}... (${value.length} chars)` : value;
  }
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === "parameters" ? "(schema)" : shape(v)]),
    );
  }
  return value;
}

const SNAPSHOT_PROVIDERS: ProviderName[] = ["openai", "gemini", "deepseek", "openrouter", "ollama", "vllm"];
const CLAUDE_CODE = {
  basic: ccBasic,
  image: ccImage,
  toolResult: ccToolResult,
  toolSearch: ccToolSearch,
  compaction: ccCompaction,
  afterCompaction: ccAfterCompaction,
  haiku: ccHaiku,
};

Deno.test("toOpenAIRequest()", async (t) => {
  for (const provider of SNAPSHOT_PROVIDERS) {
    await t.step(`translates a mixed conversation for ${provider}`, async () => {
      const req = parseMessagesRequest(mixed);
      const before = structuredClone(req);
      const { body, warnings } = translate(req, provider);
      assert.deepEqual(req, before, "the input is not mutated");
      assertWellFormed(body.messages);
      const json = JSON.stringify(body);
      assert.ok(!json.includes("x-anthropic-billing-header"), "billing header dropped");
      assert.ok(!json.includes("EqQBCkYIBxgCKkBforeignsignature"), "foreign signatures never leave");
      assert.ok(!json.includes("Anthropic thinking from Bedrock"), "foreign thinking is dropped");
      // Schemas sent unchanged are asserted here and elided from the snapshot (Gemini's cleaned ones stay).
      const tools = body.tools?.map((tool, i) => {
        const original = (req.tools?.[i] as { input_schema: unknown }).input_schema;
        if (PROVIDERS[provider].strictSchemas) return tool;
        assert.deepEqual(tool.function.parameters, original);
        return { ...tool, function: { ...tool.function, parameters: "(input_schema unchanged)" } };
      });
      await t.assertSnapshot({ body: { ...body, tools }, warnings });
    });
  }

  for (const [name, fixture] of Object.entries(CLAUDE_CODE)) {
    await t.step(`translates Claude Code's ${name} request for every provider`, () => {
      for (const provider of Object.keys(PROVIDERS) as ProviderName[]) {
        const warnings: string[] = [];
        const req = prepareRequest(parseMessagesRequest(fixture), (w) => warnings.push(w));
        const { body } = translate(req, provider);
        assertWellFormed(body.messages);
        const first = body.messages[0]!;
        assert.equal(first.role, "system", `${provider}: leading system message`);
        assert.ok(!JSON.stringify(body).includes("x-anthropic-billing-header"));
        const later = body.messages.slice(1).filter((m) => m.role === "system");
        if (!PROVIDERS[provider].laterSystemMessages) {
          assert.equal(later.length, 0, `${provider}: one system message`);
        }
        assert.ok((body.max_tokens ?? 0) <= 32768);
        assert.equal(body.stream, true);
        assert.ok(body.tools && body.tools.length > 0);
        if (provider === "gemini") {
          assert.ok(!("top_k" in body) && !("user" in body) && !("reasoning_effort" in body));
        }
      }
    });
  }

  await t.step("keeps Claude Code's image tool result as a user image after the tool message", async () => {
    const req = prepareRequest(parseMessagesRequest(ccImage), () => {});
    const openai = translate(req, "openai").body;
    const last = openai.messages.slice(-2);
    assert.equal(openai.messages.at(-3)?.role, "assistant");
    assert.equal(last[0]?.role, "tool");
    assert.equal(last[1]?.role, "user");
    const parts = last[1]!.content as { type: string }[];
    assert.ok(parts.some((p) => p.type === "image_url"));
    const deepseek = translate(req, "deepseek");
    assert.ok(!JSON.stringify(deepseek.body).includes("image_url"));
    assert.ok(deepseek.warnings.some((w) => w.includes("[image omitted]")));
    await t.assertSnapshot(shape({ openai, gemini: translate(req, "gemini").body }));
  });

  await t.step("maps thinking settings per provider", async () => {
    const cases: Record<string, Record<string, unknown>> = {
      "adaptive, effort max": { thinking: { type: "adaptive" }, output_config: { effort: "max" } },
      "adaptive, omitted, no effort": { thinking: { type: "adaptive", display: "omitted" } },
      "enabled 2000": { thinking: { type: "enabled", budget_tokens: 2000 }, max_tokens: 8000 },
      "enabled 10000": { thinking: { type: "enabled", budget_tokens: 10000 }, max_tokens: 20000 },
      "enabled 31999": { thinking: { type: "enabled", budget_tokens: 31999 }, max_tokens: 32000 },
      "disabled": { thinking: { type: "disabled" } },
      "absent, effort low": { output_config: { effort: "low" } },
    };
    const table: Record<string, Record<string, unknown>> = {};
    for (const [label, extra] of Object.entries(cases)) {
      const req = request({ messages: [{ role: "user", content: "hi" }], ...extra });
      const row: Record<string, unknown> = {};
      for (
        const [provider, model] of [...Object.entries(MODELS), ["openai", "gpt-5"]] as [
          ProviderName,
          string,
        ][]
      ) {
        const { body } = translate(req, provider, { model });
        const picked = Object.fromEntries(
          Object.entries(body).filter(([k]) =>
            ["reasoning_effort", "reasoning", "thinking", "extra_body"].includes(k)
          ),
        );
        row[`${provider} ${model}`] = Object.keys(picked).length ? picked : "-";
        if (provider === "gemini") {
          assert.ok(!(body.reasoning_effort && body.extra_body), "never both schemes");
        }
      }
      table[label] = row;
    }
    await t.assertSnapshot(table);
  });

  await t.step(
    "uses developer, max_completion_tokens and no sampling settings for OpenAI reasoning models",
    () => {
      const req = request({
        system: "Be brief.",
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 200000,
        temperature: 0.2,
        top_p: 0.9,
        stop_sequences: ["END"],
      });
      const { body, warnings } = translate(req, "openai", { model: "gpt-5", maxOutputTokens: 128000 });
      assert.equal(body.messages[0]?.role, "developer");
      assert.equal(body.max_completion_tokens, 128000);
      assert.ok(
        !("max_tokens" in body) && !("temperature" in body) && !("top_p" in body) && !("stop" in body),
      );
      assert.deepEqual(warnings, [
        "max_tokens: 200000 is above the gpt-5 limit and was clamped to 128000",
        "temperature: not supported by gpt-5 and was dropped",
        "top_p: not supported by gpt-5 and was dropped",
        "stop_sequences: not supported by gpt-5 and were dropped",
      ]);
    },
  );

  await t.step("sends sampling settings, stop, top_k and user where the provider takes them", () => {
    const req = request({
      messages: [{ role: "user", content: "hi" }],
      temperature: 0.3,
      top_k: 40,
      stop_sequences: ["a", "b", "c", "d", "e"],
      metadata: { user_id: "u".repeat(100) },
    });
    const openrouter = translate(req, "openrouter");
    assert.equal(openrouter.body.top_k, 40);
    assert.equal(openrouter.body.temperature, 0.3);
    assert.deepEqual(openrouter.body.stop, ["a", "b", "c", "d"]);
    assert.equal(openrouter.body.user, "u".repeat(64));
    assert.deepEqual(openrouter.warnings, ["stop_sequences: only the first 4 were sent"]);
    const gemini = translate(req, "gemini");
    assert.ok(!("top_k" in gemini.body) && !("user" in gemini.body));
    assert.ok(gemini.warnings.includes("top_k: not supported by gemini and was dropped"));
  });

  await t.step("maps tool_choice and sends parallel_tool_calls only with tools", () => {
    const tools = [{
      name: "mcp.x/y",
      input_schema: { type: "object", properties: { a: { type: "string" } } },
    }];
    const messages = [{ role: "user", content: "hi" }];
    const choice = (tool_choice: unknown) =>
      translate(request({ messages, tools, tool_choice }), "openai").body;
    assert.equal(choice({ type: "auto" }).tool_choice, "auto");
    assert.equal(choice({ type: "any" }).tool_choice, "required");
    assert.equal(choice({ type: "none" }).tool_choice, "none");
    assert.deepEqual(choice({ type: "tool", name: "mcp.x/y" }).tool_choice, {
      type: "function",
      function: { name: "mcp_x_y_4f7a0f9d" },
    });
    assert.equal(choice({ type: "tool", name: "mcp.x/y" }).tools?.[0]?.function.name, "mcp_x_y_4f7a0f9d");
    assert.equal(choice({ type: "any", disable_parallel_tool_use: true }).parallel_tool_calls, false);
    const noTools = translate(
      request({ messages, tool_choice: { type: "auto", disable_parallel_tool_use: true } }),
      "openai",
    );
    assert.ok(
      !("tool_choice" in noTools.body) && !("parallel_tool_calls" in noTools.body) &&
        !("tools" in noTools.body),
    );
  });

  await t.step(
    "sends stream_options only to providers that take them, and no stream fields otherwise",
    () => {
      const req = request({ messages: [{ role: "user", content: "hi" }] });
      assert.deepEqual(translate(req, "ollama").body.stream_options, { include_usage: true });
      const plain = translate(req, "ollama", { stream: false }).body;
      assert.ok(!("stream" in plain) && !("stream_options" in plain));
    },
  );

  await t.step(
    "sends PDFs as file parts where supported and rejects them elsewhere, naming the block",
    () => {
      const req = request({
        messages: [{
          role: "user",
          content: [
            { type: "text", text: "Summarise" },
            {
              type: "document",
              title: "Q3 report",
              source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" },
            },
          ],
        }],
      });
      const { body } = translate(req, "openai");
      assert.deepEqual(body.messages[0], {
        role: "user",
        content: [
          { type: "text", text: "Summarise" },
          {
            type: "file",
            file: { filename: "Q3 report.pdf", file_data: "data:application/pdf;base64,JVBERi0=" },
          },
        ],
      });
      assert.throws(() => translate(req, "gemini"), (err: unknown) => {
        assert.ok(err instanceof RelayError);
        assert.equal(err.status, 400);
        assert.equal(err.type, "invalid_request_error");
        assert.equal(
          err.message,
          "messages.0.content.1: PDF documents are not supported by the gemini backend",
        );
        return true;
      });
    },
  );

  await t.step("sends text documents and search results as tagged text", () => {
    const req = request({
      messages: [{
        role: "user",
        content: [
          {
            type: "document",
            title: "notes",
            source: { type: "text", media_type: "text/plain", data: "Line 1" },
          },
          {
            type: "search_result",
            source: "https://x.test",
            title: "X",
            content: [{ type: "text", text: "Found" }],
          },
        ],
      }],
    });
    assert.equal(
      translate(req, "ollama").body.messages[0]?.content,
      '<document title="notes">\nLine 1\n</document>\n\n<search_result source="https://x.test" title="X">\nFound\n</search_result>',
    );
  });

  await t.step("folds leading system turns into the first system message", () => {
    const req = request({
      system: "Main prompt",
      messages: [{ role: "system", content: "Env info" }, { role: "user", content: "hi" }],
    });
    assert.deepEqual(translate(req, "openai").body.messages, [
      { role: "system", content: "Main prompt\n\nEnv info" },
      { role: "user", content: "hi" },
    ]);
  });

  await t.step("gives DeepSeek tool-call turns an empty reasoning_content only when thinking is on", () => {
    const messages = [
      { role: "user", content: "hi" },
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] },
    ];
    const tools = [{ name: "Bash", input_schema: { type: "object" } }];
    const on = translate(request({ messages, tools, thinking: { type: "adaptive" } }), "deepseek", {
      model: "deepseek-chat",
    });
    assert.equal((on.body.messages[1] as { reasoning_content?: string }).reasoning_content, "");
    const off = translate(request({ messages, tools }), "deepseek", { model: "deepseek-chat" });
    assert.ok(!("reasoning_content" in off.body.messages[1]!));
    assert.deepEqual(off.body.thinking, undefined);
  });

  await t.step("puts Gemini's skip value on the first call of turns without a thought signature", () => {
    const req = request({
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "a", name: "Bash", input: {} },
            { type: "tool_use", id: "b", name: "Bash", input: {} },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "a", content: "1" },
            { type: "tool_result", tool_use_id: "b", content: "2" },
          ],
        },
      ],
      tools: [{ name: "Bash", input_schema: { type: "object" } }],
    });
    const calls = (translate(req, "gemini").body.messages[1] as { tool_calls: unknown[] }).tool_calls;
    assert.deepEqual(calls.map((c) => (c as { extra_content?: unknown }).extra_content), [
      { google: { thought_signature: "skip_thought_signature_validator" } },
      undefined,
    ]);
  });

  await t.step("keeps cache_control on OpenRouter parts and top level, and nowhere else", () => {
    const req = request({
      cache_control: { type: "ephemeral" },
      system: [{ type: "text", text: "S", cache_control: { type: "ephemeral" } }],
      messages: [{
        role: "user",
        content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral", ttl: "1h" } }],
      }],
    });
    const openrouter = translate(req, "openrouter").body;
    assert.deepEqual(openrouter.cache_control, { type: "ephemeral" });
    assert.deepEqual(openrouter.messages, [
      { role: "system", content: [{ type: "text", text: "S", cache_control: { type: "ephemeral" } }] },
      {
        role: "user",
        content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral", ttl: "1h" } }],
      },
    ]);
    assert.ok(!JSON.stringify(translate(req, "openai").body).includes("cache_control"));
    // Claude Code's first request ends with a system turn carrying the conversation's cache breakpoint.
    const basic = translate(prepareRequest(parseMessagesRequest(ccBasic), () => {}), "openrouter").body;
    const last = basic.messages.at(-1);
    assert.equal(last?.role, "system");
    assert.deepEqual((last?.content as { cache_control?: unknown }[]).at(-1)?.cache_control, {
      type: "ephemeral",
    });
  });
});
