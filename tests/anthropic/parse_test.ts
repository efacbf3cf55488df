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
    "a block of unknown type",
    () =>
      rejects(
        { ...ok, messages: [{ role: "user", content: [{ type: "video" }] }] },
        /^messages\.0\.content\.0\.type/,
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
