import assert from "node:assert/strict";
import { parseMessagesRequest } from "../../../src/anthropic/parse.ts";
import type { MessagesRequest } from "../../../src/anthropic/types.ts";
import { RelayError } from "../../../src/errors.ts";
import { isRelaySignature } from "../../../src/translate/signature.ts";
import { toInvokeBody } from "../../../src/translate/bedrock/to_invoke.ts";
import { forSnapshot, warnings } from "./_bedrock_helpers.ts";
import mixed from "../../testdata/bedrock/request_mixed.json" with { type: "json" };
import ccBasic from "../../testdata/claude_code/request_basic.json" with { type: "json" };
import ccToolSearch from "../../testdata/claude_code/request_tool_search.json" with { type: "json" };
import ccAfterCompaction from "../../testdata/claude_code/request_after_compaction.json" with {
  type: "json",
};
import ccHaiku from "../../testdata/claude_code/request_haiku_4_5.json" with { type: "json" };

const SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const OPUS_47 = "global.anthropic.claude-opus-4-7";
const BETAS =
  "claude-code-20250219,interleaved-thinking-2025-05-14,context-1m-2025-08-07,effort-2025-11-24," +
  "context-management-2025-06-27,advanced-tool-use-2025-11-20,fine-grained-tool-streaming-2025-05-14";

const ALLOWED_KEYS = new Set([
  "anthropic_version",
  "anthropic_beta",
  "max_tokens",
  "system",
  "messages",
  "stop_sequences",
  "temperature",
  "top_p",
  "top_k",
  "tools",
  "tool_choice",
  "thinking",
  "output_config",
]);

type Json = Record<string, unknown>;

/** What Bedrock's Claude validates, asserted on any body. */
function assertValidBody(body: Json): void {
  for (const key of Object.keys(body)) assert.ok(ALLOWED_KEYS.has(key), `unexpected field ${key}`);
  assert.equal(body.anthropic_version, "bedrock-2023-05-31");
  const messages = body.messages as { role: string; content: Json[] }[];
  let breakpoints = 0;
  const count = (b: Json) => {
    if (b.cache_control) breakpoints++;
  };
  for (const b of (body.system as Json[] | undefined) ?? []) {
    count(b);
    assert.notEqual(String(b.text).trim(), "");
    assert.ok(!String(b.text).startsWith("x-anthropic-billing-header"));
  }
  for (const t of (body.tools as Json[] | undefined) ?? []) {
    count(t);
    assert.ok(
      !("defer_loading" in t) && !("strict" in t) && !("type" in t),
      "tools carry only Bedrock's fields",
    );
  }
  messages.forEach((m, i) => {
    assert.ok(m.role === "user" || m.role === "assistant", `messages.${i} role ${m.role}`);
    if (i > 0) assert.notEqual(m.role, messages[i - 1]?.role, "adjacent turns of one role are merged");
    assert.ok(m.content.length > 0);
    const lastResult = m.content.findLastIndex((b) => b.type === "tool_result");
    assert.ok(
      lastResult < 0 || m.content.slice(0, lastResult).every((b) => b.type === "tool_result"),
      "tool results come first",
    );
    for (const b of m.content) {
      count(b);
      if (b.type === "text") assert.notEqual(String(b.text).trim(), "", "no blank text");
      if (b.type === "thinking") assert.ok(!isRelaySignature(String(b.signature)) && b.signature !== "");
      if (b.type === "tool_result" && Array.isArray(b.content)) {
        for (const c of b.content as Json[]) {
          count(c);
          assert.notEqual(c.type, "tool_reference");
        }
      }
    }
  });
  assert.ok(breakpoints <= 4, `at most 4 cache breakpoints, found ${breakpoints}`);
}

function mixedRequest(): MessagesRequest {
  return parseMessagesRequest(mixed, BETAS);
}

