/**
 * Tool ids another upstream made reach each upstream in a form its rule takes, the same in the tool
 * call and its result: Kimi's `functions.Bash:0` (from an Anthropic-format backend) must not break
 * Bedrock or Anthropic, while ids an upstream takes pass unchanged.
 */
import assert from "node:assert/strict";
import type { MessagesRequest } from "../../src/anthropic/types.ts";
import { ANTHROPIC_PROVIDERS } from "../../src/translate/anthropic/providers.ts";
import { toAnthropicRequest } from "../../src/translate/anthropic/to_anthropic.ts";
import { toConverseRequest } from "../../src/translate/bedrock/to_converse.ts";
import { toInvokeBody } from "../../src/translate/bedrock/to_invoke.ts";
import { PROVIDERS } from "../../src/translate/openai/providers.ts";
import { toOpenAIRequest } from "../../src/translate/openai/to_openai.ts";
import { tagOrigin } from "../../src/translate/origin.ts";

const CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
// The rule of Bedrock (toolUseId), Anthropic and OpenAI-compatible upstreams alike; OpenAI's own
// ids are at most 40 characters long.
const VALID = /^[a-zA-Z0-9_-]{1,64}$/;
const OPENAI_VALID = /^[a-zA-Z0-9_-]{1,40}$/;
const KIMI = "functions.Bash:0";
const LONG = `call_${"x".repeat(80)}`;
// Valid everywhere but on OpenAI.
const MEDIUM = `toolu_vrtx_${"y".repeat(35)}`;
const PLAIN = "toolu_01AbC";

const REQUEST: MessagesRequest = {
  model: "claude-sonnet-4-5",
  max_tokens: 2048,
  tools: [{ name: "Bash", input_schema: { type: "object" } }],
  messages: [
    { role: "user", content: [{ type: "text", text: "List, then count." }] },
    {
      role: "assistant",
      content: [
        { type: "tool_use", id: KIMI, name: "Bash", input: { command: "ls" } },
        { type: "tool_use", id: LONG, name: "Bash", input: { command: "wc -l a.txt" } },
        { type: "tool_use", id: PLAIN, name: "Bash", input: { command: "pwd" } },
        { type: "tool_use", id: MEDIUM, name: "Bash", input: { command: "id" } },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: KIMI, content: "a.txt" },
        { type: "tool_result", tool_use_id: LONG, content: "3 a.txt" },
        { type: "tool_result", tool_use_id: PLAIN, content: "/home" },
        { type: "tool_result", tool_use_id: MEDIUM, content: "uid=0" },
      ],
    },
  ],
};

type Pair = [use: string, result: string];

// The (tool call id, tool result id) pairs each upstream receives, in order.
function pairs(): Record<string, Pair[]> {
  const warn = () => {};
  const invoke = toInvokeBody(REQUEST, { modelId: CLAUDE, warn }) as {
    messages: { content: { type: string; id?: string; tool_use_id?: string }[] }[];
  };
  const converse = toConverseRequest(REQUEST, { modelId: CLAUDE, warn });
  const openai = toOpenAIRequest(REQUEST, {
    model: "gpt-4.1",
    provider: PROVIDERS.openai,
    maxOutputTokens: 32768,
    stream: false,
    warn,
  });
  const anthropic = (name: "anthropic" | "moonshot") => {
    const { body } = toAnthropicRequest(REQUEST, { model: "m", profile: ANTHROPIC_PROVIDERS[name], warn });
    return body.messages as MessagesRequest["messages"];
  };
  const fromAnthropicShape = (
    messages: { content: { type: string; id?: string; tool_use_id?: string }[] }[],
  ) => {
    const uses = messages[1]!.content.map((b) => b.id!);
    const results = messages[2]!.content.map((b) => b.tool_use_id!);
    return uses.map((u, i): Pair => [u, results[i]!]);
  };
  const converseUses = converse.messages![1]!.content!.flatMap((b) =>
    "toolUse" in b ? [b.toolUse!.toolUseId!] : []
  );
  const converseResults = converse.messages![2]!.content!.flatMap((b) =>
    "toolResult" in b ? [b.toolResult!.toolUseId!] : []
  );
  const openaiMessages = openai.messages as {
    role: string;
    tool_calls?: { id: string }[];
    tool_call_id?: string;
  }[];
  const openaiUses = openaiMessages.flatMap((m) => m.tool_calls?.map((c) => c.id) ?? []);
  const openaiResults = openaiMessages.flatMap((m) => m.role === "tool" ? [m.tool_call_id!] : []);
  return {
    invoke: fromAnthropicShape(invoke.messages),
    converse: converseUses.map((u, i): Pair => [u, converseResults[i]!]),
    openai: openaiUses.map((u, i): Pair => [u, openaiResults[i]!]),
    anthropic: fromAnthropicShape(anthropic("anthropic") as never),
    moonshot: fromAnthropicShape(anthropic("moonshot") as never),
  };
}

