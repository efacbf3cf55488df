import assert from "node:assert/strict";
import basic from "../testdata/claude_code/request_basic.json" with { type: "json" };
import toolSearch from "../testdata/claude_code/request_tool_search.json" with { type: "json" };
import { parseMessagesRequest, validateTools } from "../../src/anthropic/parse.ts";
import { createRepeatedParts, type RepeatedParts } from "../../src/anthropic/repeated_parts.ts";
import type { MessagesRequest } from "../../src/anthropic/types.ts";
import { RelayError } from "../../src/errors.ts";

type Json = Record<string, unknown>;

// What the route does (src/routes/messages.ts): a hit is parsed without its remembered parts.
function parse(parts: RepeatedParts, text: string): { request: MessagesRequest; hit: boolean } {
  const split = parts.split(text);
  if (split) return { request: parseMessagesRequest(split.raw, null, {}, split.known), hit: true };
  const raw = JSON.parse(text);
  const request = parseMessagesRequest(raw);
  parts.learn(text, raw);
  return { request, hit: false };
}

function full(text: string): MessagesRequest {
  return parseMessagesRequest(JSON.parse(text));
}

const turn = (body: Json, text: string): string =>
  JSON.stringify({
    ...body,
    messages: [...(body.messages as unknown[]), { role: "assistant", content: text }, {
      role: "user",
      content: `again ${text}`,
    }],
  });

// An assistant turn whose tool call quotes the fixture's tools as its input, and its result.
function quotingTools(): Json[] {
  return [
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { tools: basic.tools } }],
    },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "ok" }] },
  ];
}

