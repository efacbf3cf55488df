import assert from "node:assert/strict";
import { parseMessagesRequest } from "../../src/anthropic/parse.ts";
import { RelayError } from "../../src/errors.ts";
import { prepareRequest } from "../../src/translate/prepare.ts";
import basic from "../testdata/claude_code/request_basic.json" with { type: "json" };
import toolSearch from "../testdata/claude_code/request_tool_search.json" with { type: "json" };
import { betaConversation, compactedConversation } from "../support/beta_requests.ts";

Deno.test("prepareRequest()", async (t) => {
  await t.step("never sends Claude Code's deferred-tool placeholder upstream", () => {
    const req = parseMessagesRequest(basic);
    assert.ok(req.tools?.some((tool) => tool.name === "DeferredToolPlaceholder"));
    const out = prepareRequest(req, () => {});
    assert.ok(!out.tools?.some((tool) => tool.name === "DeferredToolPlaceholder"));
    assert.equal(out.tools?.length, (req.tools?.length ?? 0) - 1);
  });

  await t.step("sends a deferred tool once a tool_reference to it appeared, as text", () => {
    const req = parseMessagesRequest(toolSearch);
    const deferred = req.tools?.filter((tool) => "defer_loading" in tool && tool.defer_loading).map((x) =>
      x.name
    );
    const out = prepareRequest(req, () => {});
    const sent = new Set(out.tools?.map((tool) => tool.name));
    for (const name of deferred ?? []) {
      assert.equal(sent.has(name), name !== "DeferredToolPlaceholder", name);
    }
    const texts = JSON.stringify(out.messages);
    assert.ok(!texts.includes('"tool_reference"'));
    assert.match(texts, /Tool NotebookEdit is now available/);
    // The input is left untouched.
    assert.ok(JSON.stringify(req.messages).includes('"tool_reference"'));
  });

  await t.step("keeps a loaded deferred tool when the prepared request is prepared again", () => {
    const once = prepareRequest(parseMessagesRequest(toolSearch), () => {});
    const twice = prepareRequest(once, () => {});
    assert.ok(twice.tools?.some((tool) => tool.name === "NotebookEdit"), "NotebookEdit lost");
    assert.deepEqual(twice.tools, once.tools);
  });

  await t.step("drops server tools with a warning", () => {
    const warnings: string[] = [];
    const out = prepareRequest(
      parseMessagesRequest({
        model: "m",
        max_tokens: 1,
        messages: [{ role: "user", content: "x" }],
        tools: [{ type: "web_search_20250305", name: "web_search" }, { name: "Bash", input_schema: {} }],
        mcp_servers: [{ type: "url", name: "a", url: "http://x" }],
      }),
      (w) => warnings.push(w),
    );
    assert.deepEqual(out.tools?.map((x) => x.name), ["Bash"]);
    assert.equal(warnings.length, 2);
  });

  await t.step("refuses a tool_choice that names a dropped server tool", () => {
    assert.throws(
      () =>
        prepareRequest(
          parseMessagesRequest({
            model: "m",
            max_tokens: 1,
            messages: [{ role: "user", content: "x" }],
            tools: [{ type: "web_search_20250305", name: "web_search" }],
            tool_choice: { type: "tool", name: "web_search" },
          }),
          () => {},
        ),
      (e: unknown) => e instanceof RelayError && e.status === 400 && /tool_choice\.name/.test(e.message),
    );
  });
});

Deno.test("prepareRequest() applies what newer clients send", async (t) => {
  await t.step("drops every message block before the last compaction summary, which opens as user", () => {
    const warnings: string[] = [];
    const out = prepareRequest(parseMessagesRequest(compactedConversation()), (w) => warnings.push(w));
    assert.deepEqual(out.messages.map((m) => [m.role, m.content.map((b) => b.type)]), [
      ["user", ["compaction"]],
      ["user", ["text"]],
    ]);
    assert.ok(!JSON.stringify(out.messages).includes("before the compaction"));
    // The summary's tool changes take the tools to the set in effect after the summarised range.
    assert.deepEqual(out.tools?.map((x) => x.name), ["Write", "Read"]);
    assert.deepEqual(warnings, []);
  });

  await t.step("a failed compaction (no summary) changes nothing", () => {
    const req = parseMessagesRequest({
      model: "m",
      max_tokens: 1,
      messages: [
        { role: "user", content: "a" },
        { role: "assistant", content: [{ type: "compaction", content: null }] },
        { role: "user", content: "b" },
      ],
    });
    assert.equal(prepareRequest(req, () => {}).messages.length, 3);
  });

  await t.step("applies mid-conversation tool changes in order", () => {
    const warnings: string[] = [];
    const out = prepareRequest(parseMessagesRequest(betaConversation()), (w) => warnings.push(w));
    // NotebookEdit is deferred and loaded by a tool_addition; Write is removed.
    assert.deepEqual(out.tools?.map((x) => x.name), ["NotebookEdit"]);
    assert.deepEqual(warnings, []);
  });

  await t.step("a tool defined by a tool_addition is sent; a removed one can come back", () => {
    const add = (name: string) => ({
      type: "tool_addition",
      tool: { type: "tool_definition", definition: { name, input_schema: { type: "object" } } },
    });
    const remove = (name: string) => ({ type: "tool_removal", tool: { type: "tool_reference", name } });
    const again = (name: string) => ({ type: "tool_addition", tool: { type: "tool_reference", name } });
    const out = prepareRequest(
      parseMessagesRequest({
        model: "m",
        max_tokens: 1,
        messages: [{
          role: "user",
          content: [add("A"), add("B"), remove("A"), remove("B"), again("A"), {
            type: "tool_addition",
            tool: {
              type: "tool_definition",
              definition: { type: "web_search_20250305", name: "web_search" },
            },
          }],
        }],
      }),
      (w) => assert.match(w, /web_search/),
    );
    assert.deepEqual(out.tools?.map((x) => x.name), ["A"]);
  });
});
