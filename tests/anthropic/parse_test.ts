import assert from "node:assert/strict";
import { parseCountTokensRequest, parseMessagesRequest } from "../../src/anthropic/parse.ts";
import { RelayError } from "../../src/errors.ts";
import basic from "../testdata/claude_code/request_basic.json" with { type: "json" };
import toolResult from "../testdata/claude_code/request_tool_result.json" with { type: "json" };
import toolSearch from "../testdata/claude_code/request_tool_search.json" with { type: "json" };
import image from "../testdata/claude_code/request_image.json" with { type: "json" };
import compaction from "../testdata/claude_code/request_compaction.json" with { type: "json" };
import afterCompaction from "../testdata/claude_code/request_after_compaction.json" with { type: "json" };
import haiku from "../testdata/claude_code/request_haiku_4_5.json" with { type: "json" };
import { betaConversation, compactedConversation } from "../support/beta_requests.ts";

function rejects(body: unknown, path: RegExp): void {
  assert.throws(() => parseMessagesRequest(body), (err: unknown) => {
    assert.ok(err instanceof RelayError);
    assert.equal(err.status, 400);
    assert.equal(err.type, "invalid_request_error");
    assert.match(err.message, path);
    return true;
  });
}

const ok = { model: "m", max_tokens: 5, messages: [{ role: "user", content: "Hi" }] };

Deno.test("parseMessagesRequest() accepts every real Claude Code 2.1.332 request", async (t) => {
  const fixtures = { basic, toolResult, toolSearch, image, compaction, afterCompaction, haiku };
  for (const [name, body] of Object.entries(fixtures)) {
    await t.step(name, () => {
      const req = parseMessagesRequest(body, "claude-code-20250219,effort-2025-11-24");
      assert.equal(req.model, body.model);
      assert.equal(req.messages.length, body.messages.length);
      for (const m of req.messages) assert.ok(Array.isArray(m.content));
      assert.deepEqual(req.betas?.slice(-2), ["claude-code-20250219", "effort-2025-11-24"]);
    });
  }
  await t.step("role: system messages keep their place", () => {
    const req = parseMessagesRequest(basic);
    assert.ok(req.messages.some((m) => m.role === "system"));
  });
  await t.step('an unknown thinking.display ("updates") does not fail the request', () => {
    const req = parseMessagesRequest(compaction);
    assert.equal(req.thinking?.type, "adaptive");
  });
});

Deno.test("parseMessagesRequest() normalises and names bad fields", async (t) => {
  await t.step("string content and system become text blocks", () => {
    const req = parseMessagesRequest({ ...ok, system: "Be brief" });
    assert.deepEqual(req.messages[0]?.content, [{ type: "text", text: "Hi" }]);
    assert.deepEqual(req.system, [{ type: "text", text: "Be brief" }]);
  });
  await t.step("a missing model", () => rejects({ ...ok, model: undefined }, /^model: /));
  await t.step("a missing max_tokens", () => rejects({ ...ok, max_tokens: undefined }, /^max_tokens: /));
  await t.step("an empty messages array", () => rejects({ ...ok, messages: [] }, /^messages: /));
  await t.step(
    "a bad role",
    () => rejects({ ...ok, messages: [{ role: "bot", content: "x" }] }, /^messages\.0\.role: /),
  );
  await t.step(
    "a block without a type",
    () =>
      rejects(
        { ...ok, messages: [{ role: "user", content: [{ text: "x" }] }] },
        /^messages\.0\.content\.0\.type: /,
      ),
  );
  await t.step(
    "a beta block with a bad field",
    () =>
      rejects(
        {
          ...ok,
          messages: [{
            role: "assistant",
            content: [{ type: "mcp_tool_use", id: "m", name: "x", input: {} }],
          }],
        },
        /^messages\.0\.content\.0\.server_name: /,
      ),
  );
  await t.step(
    "a text block without text",
    () =>
      rejects(
        { ...ok, messages: [{ role: "user", content: [{ type: "text" }] }] },
        /^messages\.0\.content\.0\.text: /,
      ),
  );
  await t.step("a tool without input_schema", () => rejects({ ...ok, tools: [{ name: "x" }] }, /^tools\.0/));
  await t.step("a body that is not an object", () => rejects([1, 2], /^body: /));
});

Deno.test("parseCountTokensRequest() needs no max_tokens", () => {
  const req = parseCountTokensRequest({ model: "m", messages: [{ role: "user", content: "Hi" }] });
  assert.equal(req.max_tokens, undefined);
});

