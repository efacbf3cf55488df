import assert from "node:assert/strict";
import type { ConverseStreamCommandInput } from "@aws-sdk/client-bedrock-runtime";
import { parseMessagesRequest } from "../../../src/anthropic/parse.ts";
import type { MessagesRequest } from "../../../src/anthropic/types.ts";
import { RelayError } from "../../../src/errors.ts";
import { base64ToBytes } from "../../../src/translate/_encoding.ts";
import type { ConverseContentBlock, ConverseInput } from "../../../src/translate/bedrock/converse_types.ts";
import { isRelaySignature } from "../../../src/translate/signature.ts";
import { requestToolNames, toConverseRequest } from "../../../src/translate/bedrock/to_converse.ts";
import { forSnapshot, warnings } from "./_bedrock_helpers.ts";
import mixed from "../../testdata/bedrock/request_mixed.json" with { type: "json" };
import ccBasic from "../../testdata/claude_code/request_basic.json" with { type: "json" };
import ccToolResult from "../../testdata/claude_code/request_tool_result.json" with { type: "json" };
import ccToolSearch from "../../testdata/claude_code/request_tool_search.json" with { type: "json" };
import ccImage from "../../testdata/claude_code/request_image.json" with { type: "json" };
import ccCompaction from "../../testdata/claude_code/request_compaction.json" with { type: "json" };
import ccAfterCompaction from "../../testdata/claude_code/request_after_compaction.json" with {
  type: "json",
};
import ccHaiku from "../../testdata/claude_code/request_haiku_4_5.json" with { type: "json" };

const CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const OPUS_47 = "global.anthropic.claude-opus-4-7";
const NOVA = "us.amazon.nova-pro-v1:0";
const LLAMA = "us.meta.llama3-3-70b-instruct-v1:0";
const BETAS = "claude-code-20250219,interleaved-thinking-2025-05-14,context-1m-2025-08-07,effort-2025-11-24";
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const DOC_NAME = /^[a-zA-Z0-9\-()[\]]+(?: [a-zA-Z0-9\-()[\]]+)*$/;

function mixedRequest(): MessagesRequest {
  return parseMessagesRequest(mixed, BETAS);
}

function request(body: Record<string, unknown>): MessagesRequest {
  return parseMessagesRequest({ model: "m", max_tokens: 1000, ...body });
}

function allBlocks(input: ConverseInput): ConverseContentBlock[] {
  return input.messages.flatMap((m) => m.content);
}

/** What Bedrock validates (protocol.md 6.3), asserted on any translated request. */
function assertValidConverse(input: ConverseInput): void {
  input.messages.forEach((m, i) => {
    if (i === 0) assert.equal(m.role, "user", "the conversation starts with the user");
    else assert.notEqual(m.role, input.messages[i - 1]?.role, `roles alternate at messages.${i}`);
    assert.ok(m.content.some((b) => !("cachePoint" in b)), `messages.${i} has content`);
    if (m.content.some((b) => "document" in b)) {
      assert.ok(m.content.some((b) => "text" in b), `messages.${i} has text beside its document`);
    }
    if (m.role === "assistant") assert.ok(!m.content.some((b) => "image" in b || "document" in b));
    const lastResult = m.content.findLastIndex((b) => "toolResult" in b);
    assert.ok(
      lastResult < 0 || m.content.slice(0, lastResult).every((b) => "toolResult" in b || "cachePoint" in b),
      `messages.${i}: tool results come first`,
    );
  });
  const texts = [
    ...(input.system ?? []).flatMap((b) => "text" in b ? [b.text] : []),
    ...allBlocks(input).flatMap((b) =>
      "text" in b
        ? [b.text]
        : "toolResult" in b
        ? b.toolResult.content.flatMap((c) => "text" in c ? [c.text] : [])
        : []
    ),
  ];
  for (const t of texts) assert.notEqual(t.trim(), "", "no blank text");
  const cachePoints = [
    ...(input.system ?? []),
    ...(input.toolConfig?.tools ?? []),
    ...allBlocks(input),
  ].filter((b) => "cachePoint" in b).length;
  assert.ok(cachePoints <= 4, `at most 4 cache points, found ${cachePoints}`);
  const toolNames = new Set(input.toolConfig?.tools.flatMap((t) => "toolSpec" in t ? [t.toolSpec.name] : []));
  for (const name of toolNames) assert.match(name, NAME);
  const seen = new Set<string>();
  for (const b of allBlocks(input)) {
    if ("toolUse" in b) {
      assert.match(b.toolUse.toolUseId, NAME);
      assert.match(b.toolUse.name, NAME);
      assert.ok(toolNames.has(b.toolUse.name), `tool ${b.toolUse.name} is defined`);
      seen.add(b.toolUse.toolUseId);
    }
    if ("toolResult" in b) {
      assert.ok(seen.has(b.toolResult.toolUseId), "tool results answer earlier tool calls");
    }
    if ("reasoningContent" in b && "reasoningText" in b.reasoningContent) {
      const sig = b.reasoningContent.reasoningText.signature ?? "";
      assert.ok(sig !== "" && !isRelaySignature(sig), "only real signatures travel");
    }
    if ("document" in b) assert.match(b.document.name, DOC_NAME);
  }
  if (allBlocks(input).some((b) => "toolUse" in b || "toolResult" in b)) {
    assert.ok(input.toolConfig, "toolConfig is present when the history has tool blocks");
  }
}

