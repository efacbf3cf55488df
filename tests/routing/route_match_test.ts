import assert from "node:assert/strict";
import type { MessagesRequest } from "../../src/anthropic/types.ts";
import type { RouteConfig } from "../../src/config.ts";
import { compileRoutes, globToRegExp, requestHasImage, selectRoute } from "../../src/routing/route_match.ts";

const IMAGE = {
  type: "image" as const,
  source: { type: "base64" as const, media_type: "image/png" as const, data: "iVBORw0KGgo=" },
};

function request(extra: Partial<MessagesRequest> = {}): MessagesRequest {
  return {
    model: "claude-opus-4-5",
    max_tokens: 100,
    messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
    ...extra,
  };
}

function route(name: string, match: RouteConfig["match"]): RouteConfig {
  return { name, match, to: [{ backend: name }] };
}

Deno.test("globToRegExp(): * and ? only, everything else literal, whole string", () => {
  const re = globToRegExp("claude-haiku-*", "gpt-4.?");
  assert.ok(re.test("claude-haiku-4-5-20251001"));
  assert.ok(re.test("gpt-4.1"));
  assert.ok(!re.test("gpt-4x1"), "a dot is literal");
  assert.ok(!re.test("gpt-4.10"), "? is one character");
  assert.ok(!re.test("us.claude-haiku-4-5"), "anchored at the start");
  assert.ok(globToRegExp("a(b)[c]+").test("a(b)[c]+"));
});

Deno.test("selectRoute(): the first route whose every condition holds", async (t) => {
  await t.step("model globs, a list of them, and the catch-all", () => {
    const routes = compileRoutes([
      route("small", { model: ["claude-haiku-*", "*-mini"] }),
      route("all", {}),
    ]);
    assert.equal(selectRoute(routes, request({ model: "claude-haiku-4-5" }))?.name, "small");
    assert.equal(selectRoute(routes, request({ model: "gpt-4.1-mini" }))?.name, "small");
    assert.equal(selectRoute(routes, request())?.name, "all");
  });

  await t.step("no catch-all: undefined when nothing matches", () => {
    assert.equal(
      selectRoute(compileRoutes([route("small", { model: ["claude-haiku-*"] })]), request()),
      undefined,
    );
  });

  await t.step("thinking true / false; disabled thinking is no thinking", () => {
    const routes = compileRoutes([route("think", { thinking: true }), route("plain", { thinking: false })]);
    assert.equal(
      selectRoute(routes, request({ thinking: { type: "enabled", budget_tokens: 2000 } }))?.name,
      "think",
    );
    assert.equal(selectRoute(routes, request({ thinking: { type: "adaptive" } }))?.name, "think");
    assert.equal(selectRoute(routes, request({ thinking: { type: "disabled" } }))?.name, "plain");
    assert.equal(selectRoute(routes, request())?.name, "plain");
  });

  await t.step("images, also inside a tool result (Claude Code's Read of a picture)", () => {
    const routes = compileRoutes([route("vision", { images: true }), route("text", {})]);
    const inResult = request({
      messages: [
        { role: "user", content: [{ type: "text", text: "look" }] },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "a.png" } }],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [IMAGE] }] },
      ],
    });
    assert.ok(requestHasImage(inResult));
    assert.equal(selectRoute(routes, inResult)?.name, "vision");
    assert.equal(
      selectRoute(routes, request({ messages: [{ role: "user", content: [IMAGE] }] }))?.name,
      "vision",
    );
    assert.equal(selectRoute(routes, request())?.name, "text");
  });

  await t.step("tools: a glob on a defined tool's name", () => {
    const routes = compileRoutes([route("mcp", { tools: "mcp__github__*" }), route("rest", {})]);
    const tool = (name: string) => ({ name, input_schema: { type: "object" } });
    assert.equal(
      selectRoute(routes, request({ tools: [tool("Bash"), tool("mcp__github__create_issue")] }))?.name,
      "mcp",
    );
    assert.equal(selectRoute(routes, request({ tools: [tool("Bash")] }))?.name, "rest");
    assert.equal(selectRoute(routes, request())?.name, "rest");
  });

  await t.step("inputTokensOver on relayx's estimate, and every condition must hold", () => {
    const routes = compileRoutes([
      route("long-haiku", { model: ["claude-haiku-*"], inputTokensOver: 1000 }),
      route("long", { inputTokensOver: 1000 }),
      route("short", {}),
    ]);
    const long = [{
      role: "user" as const,
      content: [{ type: "text" as const, text: "word ".repeat(5000) }],
    }];
    assert.equal(selectRoute(routes, request({ messages: long }))?.name, "long");
    assert.equal(
      selectRoute(routes, request({ model: "claude-haiku-4-5", messages: long }))?.name,
      "long-haiku",
    );
    assert.equal(selectRoute(routes, request({ model: "claude-haiku-4-5" }))?.name, "short");
  });
});
