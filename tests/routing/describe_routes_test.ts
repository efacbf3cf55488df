/**
 * The router's start-up lines: one per backend and route, none wider than a terminal.
 */
import assert from "node:assert/strict";
import type { RouteConfig } from "../../src/config.ts";
import { describeRoutes, LINE_WIDTH } from "../../src/routing/describe_routes.ts";
import { createRouter } from "../../src/routing/router.ts";
import { fakeBackend } from "../support/fakes.ts";

const LONG_DESCRIPTION =
  "bedrock-runtime.eu-central-1.amazonaws.com, profile saml (SSO), region eu-central-1, " +
  "opus -> eu.anthropic.claude-opus-4-5-20251101-v1:0, sonnet -> eu.anthropic.claude-sonnet-4-5-20250929-v1:0, " +
  "haiku -> eu.anthropic.claude-haiku-4-5-20251001-v1:0; warning: the SSO token expires in 10 minutes";

const MANY_TARGETS: RouteConfig = {
  name: "main",
  match: {},
  to: [
    { backend: "gemini", model: "gemini-2.5-pro" },
    { backend: "openrouter", model: "anthropic/claude-sonnet-4.5" },
    { backend: "openrouter", model: "qwen/qwen3-coder-480b-a35b-instruct" },
    { backend: "bedrock" },
    { backend: "local", model: "qwen3-coder:30b" },
    { backend: "glm", model: "glm-4.6" },
  ],
};

Deno.test("describeRoutes() keeps every line within the terminal width", async (t) => {
  await t.step("a long backend description wraps at spaces onto indented lines, every word kept", () => {
    const text = describeRoutes([{ name: "bedrock", kind: "bedrock", description: LONG_DESCRIPTION }], []);
    const lines = text.split("\n");
    assert.ok(lines.length > 1, text);
    for (const line of lines) assert.ok(line.length <= LINE_WIDTH, `${line.length}: ${line}`);
    assert.match(lines[0]!, /^backend bedrock: bedrock, bedrock-runtime/);
    for (const line of lines.slice(1)) assert.match(line, /^ {4}\S/);
    assert.equal(lines.map((l) => l.trim()).join(" "), `backend bedrock: bedrock, ${LONG_DESCRIPTION}`);
  });

  await t.step("a route with many targets names the first ones and counts the rest", () => {
    const text = describeRoutes([], [MANY_TARGETS]);
    assert.equal(text.split("\n").length, 1);
    assert.ok(text.length <= LINE_WIDTH, text);
    assert.match(text, /^route main: every request -> gemini\/gemini-2\.5-pro, .*…, \+\d more$/);
    const shown = text.split(" -> ")[1]!.split(", …")[0]!.split(", ").length;
    const more = Number(text.match(/\+(\d+) more$/)?.[1]);
    assert.equal(shown + more, MANY_TARGETS.to.length);
  });

  await t.step("long conditions are elided in the middle, and the targets still show", () => {
    const route: RouteConfig = {
      name: "small",
      match: { model: Array.from({ length: 12 }, (_, i) => `claude-haiku-${i}-*`) },
      to: [{ backend: "local" }],
    };
    const text = describeRoutes([], [route]);
    assert.ok(text.length <= LINE_WIDTH, text);
    assert.match(text, /^route small: model=\["claude-haiku-0-\*".*….*-> local$/);
  });

  await t.step("short lines are left as they are", () => {
    const text = describeRoutes(
      [{ name: "local", kind: "openai_compatible", description: "localhost:11434 (ollama)" }],
      [{
        name: "main",
        match: { thinking: true },
        to: [{ backend: "local" }, { backend: "local", model: "m" }],
      }],
    );
    assert.equal(
      text,
      "backend local: openai_compatible, localhost:11434 (ollama)\nroute main: thinking=true -> local, local/m",
    );
  });
});

Deno.test("router.describe() writes one line per route, none wider than the terminal", async () => {
  const backends = Object.fromEntries(
    ["gemini", "openrouter", "bedrock", "local", "glm"].map((name) => {
      const backend = fakeBackend();
      backend.describe = () => Promise.resolve(LONG_DESCRIPTION);
      return [name, backend];
    }),
  );
  const router = createRouter({ backends, routes: [MANY_TARGETS, { ...MANY_TARGETS, name: "second" }] });
  const lines = (await router.describe()).split("\n");
  for (const line of lines) assert.ok(line.length <= LINE_WIDTH, `${line.length}: ${line}`);
  assert.equal(lines.filter((l) => l.startsWith("route ")).length, 2);
  assert.equal(lines.filter((l) => l.startsWith("backend ")).length, 5);
});

Deno.test("describeRoutes() stays within a narrow width even when every part is long", () => {
  const route: RouteConfig = {
    name: "n".repeat(80),
    match: { model: ["m".repeat(80)] },
    to: [{ backend: "b".repeat(80) }, { backend: "c", model: "x".repeat(80) }],
  };
  for (const width of [100, 80, 60]) {
    const line = describeRoutes([], [route], width);
    assert.ok(line.length <= width, `${width}: ${line}`);
    assert.match(line, /^route n+…n+: /);
  }
});