Deno.test("tool ids reach each upstream valid for it, the same in the call and its result", async (t) => {
  const all = pairs();
  for (const upstream of ["invoke", "converse", "openai", "anthropic"] as const) {
    await t.step(upstream, () => {
      const got = all[upstream]!;
      assert.equal(got.length, 4);
      for (const [use, result] of got) {
        assert.match(use, upstream === "openai" ? OPENAI_VALID : VALID);
        assert.equal(result, use, "the result names the call's id");
      }
      assert.equal(new Set(got.map(([use]) => use)).size, 4, "distinct ids stay distinct");
      assert.equal(got[2]![0], PLAIN, "a valid id passes unchanged");
      assert.notEqual(got[0]![0], KIMI);
      assert.equal(
        got[3]![0] === MEDIUM,
        upstream !== "openai",
        "46 characters are too long for OpenAI only",
      );
    });
  }
  await t.step("one alias per id on every upstream (deterministic, so the next request agrees)", () => {
    const again = pairs();
    assert.deepEqual(again, all);
    assert.deepEqual(all.invoke, all.anthropic);
    assert.deepEqual(all.invoke, all.converse);
  });
  await t.step("an Anthropic-format upstream other than Anthropic gets the ids it made unchanged", () => {
    assert.deepEqual(all.moonshot, [[KIMI, KIMI], [LONG, LONG], [PLAIN, PLAIN], [MEDIUM, MEDIUM]]);
  });
});

Deno.test("toAnthropicRequest() turns thinking off on Anthropic when a tool turn lost its thinking", async (t) => {
  const history = (first: MessagesRequest["messages"][number]["content"]): MessagesRequest => ({
    model: "claude-sonnet-4-5",
    max_tokens: 4096,
    thinking: { type: "enabled", budget_tokens: 2048 },
    messages: [
      { role: "user", content: [{ type: "text", text: "List." }] },
      {
        role: "assistant",
        content: [...first, { type: "tool_use", id: "toolu_1", name: "Bash", input: {} }],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] },
    ],
  });
  const translate = (req: MessagesRequest, name: "anthropic" | "zai") => {
    const warnings: string[] = [];
    const { body } = toAnthropicRequest(req, {
      model: "m",
      profile: ANTHROPIC_PROVIDERS[name],
      warn: (w) => warnings.push(w),
    });
    return { body, warnings };
  };
  await t.step("the turn's thinking was relayx's (another backend's): thinking off, with a warning", () => {
    const foreign = history([{ type: "thinking", thinking: "t", signature: tagOrigin("sig", "bedrock") }]);
    const { body, warnings } = translate(foreign, "anthropic");
    assert.equal(body.thinking, undefined);
    assert.deepEqual((body.messages as MessagesRequest["messages"])[1]?.content.map((b) => b.type), [
      "tool_use",
    ]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^thinking: .* thinking is off for this request$/);
  });
  await t.step("the turn starts with Anthropic's own thinking: thinking stays on", () => {
    const own = history([{ type: "thinking", thinking: "t", signature: "EqQBsig" }]);
    const { body, warnings } = translate(own, "anthropic");
    assert.deepEqual(body.thinking, { type: "enabled", budget_tokens: 2048 });
    assert.deepEqual(warnings, []);
  });
  await t.step("an upstream that does not require it keeps thinking on", () => {
    const { body } = translate(history([]), "zai");
    assert.deepEqual(body.thinking, { type: "enabled", budget_tokens: 2048 });
  });
});
