/**
 * The payloads of Bedrock's stream frames read without `JSON.parse`, for the shapes that make up nearly
 * every frame of a stream, with or without Bedrock's `"p"` padding: a ConverseStream text, tool-input or
 * reasoning-text delta (`{"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"abcdef"}`), and an
 * InvokeModelWithResponseStream chunk (`{"bytes":"eyJ0eXBlIjoi...","p":"abc"}`). The keys and the
 * punctuation are fixed, so only the numbers and the strings are read; the result is exactly what
 * `JSON.parse` gives for the text. Any other text (another key order, whitespace, another delta, a string
 * with a raw control character) is left to `JSON.parse`, with its errors. At 500 frames a stream this is
 * about half of their decoding (bench).
 *
 * @module
 */

const HEAD = '{"contentBlockIndex":';
const DELTA = ',"delta":{"';
const PAD = ',"p":';

/** The delta kinds read here: the key text after `"delta":{"`, and the object that holds the string. */
const KINDS = [
  { key: 'text":', close: "}", make: (text: string) => ({ text }) },
  { key: 'toolUse":{"input":', close: "}}", make: (input: string) => ({ toolUse: { input } }) },
  {
    key: 'reasoningContent":{"text":',
    close: "}}",
    make: (text: string) => ({ reasoningContent: { text } }),
  },
] as const;

// The end (exclusive) of the JSON string literal at `start` (a quote) and its value, or undefined for a
// literal JSON.parse must judge (a raw control character, a bad escape, no end).
function literal(text: string, start: number): { end: number; value: string } | undefined {
  if (text.charCodeAt(start) !== 34 /* " */) return undefined;
  let escaped = false;
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      if (!escaped) return { end: i + 1, value: text.slice(start + 1, i) };
      try {
        return { end: i + 1, value: JSON.parse(text.slice(start, i + 1)) as string };
      } catch {
        return undefined;
      }
    }
    if (c === 92 /* \ */) {
      escaped = true;
      i++;
    } else if (c < 0x20) return undefined;
  }
  return undefined;
}

/**
 * The value `JSON.parse(text)` gives for a text, tool-input or reasoning-text delta payload in Bedrock's
 * own spelling, or undefined for any other text (which the caller parses in full).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const text = '{"contentBlockIndex":0,"delta":{"text":"Hi \\u00e9"},"p":"abc"}';
 * assert.deepEqual(converseDelta(text), JSON.parse(text));
 * assert.equal(converseDelta('{"contentBlockIndex": 0}'), undefined);
 * ```
 */
export function converseDelta(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith(HEAD)) return undefined;
  // A block index: 0 or up to 9 digits without a leading zero, which Number reads as JSON.parse does.
  let at = HEAD.length;
  const first = text.charCodeAt(at);
  if (first === 48 /* 0 */) at++;
  else {
    while (at < text.length && at - HEAD.length < 9 && isDigit(text.charCodeAt(at))) at++;
  }
  if (at === HEAD.length || isDigit(text.charCodeAt(at))) return undefined;
  const contentBlockIndex = Number(text.slice(HEAD.length, at));
  if (!text.startsWith(DELTA, at)) return undefined;
  at += DELTA.length;
  for (const kind of KINDS) {
    if (!text.startsWith(kind.key, at)) continue;
    const value = literal(text, at + kind.key.length);
    if (!value || !text.startsWith(kind.close, value.end)) return undefined;
    const delta = kind.make(value.value);
    at = value.end + kind.close.length;
    if (at === text.length - 1 && text.charCodeAt(at) === 125 /* } */) return { contentBlockIndex, delta };
    if (!text.startsWith(PAD, at)) return undefined;
    const p = literal(text, at + PAD.length);
    if (!p || p.end !== text.length - 1 || text.charCodeAt(p.end) !== 125) return undefined;
    return { contentBlockIndex, delta, p: p.value };
  }
  return undefined;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const CHUNK = '{"bytes":';

/**
 * The `bytes` string of an InvokeModelWithResponseStream chunk payload (base64, so no escapes) in Bedrock's
 * own spelling, `{"bytes":"..."}` or `{"bytes":"...","p":"..."}`: what `JSON.parse(text).bytes` gives, or
 * undefined for any other text (which the caller parses in full).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(chunkBytes('{"bytes":"eyJhIjoxfQ==","p":"abc"}'), "eyJhIjoxfQ==");
 * assert.equal(chunkBytes('{"p":"abc","bytes":"eyJhIjoxfQ=="}'), undefined);
 * ```
 */
export function chunkBytes(text: string): string | undefined {
  if (!text.startsWith(CHUNK)) return undefined;
  const bytes = literal(text, CHUNK.length);
  if (!bytes) return undefined;
  if (bytes.end === text.length - 1 && text.charCodeAt(bytes.end) === 125 /* } */) return bytes.value;
  if (!text.startsWith(PAD, bytes.end)) return undefined;
  const p = literal(text, bytes.end + PAD.length);
  return p && p.end === text.length - 1 && text.charCodeAt(p.end) === 125 ? bytes.value : undefined;
}