Deno.test("repeated tools are parsed once and come back as the same validated objects", async (t) => {
  for (const [name, body] of [["basic", basic], ["tool search", toolSearch]] as const) {
    await t.step(`${name}: the second turn is a hit and parses exactly as a full parse`, () => {
      const parts = createRepeatedParts(validateTools);
      const first = parse(parts, JSON.stringify(body));
      assert.equal(first.hit, false);
      const text = turn(body, "next");
      const second = parse(parts, text);
      assert.equal(second.hit, true);
      assert.deepEqual(second.request, full(text));
      // The same objects on every hit: translators memoise by identity.
      const third = parse(parts, turn(body, "third"));
      assert.equal(third.request.tools, second.request.tools);
      assert.deepEqual(second.request.tools, first.request.tools);
      assert.ok(Object.isFrozen(second.request.tools?.[0]));
    });
  }

  await t.step("a tool changed by one character is a miss, parsed in full", () => {
    const parts = createRepeatedParts(validateTools);
    parse(parts, JSON.stringify(basic));
    const tools = structuredClone(basic.tools) as Json[];
    (tools[1] as Json).description = `${(tools[1] as Json).description}.`;
    const text = JSON.stringify({ ...basic, tools });
    const again = parse(parts, text);
    assert.equal(again.hit, false);
    assert.deepEqual(again.request, full(text));
    // ... and remembered in turn.
    assert.equal(parse(parts, text).hit, true);
  });

  await t.step("the same text nested in a message is never taken for the top-level tools", () => {
    const parts = createRepeatedParts(validateTools);
    parse(parts, JSON.stringify(basic));
    const nested = { ...basic, messages: quotingTools() };
    // The top-level tools differ: the nested copy must not stand in for them.
    const otherTools = (basic.tools as Json[]).slice(0, 3);
    for (const body of [nested, { ...nested, tools: otherTools }, { ...nested, tools: undefined }]) {
      const text = JSON.stringify(body);
      const got = parse(parts, text).request;
      assert.deepEqual(got, full(text));
      assert.deepEqual(
        (got.messages[0]?.content[0] as { input: Json }).input.tools,
        JSON.parse(JSON.stringify(basic.tools)),
      );
    }
  });

  await t.step(
    "a copy of the tools in a message before them does not keep the top-level ones from a hit",
    () => {
      const parts = createRepeatedParts(validateTools);
      parse(parts, JSON.stringify(basic));
      const text = JSON.stringify({ ...basic, messages: quotingTools() });
      const got = parse(parts, text);
      assert.equal(got.hit, true);
      assert.deepEqual(got.request, full(text));
    },
  );

  await t.step("what is remembered is the value of the text, not of the body's own spelling of it", () => {
    // The top-level tools say 1e400 (Infinity); a copy in a message, written as JSON.stringify writes it,
    // says null. A later body whose tools say null must get null.
    const tools = structuredClone(basic.tools) as Json[];
    const schema = (tools[1] as { input_schema: { properties: Record<string, Json> } }).input_schema;
    const first = Object.keys(schema.properties)[0] as string;
    schema.properties[first] = { ...schema.properties[first], default: null };
    const nulls = JSON.stringify(tools);
    const infinite = nulls.replace('"default":null', '"default":1e400');
    const a =
      `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"tools":${nulls}}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"ok"}]}],"tools":${infinite}}`;
    const b =
      `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":${nulls}}`;
    const parts = createRepeatedParts(validateTools);
    assert.deepEqual(parse(parts, a).request, full(a));
    const got = parse(parts, b);
    assert.equal(got.hit, true);
    assert.deepEqual(got.request, full(b));
  });

  await t.step("a body whose copy of the tools comes last is a miss, and fills no slot", () => {
    const parts = createRepeatedParts(validateTools, { perKey: 2 });
    const other = JSON.stringify({ ...basic, tools: (basic.tools as Json[]).slice(1) });
    parse(parts, JSON.stringify(basic));
    parse(parts, other);
    // The tools first, then a message quoting them: the last copy is not the top-level one.
    const { messages: _, tools, ...rest } = basic;
    const reordered = JSON.stringify({
      tools,
      ...rest,
      messages: [{ role: "user", content: [{ type: "text", text: "x" }] }, ...quotingTools()],
    });
    for (let i = 0; i < 2; i++) {
      const got = parse(parts, reordered);
      assert.equal(got.hit, false);
      assert.deepEqual(got.request, full(reordered));
    }
    assert.equal(parse(parts, other).hit, true);
  });

  await t.step("tools past maxLength are not remembered", () => {
    const parts = createRepeatedParts(validateTools, { maxLength: 1000 });
    parse(parts, JSON.stringify(basic));
    assert.equal(parse(parts, JSON.stringify(basic)).hit, false);
  });

  await t.step("duplicate top-level keys keep JSON.parse's meaning (the last one wins)", () => {
    const parts = createRepeatedParts(validateTools);
    parse(parts, JSON.stringify(basic));
    const base = JSON.stringify(basic);
    const few = JSON.stringify((basic.tools as Json[]).slice(0, 2));
    const text = `${base.slice(0, -1)},"tools":${few}}`;
    const got = parse(parts, text).request;
    assert.deepEqual(got, full(text));
    assert.equal(got.tools?.length, 2);
  });

  await t.step("a body that is not JSON gets the full parse's error, hit or not", () => {
    const parts = createRepeatedParts(validateTools);
    parse(parts, JSON.stringify(basic));
    const broken = `${JSON.stringify(basic).slice(0, -1)},}`;
    assert.equal(parts.split(broken), undefined);
    assert.throws(() => JSON.parse(broken), SyntaxError);
  });

  await t.step("a hit still validates the rest of the body and names the bad field", () => {
    const parts = createRepeatedParts(validateTools);
    parse(parts, JSON.stringify(basic));
    const text = JSON.stringify({ ...basic, max_tokens: "many" });
    assert.throws(() => parse(parts, text), (err: unknown) => {
      assert.ok(err instanceof RelayError);
      assert.match(err.message, /^max_tokens: /);
      return true;
    });
  });

  await t.step("a pretty-printed body is never a hit, and learning pauses", () => {
    const parts = createRepeatedParts(validateTools);
    const text = JSON.stringify(basic, null, 2);
    assert.equal(parse(parts, text).hit, false);
    assert.equal(parse(parts, text).hit, false);
    // Compact bodies are learnt again only after the pause.
    const compact = JSON.stringify(basic);
    for (let i = 0; i < 70; i++) parse(parts, compact);
    assert.equal(parse(parts, compact).hit, true);
  });

  await t.step("small tool lists are not remembered; the memory is bounded per key", () => {
    const small = { ...basic, tools: (basic.tools as Json[]).slice(0, 0) };
    const parts = createRepeatedParts(validateTools, { perKey: 2 });
    parse(parts, JSON.stringify(small));
    assert.equal(parse(parts, JSON.stringify(small)).hit, false);
    const variants = [0, 1, 2].map((n) =>
      JSON.stringify({ ...basic, tools: (basic.tools as Json[]).slice(n) })
    );
    for (const v of variants) parse(parts, v);
    assert.equal(parse(parts, variants[2] as string).hit, true);
    assert.equal(parse(parts, variants[1] as string).hit, true);
    // The least recently seen was dropped.
    assert.equal(parse(parts, variants[0] as string).hit, false);
  });
});