Deno.test("toInvokeBody()", async (t) => {
  await t.step("builds the native body for Claude Sonnet 4.5", async (t) => {
    const req = mixedRequest();
    const before = structuredClone(req);
    const w = warnings();
    const body = toInvokeBody(req, { modelId: SONNET_45, warn: w.warn });
    assertValidBody(body);
    assert.deepEqual(req, before, "the request is not mutated");
    assert.deepEqual(body.anthropic_beta, ["interleaved-thinking-2025-05-14", "context-1m-2025-08-07"]);
    assert.equal(body.max_tokens, 64_000);
    assert.deepEqual(body.thinking, { type: "enabled", budget_tokens: 8000 });
    assert.equal(body.temperature, undefined);
    assert.equal(body.messages && (body.messages as unknown[]).length, 5);
    await t.assertSnapshot({ body: forSnapshot(body), warnings: w.list });
  });

  await t.step("sends Opus 4.7 adaptive thinking, no betas and no sampling parameters", () => {
    const body = toInvokeBody(mixedRequest(), { modelId: OPUS_47, warn: () => {} });
    assertValidBody(body);
    assert.equal(body.anthropic_beta, undefined);
    assert.deepEqual(body.thinking, { type: "adaptive" });
    assert.deepEqual(body.output_config, { effort: "medium" });
    assert.equal(body.max_tokens, 100_000);
  });

  for (const [name, fixture] of Object.entries({ ccBasic, ccToolSearch, ccAfterCompaction, ccHaiku })) {
    await t.step(`builds a valid body from Claude Code's ${name}`, () => {
      const req = parseMessagesRequest(fixture, BETAS);
      for (const modelId of [SONNET_45, OPUS_47, "global.anthropic.claude-haiku-4-5-20251001-v1:0"]) {
        const body = toInvokeBody(req, { modelId, warn: () => {} });
        assertValidBody(body);
        const reminders = JSON.stringify(body.messages).split("<system-reminder>\\n").length - 1;
        assert.ok(reminders >= req.messages.filter((m) => m.role === "system").length);
      }
    });
  }

  await t.step(
    "keeps Claude Code's last-message breakpoint where it was (system message turned reminder)",
    async (t) => {
      const body = toInvokeBody(parseMessagesRequest(ccBasic, BETAS), { modelId: OPUS_47, warn: () => {} });
      const messages = body.messages as { role: string; content: Json[] }[];
      assert.equal(messages.length, 1, "the user message and the system message share one user turn");
      assert.deepEqual(messages[0]?.content.at(-1)?.cache_control, { type: "ephemeral" });
      await t.assertSnapshot(forSnapshot({ ...body, tools: (body.tools as Json[]).map((x) => x.name) }));
    },
  );

  await t.step("turns a top-level cache_control into a breakpoint on the last block", () => {
    const body = toInvokeBody(
      parseMessagesRequest({
        model: "m",
        max_tokens: 100,
        messages: [{ role: "user", content: "hello" }],
        cache_control: { type: "ephemeral", ttl: "1h" },
      }),
      { modelId: "us.anthropic.claude-sonnet-4-20250514-v1:0", warn: () => {} },
    );
    assert.deepEqual(body.messages, [
      { role: "user", content: [{ type: "text", text: "hello", cache_control: { type: "ephemeral" } }] },
    ], "Claude 4.0 takes no 1h TTL, so the TTL is dropped");
  });

  await t.step("passes tool_choice none and disable_parallel_tool_use, which the native API has", () => {
    const body = toInvokeBody(
      parseMessagesRequest({
        model: "m",
        max_tokens: 100,
        messages: [{ role: "user", content: "x" }],
        tools: [{ name: "Bash", input_schema: { type: "object" }, defer_loading: true, strict: true }],
        tool_choice: { type: "auto", disable_parallel_tool_use: true },
      }),
      { modelId: SONNET_45, warn: () => {} },
    );
    assert.deepEqual(body.tools, [{ name: "Bash", input_schema: { type: "object" } }]);
    assert.deepEqual(body.tool_choice, { type: "auto", disable_parallel_tool_use: true });
  });

  await t.step("puts tool results ahead of a system reminder merged into their turn", () => {
    const body = toInvokeBody(
      parseMessagesRequest({
        model: "m",
        max_tokens: 100,
        messages: [
          { role: "user", content: "ls" },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: {} }] },
          { role: "system", content: "Mind the date." },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] },
        ],
        tools: [{ name: "Bash", input_schema: { type: "object" } }],
      }),
      { modelId: SONNET_45, warn: () => {} },
    );
    assertValidBody(body);
    assert.deepEqual((body.messages as Json[])[2], {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" },
        { type: "text", text: "<system-reminder>\nMind the date.\n</system-reminder>" },
      ],
    });
  });

  await t.step("rejects file references with a 400 naming the block", () => {
    assert.throws(
      () =>
        toInvokeBody(
          parseMessagesRequest({
            model: "m",
            max_tokens: 100,
            messages: [{
              role: "user",
              content: [{ type: "document", source: { type: "file", file_id: "file_1" } }],
            }],
          }),
          { modelId: SONNET_45, warn: () => {} },
        ),
      (e: unknown) =>
        e instanceof RelayError && e.status === 400 && e.message.startsWith("messages.0.content.0: File"),
    );
  });
});
