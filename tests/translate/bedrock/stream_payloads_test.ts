import assert from "node:assert/strict";
import { chunkBytes, converseDelta } from "../../../src/translate/bedrock/_stream_payloads.ts";

/** converseDelta's answer for a text, checked against JSON.parse: same value, same key order, or none. */
function read(text: string): Record<string, unknown> | undefined {
  const got = converseDelta(text);
  if (got !== undefined) {
    const parsed: unknown = JSON.parse(text);
    assert.deepEqual(got, parsed, text);
    assert.equal(JSON.stringify(got), JSON.stringify(parsed), `key order of ${text}`);
  }
  return got;
}

const payload = (delta: unknown, index = 0, p?: string) =>
  JSON.stringify(
    p === undefined ? { contentBlockIndex: index, delta } : { contentBlockIndex: index, delta, p },
  );

Deno.test("converseDelta() reads Bedrock's text, tool-input and reasoning deltas as JSON.parse does", () => {
  const strings = ["", "Hi", " world", "é ⚠ 😀", 'say "x"\n\tthen \\ \u0001', "\u2028", '{"a":[1,2]}'];
  for (const s of strings) {
    for (const delta of [{ text: s }, { toolUse: { input: s } }, { reasoningContent: { text: s } }]) {
      for (
        const [index, p] of [[0, undefined], [1, "abcdefghijklmnopqr"], [12, ""], [123456789, "abc"]] as const
      ) {
        const text = payload(delta, index, p);
        assert.notEqual(read(text), undefined, text);
      }
    }
  }
});

Deno.test("converseDelta() leaves every other text to JSON.parse", () => {
  const others = [
    '{"contentBlockIndex": 0,"delta":{"text":"a"}}',
    '{"delta":{"text":"a"},"contentBlockIndex":0}',
    '{"contentBlockIndex":01,"delta":{"text":"a"}}',
    '{"contentBlockIndex":-1,"delta":{"text":"a"}}',
    '{"contentBlockIndex":1.5,"delta":{"text":"a"}}',
    '{"contentBlockIndex":1234567890,"delta":{"text":"a"}}',
    '{"contentBlockIndex":0,"delta":{"text":"a","x":1}}',
    '{"contentBlockIndex":0,"delta":{"text":"a"},"p":"x","p":"y"}',
    '{"contentBlockIndex":0,"delta":{"text":"a"},"q":"x"}',
    '{"contentBlockIndex":0,"delta":{"text":"a"},"p":1}',
    '{"contentBlockIndex":0,"delta":{"text":"a"}} ',
    '{"contentBlockIndex":0,"delta":{"text":"a"}}}',
    '{"contentBlockIndex":0,"delta":{"toolUse":{"input":"a"}}',
    '{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"s"}}}',
    '{"contentBlockIndex":0,"delta":{"citation":{}}}',
    // Not JSON: JSON.parse must be the one to say so.
    '{"contentBlockIndex":0,"delta":{"text":"a\u0001"}}',
    '{"contentBlockIndex":0,"delta":{"text":"a\\x"}}',
    '{"contentBlockIndex":0,"delta":{"text":"a',
    '{"contentBlockIndex":0,"delta":{"text":"a"},"p":"b',
  ];
  for (const text of others) assert.equal(read(text), undefined, text);
});

Deno.test("converseDelta() agrees with JSON.parse on near misses of real payloads", () => {
  // Each slot of a delta payload, its own spelling first, then spellings that are or are not JSON.
  const slots = [
    ['{"contentBlockIndex":', '{ "contentBlockIndex":', '{"contentBlockIndex" :', '{"contentblockindex":'],
    ["0", "7", "42", "00", "-1", "1e2", ""],
    [',"delta":{"', ', "delta":{"', ',"delta": {"', ',"Delta":{"'],
    ['text":', 'toolUse":{"input":', 'reasoningContent":{"text":', 'text" :', 'input":'],
    ['"a"', '""', '"a\\"b"', '"\\u00e9"', '"\\ud800"', '"\\n"', '"\u0001"', '"\\q"', '"a', "1", "null"],
    ["}", "}}", "} }", "}}}", ""],
    ["", ',"p":"abc"', ',"p":""', ',"p":"a\\"b"', ',"p":1', ',"p":"abc', ', "p":"abc"'],
    ["}", "", "}}", "} ", "\n}"],
  ];
  // A fixed-seed generator: the same texts on every run.
  let seed = 42;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) / 65536;
  // Mostly the real spelling, so that whole texts are often readable.
  const pick = (options: string[]) => options[random() < 0.7 ? 0 : Math.floor(random() * options.length)];
  let readable = 0;
  let notJson = 0;
  for (let n = 0; n < 20_000; n++) {
    const text = slots.map(pick).join("");
    if (read(text) !== undefined) readable++;
    else {
      try {
        JSON.parse(text);
      } catch {
        notJson++;
      }
    }
  }
  // Both kinds occur (each text read was checked against JSON.parse in read()).
  assert.ok(readable > 100 && notJson > 100, `${readable} read, ${notJson} not JSON`);
});

/** chunkBytes' answer for a text, checked against JSON.parse(text).bytes when it gives one. */
function bytesOf(text: string): string | undefined {
  const got = chunkBytes(text);
  if (got !== undefined) assert.equal(got, (JSON.parse(text) as { bytes: unknown }).bytes, text);
  return got;
}

Deno.test("chunkBytes() reads an Invoke chunk's base64 as JSON.parse does, and leaves the rest to it", () => {
  const b64 = btoa('{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}');
  for (const text of [`{"bytes":"${b64}"}`, `{"bytes":"${b64}","p":"abcdefghij"}`, `{"bytes":"","p":""}`]) {
    assert.notEqual(bytesOf(text), undefined, text);
  }
  // Escapes are JSON's to read (no base64 has them, but the answer must still be JSON.parse's).
  assert.equal(bytesOf('{"bytes":"ab\\/cd"}'), "ab/cd");
  const others = [
    `{"p":"abc","bytes":"${b64}"}`,
    `{ "bytes":"${b64}"}`,
    `{"bytes":"${b64}" }`,
    `{"bytes":"${b64}","p":"abc","x":1}`,
    `{"bytes":"${b64}","p":1}`,
    `{"bytes":1}`,
    `{"bytes":"${b64}"`,
    `{"bytes":"${b64}}`,
    // A raw control character: not JSON.
    `{"bytes":"a\u0001"}`,
  ];
  for (const text of others) assert.equal(bytesOf(text), undefined, text);
});
