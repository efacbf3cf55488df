/**
 * Mutations of the bad-input corpus that go past the schema: sizes, nesting depth, Unicode edge cases,
 * and bodies that are not (or not quite) JSON.
 *
 * @module
 */
import { ACCEPT, EITHER, type Expectation, type Gen, type Json, messagesOf, rejects } from "./_corpus.ts";

const encoder = new TextEncoder();

function lastUser(body: Json): Json {
  const user = messagesOf(body).findLast((m) => m.role === "user")!;
  if (typeof user.content === "string") user.content = [{ type: "text", text: user.content }];
  return user;
}

function addText(body: Json, text: string): void {
  (lastUser(body).content as Json[]).push({ type: "text", text });
}

function nested(depth: number, leaf: unknown, wrap: (inner: unknown) => unknown): unknown {
  let value = leaf;
  for (let d = 0; d < depth; d++) value = wrap(value);
  return value;
}

function alternating(n: number): Json[] {
  return Array.from({ length: n }, (_, k) => ({ role: k % 2 ? "assistant" : "user", content: `turn ${k}` }));
}

function sizes(g: Gen): void {
  const big: [string, (b: Json) => void, Expectation | ((b: Json) => Expectation)][] = [
    ["1 MB of text", (b) => addText(b, "lorem ipsum ".repeat(87_382)), ACCEPT],
    ["4 MB of text", (b) => addText(b, "0123456789abcdef".repeat(262_144)), ACCEPT],
    ["2 MB system text", (b) => (b.system = "You are terse. ".repeat(139_811)), ACCEPT],
    ["10,000 messages", (b) => (b.messages = alternating(10_000)), ACCEPT],
    ["100,001 messages", (b) => (b.messages = alternating(100_001)), rejects("messages")],
    [
      "5,000 blocks in one turn",
      (b) =>
        (lastUser(b).content as Json[]).push(
          ...Array.from({ length: 5000 }, (_, k) => ({ type: "text", text: `b${k}` })),
        ),
      ACCEPT,
    ],
    [
      "1,000 tools",
      (b) =>
        (b.tools as Json[]).push(
          ...Array.from(
            { length: 1000 },
            (_, k) => ({ name: `tool_${k}`, input_schema: { type: "object" } }),
          ),
        ),
      EITHER,
    ],
    [
      "1,000 stop sequences",
      (b) => (b.stop_sequences = Array.from({ length: 1000 }, (_, k) => `STOP${k}`)),
      EITHER,
    ],
    [
      "a 300-character tool name",
      (b) => (b.tools as Json[]).push({ name: "t".repeat(300), input_schema: { type: "object" } }),
      ACCEPT,
    ],
    ["a 1 MB metadata.user_id", (b) => (b.metadata = { user_id: "u".repeat(1 << 20) }), EITHER],
    ["max_tokens = 0", (b) => (b.max_tokens = 0), ACCEPT],
    ["max_tokens = 1", (b) => (b.max_tokens = 1), ACCEPT],
    ["max_tokens = 2^31 - 1", (b) => (b.max_tokens = 2 ** 31 - 1), ACCEPT],
    ["max_tokens = 2^53 - 1", (b) => (b.max_tokens = Number.MAX_SAFE_INTEGER), ACCEPT],
    ["max_tokens = 2^53", (b) => (b.max_tokens = 2 ** 53), rejects("max_tokens")],
    ["max_tokens = -1", (b) => (b.max_tokens = -1), rejects("max_tokens")],
    ["max_tokens = 1e300", (b) => (b.max_tokens = 1e300), rejects("max_tokens")],
    ["a 513-character model", (b) => (b.model = "m".repeat(513)), rejects("model")],
    ["a 10 MB model", (b) => (b.model = "claude-".padEnd(10 << 20, "x")), rejects("model")],
    ["a 512-character model", (b) => (b.model = "m".repeat(512)), EITHER],
    ["tool input nested 400 deep", (b) => withToolInput(b, nested(400, 1, (v) => [v])), ACCEPT],
    ["tool input nested 10,000 deep", (b) => withToolInput(b, nested(10_000, 1, (v) => [v])), deepInput],
    [
      "tool input nested 100,000 deep",
      (b) => withToolInput(b, nested(100_000, {}, (v) => ({ a: v }))),
      deepInput,
    ],
    [
      "an input_schema nested 400 deep",
      (b) =>
        (b.tools as Json[]).push({
          name: "deep",
          input_schema: nested(200, { type: "string" }, (v) => ({ type: "object", properties: { a: v } })),
        }),
      ACCEPT,
    ],
    ["a tool_result with 10,000 text items", (b) => withResultItems(b, 10_000), ACCEPT],
  ];
  for (const [what, mutate, expect] of big) {
    const { name, body } = g.base();
    mutate(body);
    g.add(`size: ${name} ${what}`, body, typeof expect === "function" ? expect(body) : expect);
  }
  // Past Anthropic's 32 MB: refused before the body is read.
  g.add(
    "size: a 33 MB body",
    `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"${"x".repeat(33 << 20)}"}]}`,
    {
      kind: "reject",
      status: 413,
      field: "",
    },
  );
}

/** The 400 for the tool input `withToolInput` appended. */
function deepInput(body: Json): Expectation {
  return rejects(`messages.${messagesOf(body).length - 2}.content.0.input`);
}

