import assert from "node:assert/strict";
import { chunkParser } from "../../../src/translate/openai/_chunk_template.ts";
import { openAIStreamLines } from "../../../bench/fixtures.ts";

type Json = Record<string, unknown>;

const head = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1764100000,"model":"m",';
const content = (text: string, extra = "") =>
  `${head}"choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}}${extra},"finish_reason":null}]}`;
const args = (piece: string, index = 0) =>
  `${head}"choices":[{"index":0,"delta":{"tool_calls":[{"index":${index},"function":{"arguments":${
    JSON.stringify(piece)
  }}}]},"finish_reason":null}]}`;

// Counts full parses: a template hit does not call it.
function counting(): { parse: (payload: string) => unknown; full: () => number } {
  let n = 0;
  const inner = chunkParser((p) => {
    n++;
    return JSON.parse(p);
  });
  return { parse: inner, full: () => n };
}

Deno.test("chunkParser gives exactly JSON.parse's value for every line", async (t) => {
  await t.step("a real stream: text deltas and tool-call arguments come from templates", () => {
    const { parse, full } = counting();
    const lines = openAIStreamLines().filter((l) => l !== "[DONE]");
    for (const line of lines) assert.deepEqual(parse(line), JSON.parse(line));
    // Role, first text, tool start, first arguments, finish and usage are parsed in full; the rest not.
    assert.ok(full() <= 8, `full parses: ${full()}`);
  });

  await t.step("strings with escapes, quotes, unicode and key-like text", () => {
    const { parse } = counting();
    const texts = [
      "a",
      'say "hi"',
      "back\\slash",
      "\u2028",
      "naïve 日本 👋🏽",
      '","content":"x',
      "\\u0041",
      "",
    ];
    for (const text of texts) assert.deepEqual(parse(content(text)), JSON.parse(content(text)));
    // The upstream's own escaping (\u00e9) is parsed, not copied.
    const escaped = `${head}"choices":[{"index":0,"delta":{"content":"caf\\u00e9"},"finish_reason":null}]}`;
    assert.deepEqual(parse(escaped), JSON.parse(escaped));
    assert.deepEqual((parse(escaped) as { choices: Json[] }).choices[0]?.delta, { content: "café" });
  });

  await t.step("lines that only look like the template are parsed in full", () => {
    const { parse, full } = counting();
    parse(content("learn"));
    const before = full();
    const others = [
      content("x").replace('"chatcmpl-1"', '"chatcmpl-2"'), // another id
      content("x").replace('"content":"x"', '"content":7'), // not a string
      content("x").replace('"content":"x"', '"content":"x","content":"y"'), // a duplicate key
      content("x").replace('"content":"x"', '"content":"x","refusal":"no"'), // another field
      `${head}"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]}`, // a finish
      `${head}"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}`,
    ];
    for (const line of others) assert.deepEqual(parse(line), JSON.parse(line));
    assert.equal(full() - before, others.length);
  });

  await t.step("a line that is not JSON still fails as a full parse does", () => {
    const { parse } = counting();
    parse(content("learn"));
    const broken = content("x").replace('"x"', '"x\\"');
    assert.throws(() => parse(broken), SyntaxError);
  });

  await t.step("a duplicate key in the learning line makes no template", () => {
    const { parse, full } = counting();
    const dup = content("a").replace('"content":"a"', '"content":"a","content":"a"');
    parse(dup);
    const next = dup.replace('"content":"a","content":"a"', '"content":"b","content":"a"');
    assert.deepEqual(parse(next), JSON.parse(next));
    assert.equal(full(), 2);
  });

  await t.step("tool-call arguments: the template keeps the call's index", () => {
    const { parse, full } = counting();
    for (const piece of ['{"com', 'mand":"ls', '"}']) {
      assert.deepEqual(parse(args(piece, 1)), JSON.parse(args(piece, 1)));
    }
    assert.equal(full(), 1);
    assert.deepEqual(parse(args("x", 2)), JSON.parse(args("x", 2)));
    assert.equal(full(), 2);
  });

  await t.step("built chunks share nothing mutable", () => {
    const { parse } = counting();
    parse(content("a"));
    const one = parse(content("b")) as { choices: Json[] };
    const two = parse(content("c")) as { choices: Json[] };
    assert.notEqual(one.choices, two.choices);
    assert.notEqual(one.choices[0], two.choices[0]);
    assert.notEqual(one.choices[0]?.delta, two.choices[0]?.delta);
  });
});

Deno.test("chunkParser: a key spelled otherwise is not taken for the one before it", () => {
  // The delta's own key has a space before its colon: the first `"content":` is another field.
  const line = (top: string) =>
    `{"id":"c1","content":${JSON.stringify(top)},"choices":[{"index":0,"delta":{"content" :"hi"}}]}`;
  const { parse } = counting();
  assert.deepEqual(parse(line("hi")), JSON.parse(line("hi")));
  assert.deepEqual(parse(line("bye")), JSON.parse(line("bye")));
});