Deno.test("toConverseRequest()", async (t) => {
  await t.step("produces input the SDK's ConverseStreamCommand accepts (compile-time check)", () => {
    const input: ConverseStreamCommandInput = toConverseRequest(mixedRequest(), {
      modelId: CLAUDE,
      warn: () => {},
    });
    assert.equal(input.modelId, CLAUDE);
  });

  await t.step("translates a mixed request for Claude Sonnet 4.5", async (t) => {
    const req = mixedRequest();
    const before = structuredClone(req);
    const w = warnings();
    const input = toConverseRequest(req, { modelId: CLAUDE, warn: w.warn });
    assertValidConverse(input);
    assert.deepEqual(req, before, "the request is not mutated");
    // The billing header is dropped; the mid-conversation system message stays in place as user text.
    assert.deepEqual(input.system?.map((b) => "text" in b ? "text" : "cache"), [
      "text",
      "cache",
      "text",
      "cache",
    ]);
    assert.ok(!JSON.stringify(input.system).includes("x-anthropic-billing-header"));
    assert.equal(input.messages.length, 5, "the user, system and user messages merged into one turn");
    assert.match(JSON.stringify(input.messages[0]), /<system-reminder>\\n# Environment/);
    // Bytes are the decoded base64.
    const pdf = allBlocks(input).find((b) => "document" in b);
    assert.ok(pdf && "document" in pdf);
    const pdfBlock = req.messages[0]?.content[2];
    assert.ok(pdfBlock?.type === "document" && pdfBlock.source.type === "base64");
    assert.deepEqual(pdf.document.source.bytes, base64ToBytes(pdfBlock.source.data));
    assert.equal(pdf.document.name, "Spec v2 final pdf");
    // Thinking: the Bedrock-signed block travels, the relayx-signed one does not, redacted does.
    const reasoning = allBlocks(input).filter((b) => "reasoningContent" in b);
    assert.equal(reasoning.length, 2);
    // Tool names longer than 64 characters are aliased consistently in tools and history.
    const alias = input.toolConfig?.tools.flatMap((x) => "toolSpec" in x ? [x.toolSpec.name] : [])[1];
    assert.ok(alias && alias.length <= 64 && alias.startsWith("mcp__github_enterprise"));
    assert.ok(requestToolNames(req).includes(mixed.tools[1]!.name));
    assert.deepEqual(input.additionalModelRequestFields, {
      thinking: { type: "enabled", budget_tokens: 8000 },
      anthropic_beta: ["interleaved-thinking-2025-05-14", "context-1m-2025-08-07"],
    });
    assert.equal(input.inferenceConfig?.maxTokens, 64_000);
    assert.equal(input.inferenceConfig?.temperature, undefined, "temperature is dropped with thinking");
    await t.assertSnapshot({ input: forSnapshot(input), warnings: w.list });
  });

  await t.step(
    "translates the mixed request for Nova Pro (no reasoning, status, images in results)",
    async (t) => {
      const w = warnings();
      const input = toConverseRequest(mixedRequest(), { modelId: NOVA, warn: w.warn });
      assertValidConverse(input);
      assert.ok(!allBlocks(input).some((b) => "reasoningContent" in b));
      assert.equal(input.additionalModelRequestFields, undefined);
      assert.equal(input.inferenceConfig?.maxTokens, 5000);
      assert.equal(input.additionalModelResponseFieldPaths, undefined);
      // Nova takes no cache point in a turn with tool results.
      const results = input.messages.find((m) => m.content.some((b) => "toolResult" in b));
      assert.ok(results && !results.content.some((b) => "cachePoint" in b));
      await t.assertSnapshot({ input: forSnapshot(input), warnings: w.list });
    },
  );

  await t.step("translates the mixed request for Llama 3.3 (no cache points, no images)", async (t) => {
    const w = warnings();
    const input = toConverseRequest(mixedRequest(), { modelId: LLAMA, warn: w.warn });
    assertValidConverse(input);
    assert.ok(!JSON.stringify(forSnapshot(input)).includes("cachePoint"));
    assert.ok(!allBlocks(input).some((b) => "image" in b));
    assert.ok(allBlocks(input).some((b) => "document" in b), "Llama takes documents (AWS feature table)");
    const errored = allBlocks(input).flatMap((b) => "toolResult" in b ? [b.toolResult] : []).find((r) =>
      r.toolUseId === "toolu_01FetchGithub"
    );
    assert.equal(errored?.status, undefined, "Llama ignores status, so the error is said in text");
    assert.deepEqual(errored?.content, [{ text: "Error:" }, { text: "(empty)" }]);
    assert.equal(input.inferenceConfig?.maxTokens, 2048);
    await t.assertSnapshot({ input: forSnapshot(input), warnings: w.list });
  });

  await t.step("sends adaptive thinking to Opus 4.7 and no beta flags or sampling parameters", () => {
    const w = warnings();
    const input = toConverseRequest(mixedRequest(), { modelId: OPUS_47, warn: w.warn });
    assertValidConverse(input);
    assert.deepEqual(input.additionalModelRequestFields, {
      thinking: { type: "adaptive" },
      output_config: { effort: "medium" },
    });
    assert.equal(input.inferenceConfig?.maxTokens, 100_000);
  });

  const cc = {
    ccBasic,
    ccToolResult,
    ccToolSearch,
    ccImage,
    ccCompaction,
    ccAfterCompaction,
    ccHaiku,
  };
  for (const [name, body] of Object.entries(cc)) {
    await t.step(`translates Claude Code's ${name} into valid input for Claude, Nova and Llama`, () => {
      const req = parseMessagesRequest(body, BETAS);
      for (const modelId of [CLAUDE, OPUS_47, NOVA, LLAMA]) {
        const input = toConverseRequest(req, { modelId, warn: () => {} });
        assertValidConverse(input);
        assert.ok(!JSON.stringify(input.system).includes("x-anthropic-billing-header"));
        const fromMessages = req.messages.filter((m) => m.role === "system").length;
        const reminders = JSON.stringify(input.messages).split("<system-reminder>\\n").length - 1;
        assert.ok(reminders >= fromMessages, "every system message is kept as a reminder");
      }
    });
  }

  await t.step("keeps Claude Code's cache breakpoints at the end of the conversation", async (t) => {
    const req = parseMessagesRequest(ccImage, BETAS);
    const input = toConverseRequest(req, { modelId: OPUS_47, warn: () => {} });
    assert.ok(
      "cachePoint" in (input.messages.at(-1)?.content.at(-1) ?? {}),
      "breakpoint after the last block",
    );
    // Adaptive thinking stays on although the previous tool turn has no thinking block.
    assert.deepEqual(input.additionalModelRequestFields?.thinking, { type: "adaptive", display: "omitted" });
    await t.assertSnapshot(forSnapshot(input));
  });

  await t.step("rejects URL images with a 400 naming the block", () => {
    const req = request({
      messages: [{
        role: "user",
        content: [{ type: "text", text: "x" }, {
          type: "image",
          source: { type: "url", url: "https://x/y.png" },
        }],
      }],
    });
    assert.throws(
      () => toConverseRequest(req, { modelId: CLAUDE, warn: () => {} }),
      (e: unknown) =>
        e instanceof RelayError && e.status === 400 &&
        e.message ===
          "messages.0.content.1: URL images are not supported on Bedrock; send the image as base64",
    );
  });

  const toolTurns = [
    { role: "user", content: "list files" },
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } }],
    },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] },
  ];
  const bash = {
    name: "Bash",
    input_schema: { type: "object", properties: { command: { type: "string" } } },
  };

  await t.step("keeps the tools for tool_choice none when the history has tool blocks", () => {
    const w = warnings();
    const input = toConverseRequest(
      request({ messages: toolTurns, tools: [bash], tool_choice: { type: "none" } }),
      { modelId: CLAUDE, warn: w.warn },
    );
    assertValidConverse(input);
    assert.equal(input.toolConfig?.tools.length, 1);
    assert.equal(input.toolConfig?.toolChoice, undefined);
    assert.match(w.list.join("\n"), /tool_choice.none/);
    const plain = toConverseRequest(
      request({ messages: [{ role: "user", content: "hi" }], tools: [bash], tool_choice: { type: "none" } }),
      { modelId: CLAUDE, warn: () => {} },
    );
    assert.equal(plain.toolConfig, undefined, "without tool history, none omits the tools");
  });

  await t.step("sends stub tools when the history has tool calls but the request has no tools", () => {
    const w = warnings();
    const input = toConverseRequest(request({ messages: toolTurns }), { modelId: CLAUDE, warn: w.warn });
    assertValidConverse(input);
    assert.deepEqual(input.toolConfig, {
      tools: [{
        toolSpec: {
          name: "Bash",
          description: "A tool used earlier in this conversation",
          inputSchema: { json: { type: "object" } },
        },
      }],
    });
  });

  await t.step("downgrades forced tool use to auto when thinking is on", () => {
    const w = warnings();
    const input = toConverseRequest(
      request({
        messages: [{ role: "user", content: "run ls" }],
        tools: [bash],
        tool_choice: { type: "tool", name: "Bash" },
        thinking: { type: "enabled", budget_tokens: 2000 },
        max_tokens: 4000,
      }),
      { modelId: CLAUDE, warn: w.warn },
    );
    assert.equal(input.toolConfig?.toolChoice, undefined);
    assert.deepEqual(w.list, ["tool_choice.tool: thinking forbids forced tool use; sent as auto"]);
  });

  await t.step("rejects tool_choice naming a tool that is not defined", () => {
    assert.throws(
      () =>
        toConverseRequest(
          request({
            messages: [{ role: "user", content: "x" }],
            tools: [bash],
            tool_choice: { type: "tool", name: "Nope" },
          }),
          { modelId: CLAUDE, warn: () => {} },
        ),
      /tool_choice.name: Tool "Nope" is not defined in tools/,
    );
  });

  await t.step(
    "turns tool_choice tool into any for Nova-less models that lack it, and omits it for Llama",
    () => {
      const body = {
        messages: [{ role: "user", content: "x" }],
        tools: [bash],
        tool_choice: { type: "tool", name: "Bash" },
      };
      assert.deepEqual(
        toConverseRequest(request(body), { modelId: NOVA, warn: () => {} }).toolConfig?.toolChoice,
        { tool: { name: "Bash" } },
      );
      const w = warnings();
      assert.equal(
        toConverseRequest(request(body), { modelId: LLAMA, warn: w.warn }).toolConfig?.toolChoice,
        undefined,
      );
      assert.equal(w.list.length, 2);
    },
  );

  await t.step("puts tool results ahead of a system reminder merged into their turn", () => {
    const input = toConverseRequest(
      request({
        messages: [
          toolTurns[0],
          toolTurns[1],
          {
            role: "system",
            content: [{ type: "text", text: "Mind the date.", cache_control: { type: "ephemeral" } }],
          },
          toolTurns[2],
        ],
        tools: [bash],
      }),
      { modelId: CLAUDE, warn: () => {} },
    );
    assertValidConverse(input);
    assert.deepEqual(input.messages[2]?.content, [
      { toolResult: { toolUseId: "toolu_1", content: [{ text: "a.txt" }] } },
      { text: "<system-reminder>\nMind the date.\n</system-reminder>" },
      { cachePoint: { type: "default" } },
    ]);
  });

  await t.step("starts with a user turn and trims a trailing-whitespace prefill", () => {
    const input = toConverseRequest(
      request({
        messages: [
          { role: "assistant", content: "Earlier answer." },
          { role: "user", content: "Go on" },
          { role: "assistant", content: "Sure:  \n" },
        ],
      }),
      { modelId: CLAUDE, warn: () => {} },
    );
    assertValidConverse(input);
    assert.deepEqual(input.messages.map((m) => m.content), [
      [{ text: "(continue)" }],
      [{ text: "Earlier answer." }],
      [{ text: "Go on" }],
      [{ text: "Sure:" }],
    ]);
  });

  await t.step("sends adaptive thinking as budgeted thinking to Claude 4.5 and clamps the budget", () => {
    const w = warnings();
    const input = toConverseRequest(
      request({
        messages: [{ role: "user", content: "x" }],
        thinking: { type: "adaptive" },
        output_config: { effort: "high" },
        max_tokens: 12_000,
      }),
      { modelId: "anthropic.claude-haiku-4-5-20251001-v1:0", warn: w.warn },
    );
    assert.deepEqual(input.additionalModelRequestFields, {
      thinking: { type: "enabled", budget_tokens: 11_999 },
    });
    assert.deepEqual(w.list, [
      "output_config.effort: not supported by this Claude version on Bedrock; dropped",
      "thinking.adaptive: not supported by this Claude version; sent as budgeted thinking",
    ]);
  });

  await t.step("disables thinking when the tool loop's assistant turn lost its signature", () => {
    const w = warnings();
    const input = toConverseRequest(
      request({
        messages: [
          { role: "user", content: "list" },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "t", signature: "relayx1.gemini.e30" },
              { type: "tool_use", id: "toolu_1", name: "Bash", input: {} },
            ],
          },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "ok" }] },
        ],
        tools: [bash],
        thinking: { type: "enabled", budget_tokens: 2000 },
        max_tokens: 8000,
      }),
      { modelId: CLAUDE, warn: w.warn },
    );
    assert.deepEqual(input.additionalModelRequestFields, { thinking: { type: "disabled" } });
    assert.match(w.list[0] ?? "", /no Bedrock-signed thinking block/);
  });

  await t.step("names the stop sequence Claude matched and sends structured output as a JSON string", () => {
    const input = toConverseRequest(
      request({
        messages: [{ role: "user", content: "x" }],
        stop_sequences: ["END"],
        output_config: { format: { type: "json_schema", schema: { type: "object" } } },
      }),
      { modelId: CLAUDE, warn: () => {} },
    );
    assert.deepEqual(input.inferenceConfig?.stopSequences, ["END"]);
    assert.deepEqual(input.additionalModelResponseFieldPaths, ["/stop_sequence"]);
    assert.deepEqual(input.outputConfig, {
      textFormat: {
        type: "json_schema",
        structure: { jsonSchema: { schema: '{"type":"object"}', name: "output" } },
      },
    });
  });
});
