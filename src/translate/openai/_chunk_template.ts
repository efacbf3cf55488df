/**
 * Parsing of OpenAI-compatible stream chunks with a template: most chunks of a stream differ from an
 * earlier one only in one string, the text of a content delta or a piece of a tool call's arguments
 * (`{"id":"...","object":"chat.completion.chunk",...,"delta":{"content":"<here>"},...}`). After one such
 * chunk was parsed in full, a chunk whose text is the same around one JSON string is built from the
 * earlier one with only that string parsed: a third of the cost of `JSON.parse` of the whole line.
 *
 * The result is exactly what `JSON.parse` gives for the line: the text outside the string is identical
 * to a line that parsed to the template's shape, the string in between must parse as one JSON string,
 * and the template is made only when its key occurs once (a duplicate key would make `JSON.parse` take
 * another value). Other values of the template are primitives, so nothing mutable is shared between
 * chunks. Any other line is parsed in full.
 *
 * @module
 */
import { isRecord } from "../_json.ts";

/** One learnt shape: the text around the varying string, and how to build the chunk for a new string. */
interface Template {
  head: string;
  tail: string;
  make(value: string): Record<string, unknown>;
}

type Json = Record<string, unknown>;

function isPrimitive(v: unknown): boolean {
  return v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

// Every key but `except` holds a primitive (so a copy shares nothing mutable).
function primitivesBut(o: Json, except: string): boolean {
  for (const k in o) if (k !== except && !isPrimitive(o[k])) return false;
  return true;
}

function onlyKey(o: Json, key: string): boolean {
  let n = 0;
  for (const k in o) {
    if (k !== key) return false;
    n++;
  }
  return n === 1;
}

// The end (exclusive) of the JSON string literal that starts at `start` (a quote), or -1.
function literalEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 34 /* " */) return i + 1;
  }
  return -1;
}

// A string no upstream sends, to prove where a template's string lands.
const PROBE = `\u0000relayx-probe-${crypto.randomUUID()}`;
const PROBE_JSON = JSON.stringify(PROBE);

// The template of `payload` around the string at the first `"<key>":`, whose parsed value is `value`;
// `read` gives the string a chunk carries where the learnt shape says it is.
function around(
  payload: string,
  key: string,
  value: string,
  make: (value: string) => Json,
  read: (chunk: unknown) => unknown,
): Template | undefined {
  const marker = `"${key}":`;
  const at = payload.indexOf(marker);
  if (at === -1) return undefined;
  const start = at + marker.length;
  if (payload.charCodeAt(start) !== 34) return undefined;
  const end = literalEnd(payload, start);
  if (end === -1) return undefined;
  const tail = payload.slice(end);
  // A second occurrence would be a duplicate key (or another object with it): JSON.parse's last wins.
  if (tail.includes(marker)) return undefined;
  if (JSON.parse(payload.slice(start, end)) !== value) return undefined;
  const head = payload.slice(0, start);
  // The string found must be the one the shape names (not another key spelled the same way before it, while
  // the delta's own key is written otherwise): another string there must come back in its place.
  if (read(JSON.parse(head + PROBE_JSON + tail)) !== PROBE) return undefined;
  return { head, tail, make };
}

// The delta of a chunk's first choice.
function firstDelta(chunk: unknown): Json | undefined {
  if (!isRecord(chunk) || !Array.isArray(chunk.choices)) return undefined;
  const choice: unknown = chunk.choices[0];
  return isRecord(choice) && isRecord(choice.delta) ? choice.delta : undefined;
}

/** A learnt template and which string it varies. */
interface Learnt {
  kind: "content" | "arguments";
  template: Template;
}

function learnt(kind: Learnt["kind"], template: Template | undefined): Learnt | undefined {
  return template && { kind, template };
}

// A chunk with one choice whose delta is only `content` (a string), or only one tool call's `arguments`.
function learn(payload: string, chunk: unknown): Learnt | undefined {
  if (!isRecord(chunk) || !primitivesBut(chunk, "choices")) return undefined;
  const choices = chunk.choices;
  if (!Array.isArray(choices) || choices.length !== 1) return undefined;
  const choice: unknown = choices[0];
  if (!isRecord(choice) || !primitivesBut(choice, "delta") || !isRecord(choice.delta)) return undefined;
  const delta = choice.delta;
  if (onlyKey(delta, "content") && typeof delta.content === "string") {
    return learnt(
      "content",
      around(payload, "content", delta.content, (content) => ({
        ...chunk,
        choices: [{ ...choice, delta: { content } }],
      }), (c) => firstDelta(c)?.content),
    );
  }
  if (!onlyKey(delta, "tool_calls") || !Array.isArray(delta.tool_calls) || delta.tool_calls.length !== 1) {
    return undefined;
  }
  const call: unknown = delta.tool_calls[0];
  if (!isRecord(call) || !primitivesBut(call, "function") || !isRecord(call.function)) return undefined;
  const fn = call.function;
  if (!onlyKey(fn, "arguments") || typeof fn.arguments !== "string") return undefined;
  return learnt(
    "arguments",
    around(payload, "arguments", fn.arguments, (args) => ({
      ...chunk,
      choices: [{ ...choice, delta: { tool_calls: [{ ...call, function: { arguments: args } }] } }],
    }), (c) => {
      const calls = firstDelta(c)?.tool_calls;
      const first: unknown = Array.isArray(calls) ? calls[0] : undefined;
      return isRecord(first) && isRecord(first.function) ? first.function.arguments : undefined;
    }),
  );
}

/**
 * A parser for the payloads of one stream: `full` parses a line the ordinary way (and throws for one
 * that is not JSON); lines that match a template learnt from an earlier one are built from it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const parse = chunkParser(JSON.parse);
 * const line = (text: string) => `{"id":"c1","choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}}}]}`;
 * parse(line("Hello"));
 * assert.deepEqual(parse(line(" world")), JSON.parse(line(" world")));
 * ```
 */
export function chunkParser(full: (payload: string) => unknown): (payload: string) => unknown {
  // The last content template and the last arguments template.
  let content: Template | undefined;
  let args: Template | undefined;
  const fromTemplate = (t: Template | undefined, payload: string): unknown => {
    if (t === undefined) return undefined;
    const { head, tail } = t;
    const end = payload.length - tail.length;
    if (end <= head.length || payload.charCodeAt(head.length) !== 34) return undefined;
    // Slices compared as a whole are a memory comparison (startsWith walks characters).
    if (payload.slice(0, head.length) !== head || payload.slice(end) !== tail) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(payload.slice(head.length, end));
    } catch {
      return undefined;
    }
    return typeof value === "string" ? t.make(value) : undefined;
  };
  return (payload) => {
    const hit = fromTemplate(content, payload) ?? fromTemplate(args, payload);
    if (hit !== undefined) return hit;
    const chunk = full(payload);
    const shape = learn(payload, chunk);
    if (shape?.kind === "content") content = shape.template;
    else if (shape?.kind === "arguments") args = shape.template;
    return chunk;
  };
}