function withToolInput(body: Json, input: unknown): void {
  messagesOf(body).push(
    { role: "assistant", content: [{ type: "tool_use", id: "toolu_deep", name: "Bash", input }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_deep", content: "ok" }] },
  );
}

/** Appends a tool call whose result holds `n` text items. */
export function withResultItems(body: Json, n: number): void {
  withToolInput(body, { command: "ls" });
  const result = (messagesOf(body).at(-1)!.content as Json[])[0]!;
  result.content = Array.from({ length: n }, (_, k) => ({ type: "text", text: `line ${k}` }));
}

const ODD_TEXT: Record<string, string> = {
  "a lone high surrogate": "a\ud800b",
  "a lone low surrogate": "a\udc00b",
  "reversed surrogates": "\udc00\ud800",
  "NUL": "a\u0000b",
  "C0 and C1 controls": "\u0001\u001b[31m\u007f\u0085",
  "RTL override": "abc\u202edcba\u202c",
  "a BOM": "\ufeffhello",
  "noncharacters": "\uffff\ufffe\u{10ffff}",
  "line and paragraph separators": "a\u2028b\u2029c",
  "an emoji ZWJ family": "👩‍👩‍👧‍👦🏳️‍🌈",
  "Zalgo (2,000 combining marks)": "e" + "\u0301".repeat(2000),
  "astral letters": "𝕏𝔂𝓩",
};

function unicode(g: Gen): void {
  for (const [what, text] of Object.entries(ODD_TEXT)) {
    const places: [string, (b: Json) => void, typeof ACCEPT][] = [
      ["in a user text block", (b) => addText(b, text), ACCEPT],
      ["in the system prompt", (b) => (b.system = `System ${text}`), ACCEPT],
      [
        "in a tool name",
        (b) => (b.tools as Json[]).push({ name: `tool${text}`, input_schema: { type: "object" } }),
        ACCEPT,
      ],
      ["in a tool_use id", (b) => withToolInput(b, {}), ACCEPT],
      ["in metadata.user_id", (b) => (b.metadata = { user_id: text }), EITHER],
      ["in a stop sequence", (b) => (b.stop_sequences = [text]), EITHER],
      ["in the model name", (b) => (b.model = `claude-opus-5-5${text}`), EITHER],
    ];
    const [where, mutate, expect] = g.pick(places);
    const { name, body } = g.base();
    mutate(body);
    if (where === "in a tool_use id") {
      const turns = messagesOf(body);
      ((turns.at(-2)!.content as Json[])[0]!).id = `toolu_${text}`;
      ((turns.at(-1)!.content as Json[])[0]!).tool_use_id = `toolu_${text}`;
    }
    g.add(`unicode: ${name} ${what} ${where}`, body, expect);
  }
  const { body } = g.base();
  const json = JSON.stringify(body);
  const at = json.indexOf('"text":"') + 8;
  const bytes = (insert: number[]) =>
    new Uint8Array([...encoder.encode(json.slice(0, at)), ...insert, ...encoder.encode(json.slice(at))]);
  g.add("unicode: invalid UTF-8 bytes in a string (0xff 0xfe)", bytes([0xff, 0xfe]), ACCEPT);
  g.add("unicode: an overlong UTF-8 NUL (0xc0 0x80)", bytes([0xc0, 0x80]), ACCEPT);
  g.add("unicode: a UTF-8-encoded surrogate (0xed 0xa0 0x80)", bytes([0xed, 0xa0, 0x80]), ACCEPT);
  g.add("unicode: a truncated UTF-8 sequence (0xe2 0x82)", bytes([0xe2, 0x82]), ACCEPT);
  g.add(
    "unicode: a UTF-8 BOM before the body",
    new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode(json)]),
    ACCEPT,
  );
  const utf16 = new Uint8Array(json.length * 2);
  for (let k = 0; k < json.length; k++) utf16[2 * k] = json.charCodeAt(k) & 0xff;
  g.add("unicode: a UTF-16LE body", utf16, rejects("body"));
}

function notJson(g: Gen): void {
  for (let n = 0; n < 30; n++) {
    const { name, body } = g.base();
    const json = JSON.stringify(body);
    const cut = 1 + g.int(json.length - 2);
    g.add(
      `truncated: ${name} after ${cut} of ${json.length} characters`,
      json.slice(0, cut),
      rejects("body"),
    );
  }
  const emoji = encoder.encode(
    JSON.stringify({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "😀" }] }),
  );
  const inside = emoji.indexOf(0xf0) + 2;
  g.add("truncated: inside a 4-byte character", emoji.slice(0, inside), rejects("body"));
  const odd: Record<string, string> = {
    "an empty body": "",
    "whitespace": " \n ",
    "null": "null",
    "an array": "[1, 2]",
    "a number": "42",
    "a string": '"hello"',
    "true": "true",
    "an unclosed object": "{",
    "trailing garbage": '{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}]} trailing',
    "a comment": '{"model":"m", /* no */ "max_tokens":5}',
    "single quotes": "{'model':'m'}",
    "NaN": '{"model":"m","max_tokens":NaN,"messages":[]}',
    "form data": "model=m&max_tokens=5",
  };
  for (const [what, text] of Object.entries(odd)) g.add(`not JSON: ${what}`, text, rejects("body"));
  g.add("not JSON: an empty object", "{}", rejects("model"));
  g.add(
    "JSON: duplicate keys (the last wins)",
    '{"model":"x","model":"claude-opus-5-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}',
    ACCEPT,
  );
}

/** The mutation families past the schema. */
export const RAW: readonly ((g: Gen) => void)[] = [sizes, unicode, notJson];
