/**
 * The README's configuration files are real: each JSON block with `backends` parses, and its routes send
 * Claude Code's haiku and main requests where the recipe's words say.
 */
import assert from "node:assert/strict";
import { parseConfigFile } from "../src/config_file.ts";
import { compileRoutes, selectRoute } from "../src/routing/route_match.ts";
import type { MessagesRequest } from "../src/anthropic/types.ts";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
const files = [...readme.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => m[1]!).filter((t) =>
  t.includes('"backends"')
);

// Every ${VAR} a recipe names, set to a placeholder.
const env = Object.fromEntries(
  [...readme.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => [m[1]!, `placeholder-${m[1]}`]),
);

function request(model: string): MessagesRequest {
  return { model, max_tokens: 10, messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }] };
}

/** The first target of the route a model's request takes. */
function firstTarget(text: string, model: string): string | undefined {
  const settings = parseConfigFile(text, env);
  const route = selectRoute(compileRoutes(settings.routes), request(model));
  const t = route?.to[0];
  return t && (t.model === undefined ? t.backend : `${t.backend}/${t.model}`);
}

Deno.test("the README's configuration files parse", async (t) => {
  assert.ok(files.length >= 4, `found ${files.length} configuration files in the README`);
  for (const [i, text] of files.entries()) {
    await t.step(`file ${i + 1}`, () => {
      const settings = parseConfigFile(text, env);
      assert.ok(settings.routes.length > 0);
    });
  }
});

Deno.test("the README's recipes route haiku and main requests as they say", () => {
  const recipe = (...backends: string[]) => {
    const found = files.find((f) => backends.every((b) => f.includes(`"${b}": {`)));
    assert.ok(found, `no recipe with the backends ${backends.join(", ")}`);
    return found;
  };
  const ollamaBedrock = recipe("local", "bedrock");
  assert.equal(firstTarget(ollamaBedrock, "claude-haiku-4-5-20251001"), "local");
  assert.equal(firstTarget(ollamaBedrock, "claude-3-5-haiku-20241022"), "local");
  assert.equal(firstTarget(ollamaBedrock, "claude-sonnet-4-5-20250929"), "bedrock");

  const gemini = recipe("gemini", "openai");
  assert.equal(firstTarget(gemini, "claude-sonnet-4-5-20250929"), "gemini");
  assert.deepEqual(parseConfigFile(gemini, env).routes[0]?.to.map((t) => t.backend), ["gemini", "openai"]);

  const glm = recipe("glm", "deepseek");
  assert.equal(firstTarget(glm, "claude-haiku-4-5-20251001"), "deepseek/deepseek-chat");
  assert.equal(firstTarget(glm, "claude-opus-4-5-20251101"), "glm/glm-4.6");
});