Deno.test("parseMessagesRequest() accepts what newer clients send", async (t) => {
  await t.step("every beta block type of @anthropic-ai/sdk 1.13.0, kept as sent", () => {
    const body = betaConversation();
    const req = parseMessagesRequest(
      body,
      "mid-conversation-tool-changes-2026-07-01,some-future-beta-2027-01-01",
    );
    const types = req.messages.flatMap((m) => m.content.map((b) => b.type));
    for (const type of ["mcp_tool_use", "mcp_tool_result", "advisor_tool_result", "fallback"]) {
      assert.ok(types.includes(type as never), type);
    }
    assert.deepEqual(req.messages[2]?.content.map((b) => b.type), [
      "tool_addition",
      "tool_removal",
      "tool_addition",
    ]);
    assert.deepEqual(req.betas, ["mid-conversation-tool-changes-2026-07-01", "some-future-beta-2027-01-01"]);
    const compacted = parseMessagesRequest(compactedConversation());
    const summary = compacted.messages[3]?.content[0];
    assert.equal(summary?.type, "compaction");
    assert.equal(summary?.type === "compaction" && summary.tool_changes?.length, 1);
  });

  await t.step("a block of a type relayx does not know is wrapped, not refused", () => {
    const future = { type: "hologram", text: "hi", frames: [1, 2] };
    const req = parseMessagesRequest({ ...ok, messages: [{ role: "user", content: [future] }] });
    assert.deepEqual(req.messages[0]?.content, [{ type: "unknown", block: future }]);
  });

  await t.step("so is an unknown kind of tool_result content (browser_state)", () => {
    const state = { type: "browser_state", tabs: [] };
    const req = parseMessagesRequest({
      ...ok,
      messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [state] }] }],
    });
    const result = req.messages[0]?.content[0];
    assert.deepEqual(result?.type === "tool_result" && result.content, [{ type: "unknown", block: state }]);
  });

  await t.step("unknown top-level fields and per-message fields are ignored", () => {
    const req = parseMessagesRequest({
      ...ok,
      thread: { type: "create" },
      speed: "fast",
      fallbacks: [{ model: "x" }],
      messages: [{ role: "user", content: "Hi", future_field: 1 }],
    });
    assert.equal(req.messages.length, 1);
    assert.ok(!("thread" in req));
  });

  await t.step("toolsets without a name (mcp_toolset, browser_toolset_*)", () => {
    const req = parseMessagesRequest({
      ...ok,
      tools: [{ type: "mcp_toolset", mcp_server_name: "docs" }, { type: "browser_toolset_20260801" }],
    });
    assert.deepEqual(req.tools?.map((x) => x.name), ["mcp_toolset", "browser_toolset_20260801"]);
  });

  await t.step('thinking "between_tools" is adaptive; a newer type leaves thinking to the backend', () => {
    assert.deepEqual(parseMessagesRequest({ ...ok, thinking: { type: "between_tools" } }).thinking, {
      type: "adaptive",
    });
    assert.equal(parseMessagesRequest({ ...ok, thinking: { type: "telepathic" } }).thinking, undefined);
    rejects({ ...ok, thinking: { type: "enabled" } }, /^thinking\.budget_tokens: /);
  });

  await t.step(
    "a system message with only output_config, or cleared by a later user message, is left out",
    () => {
      const req = parseMessagesRequest({
        ...ok,
        messages: [
          { role: "user", content: "a" },
          { role: "system", content: "shown once", clear_at: "next_user_message" },
          { role: "assistant", content: "b" },
          { role: "user", content: "c" },
          { role: "system", output_config: { effort: "low" } },
          { role: "system", content: "still shown", clear_at: "next_user_message" },
        ],
      });
      assert.deepEqual(req.messages.map((m) => m.role), ["user", "assistant", "user", "system"]);
      rejects({ ...ok, messages: [{ role: "user" }] }, /^messages\.0\.content: /);
    },
  );
});

Deno.test("parseMessagesRequest() caps the length of model", async (t) => {
  await t.step("a 10 MB model is a 400 naming model, without echoing it", () => {
    const model = "m".repeat(10 * 1024 * 1024);
    assert.throws(() => parseMessagesRequest({ ...ok, model }), (err: unknown) => {
      assert.ok(err instanceof RelayError);
      assert.equal(err.status, 400);
      assert.equal(err.type, "invalid_request_error");
      assert.match(err.message, /^model: /);
      assert.ok(err.message.length < 200);
      return true;
    });
    assert.throws(() => parseCountTokensRequest({ model, messages: ok.messages }), /model: /);
  });
  await t.step("the limit is configurable, 512 characters by default", () => {
    assert.equal(parseMessagesRequest({ ...ok, model: "m".repeat(512) }).model.length, 512);
    rejects({ ...ok, model: "m".repeat(513) }, /^model: .*512/);
    assert.throws(
      () => parseMessagesRequest({ ...ok, model: "m".repeat(65) }, null, { maxModelLength: 64 }),
      /64/,
    );
  });
});

Deno.test("parseMessagesRequest() refuses what no upstream should be sent", async (t) => {
  const call = (id: string) => ({ type: "tool_use", id, name: "Bash", input: {} });
  await t.step("two tool calls with one id, naming the second", () => {
    rejects({
      ...ok,
      messages: [
        { role: "user", content: "a" },
        { role: "assistant", content: [call("toolu_1")] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1" }] },
        { role: "system", content: "cleared", clear_at: "next_user_message" },
        { role: "assistant", content: [{ type: "text", text: "again" }, call("toolu_1")] },
      ],
    }, /^messages\.4\.content\.1\.id: tool_use ids must be unique/);
  });
  await t.step("JSON nested deeper than 512 levels, naming where", () => {
    let input: unknown = 1;
    for (let d = 0; d < 10_000; d++) input = [input];
    rejects(
      {
        ...ok,
        messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "x", input }] }],
      },
      /^messages\.0\.content\.0\.input: Nested too deeply/,
    );
    let fine: unknown = 1;
    for (let d = 0; d < 400; d++) fine = { a: fine };
    parseMessagesRequest({
      ...ok,
      tools: [{ name: "x", input_schema: { type: "object", properties: fine } }],
    });
  });
  await t.step("more than 100,000 messages", () => {
    const messages = Array.from({ length: 100_001 }, () => ({ role: "user", content: "x" }));
    rejects({ ...ok, messages }, /^messages: /);
  });
});
