/**
 * UTF-8 JSON of a request body with its largest repeated part taken from a memo: the tools a coding agent
 * sends on every turn are most of its request, and the same objects every time (`anthropic/
 * repeated_parts.ts`, and the translators' per-tool memos), so their bytes are encoded once and only the
 * rest of the body is serialised per request. The output is byte for byte what serialising the whole
 * body gives.
 *
 * @module
 */

const encoder = new TextEncoder();

// Each translated tool's bytes, keyed by the (frozen) translated tool object. Frozen is shallow: the
// translators freeze what they build, and the tool schemas inside come deeply frozen from the parser's
// memory (anthropic/repeated_parts.ts) or belong to one request only. Each caller serialises its own
// objects with one `stringify`, so an object's bytes never mix two of them.
const bytesOf = new WeakMap<object, Uint8Array<ArrayBuffer>>();

/** A member's value serialised: JSON text, or `undefined` for a value JSON leaves out. */
export type Stringify = (value: unknown) => string | undefined;

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Shared by every body: safe, since parts are only ever copied into a new output.
const [OPEN, COMMA, CLOSE, EMPTY] = ["[", ",", "]", "[]"].map((t) => encoder.encode(t)) as [
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
];

/** Bytes to be written one after the other. */
export type Parts = Uint8Array[];

/**
 * The bytes of a JSON array of `items`, in parts; each frozen object among them is serialised once and its
 * bytes remembered (a frozen object cannot change, so its bytes cannot go stale).
 */
export function arrayBytes(items: readonly unknown[], stringify: Stringify = JSON.stringify): Parts {
  const parts: Parts = [];
  items.forEach((item, i) => {
    parts.push(i === 0 ? OPEN : COMMA);
    const known = typeof item === "object" && item !== null ? bytesOf.get(item) : undefined;
    if (known) {
      parts.push(known);
      return;
    }
    const bytes = encoder.encode(stringify(item) ?? "null");
    if (typeof item === "object" && item !== null && Object.isFrozen(item)) bytesOf.set(item, bytes);
    parts.push(bytes);
  });
  parts.push(items.length === 0 ? EMPTY : CLOSE);
  return parts;
}

/**
 * The bytes of `JSON.stringify(body)` (with `stringify` for each member), where the member `key` is
 * given as bytes already; {@linkcode objectParts} leaves them in parts, for an enclosing object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const tools = [Object.freeze({ name: "Bash" })];
 * const body = { model: "m", tools, stream: true };
 * const bytes = objectBytes(body, "tools", arrayBytes(tools));
 * assert.equal(new TextDecoder().decode(bytes), JSON.stringify(body));
 * ```
 */
export function objectBytes(
  body: Record<string, unknown>,
  key: string,
  value: Parts,
  stringify: Stringify = JSON.stringify,
): Uint8Array<ArrayBuffer> {
  return concat(objectParts(body, key, value, stringify));
}

/** {@linkcode objectBytes} in parts. */
export function objectParts(
  body: Record<string, unknown>,
  key: string,
  value: Parts,
  stringify: Stringify = JSON.stringify,
): Parts {
  const parts: Parts = [];
  // Short texts are gathered and encoded together; a long member value (the messages) is encoded on its
  // own, as the flat string `stringify` made, never first joined into a longer one (which copies it).
  let pending = "{";
  let placed = false;
  const flush = () => {
    parts.push(encoder.encode(pending));
    pending = "";
  };
  for (const [k, v] of Object.entries(body)) {
    const name = `${parts.length > 0 || pending.length > 1 ? "," : ""}${JSON.stringify(k)}:`;
    if (k === key) {
      pending += name;
      flush();
      parts.push(...value);
      placed = true;
      continue;
    }
    const text = stringify(v);
    if (text === undefined) continue;
    pending += name;
    if (text.length < LONG_TEXT) {
      pending += text;
      continue;
    }
    flush();
    parts.push(encoder.encode(text));
  }
  if (!placed) {
    flush();
    parts.push(...value);
  }
  pending += "}";
  flush();
  return parts;
}

// Member texts at least this long are encoded on their own (see objectParts).
const LONG_TEXT = 1024;
