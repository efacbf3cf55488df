/**
 * Recognises the parts of a request body that a client resends unchanged. Claude Code sends the same tools
 * (32 KB of a 49 KB request) on every turn; parsing and validating them once per distinct content, and
 * handing back the same validated objects while they repeat, turns most of the per-request parse into a
 * comparison of bytes, and lets translators memoise by object identity. Its system prompt is not
 * remembered: its first block (`x-anthropic-billing-header: cc_version=...`) changes on every request.
 *
 * The key is the part's JSON text itself, found in the body by its top-level key: no hash and no walk of
 * what is being saved. A hit is exact: the body is parsed with that span replaced by a placeholder that
 * must come back as the top-level value, so the result is what parsing the whole body would have given.
 * Anything else (no match, a match inside a nested object, a body that does not parse) is a miss, and
 * the route parses the body in full as before, with the same errors.
 *
 * @module
 */
import type { Tool } from "./types.ts";

/** The top-level keys whose values are remembered. */
export type RepeatedKey = "tools";

const KEYS: readonly RepeatedKey[] = ["tools"];

/** The validated values of the remembered parts a body carried, by key. */
export interface KnownParts {
  /** The request's tools, as validation made them. */
  tools?: Tool[];
}

/** A body parsed with its remembered parts left out. */
export interface SplitBody {
  /** The parsed body; the keys in `known` are `undefined` in it. */
  raw: Record<string, unknown>;
  /** The validated values of the parts that were recognised. */
  known: KnownParts;
}

/** Remembers repeated request parts (see the module documentation). */
export interface RepeatedParts {
  /** The body parsed with its remembered parts left out, or `undefined` when none was recognised. */
  split(text: string): SplitBody | undefined;
  /**
   * Remembers the parts of a body that parsed and validated in full (`raw` as parsed). A part is remembered
   * only when its compact JSON is what the body carries, as it is from clients that serialise with
   * `JSON.stringify` (Claude Code and the SDKs), and its value is what validation makes of that JSON text
   * itself: what a later body with the same text gets, whatever this body's own spelling of it was
   * (`1e400` and `null`, for one, are different texts of one value).
   */
  learn(text: string, raw: unknown): void;
}

interface Entry {
  /** The part's JSON text as the body carries it. */
  json: string;
  /** What is searched for: the end of `json`. */
  needle: string;
  /** What must come right before `json`: the key. */
  label: string;
  /** What validation made of it (deeply frozen: it is shared by every request that repeats it). */
  value: Tool[];
}

/** Options for {@linkcode createRepeatedParts}. */
export interface RepeatedPartsOptions {
  /** Distinct values remembered per key, the least recently seen dropped first (default 8). */
  perKey?: number;
  /** Parts shorter than this are not worth remembering (default 1024 characters). */
  minLength?: number;
  /**
   * Parts longer than this are not remembered (default 512 Ki characters): any client could otherwise
   * keep `perKey` bodies of up to 32 MB resident.
   */
  maxLength?: number;
}

/** Validates a part's parsed value as the request parser does, or `undefined` when it is not valid. */
export type ValidateTools = (value: unknown) => Tool[] | undefined;

// How many occurrences of a needle to try: the top-level one comes after the messages, which may carry a
// nested copy.
const MAX_TRIES = 8;
// Characters of a part's text searched for (the rest is compared where they are found).
const NEEDLE_LENGTH = 256;
// After a body whose parts were not found verbatim (pretty-printed JSON, other escapes), learning pauses
// for this many bodies, so that such a client does not pay a serialisation per request.
const LEARN_BACKOFF = 64;

function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Creates a memory of repeated request parts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * import type { Tool } from "./types.ts";
 *
 * const validate = (value: unknown) => Array.isArray(value) ? value as Tool[] : undefined;
 * const parts = createRepeatedParts(validate, { minLength: 1 });
 * const text = '{"model":"m","tools":[{"name":"Bash","input_schema":{"type":"object"}}]}';
 * assert.equal(parts.split(text), undefined);
 * parts.learn(text, JSON.parse(text));
 * const again = parts.split(text);
 * assert.equal(again?.raw.tools, undefined);
 * assert.deepEqual(again?.known.tools, [{ name: "Bash", input_schema: { type: "object" } }]);
 * ```
 */
export function createRepeatedParts(
  validate: ValidateTools,
  options: RepeatedPartsOptions = {},
): RepeatedParts {
  const perKey = options.perKey ?? 8;
  const minLength = options.minLength ?? 1024;
  const maxLength = options.maxLength ?? 512 * 1024;
  const entries: Record<RepeatedKey, Entry[]> = { tools: [] };
  // A string no client sends: the placeholder must come back as the top-level value to prove the match.
  const placeholder = `\u0000relayx-part-${crypto.randomUUID()}`;
  const placeholderJson = JSON.stringify(placeholder);
  let backoff = 0;

  function find(text: string, key: RepeatedKey): { start: number; entry: Entry } | undefined {
    const list = entries[key];
    for (let e = 0; e < list.length; e++) {
      const entry = list[e] as Entry;
      // A long needle: V8 searches it by skipping. From the end, and for the end of the part: clients put
      // the tools after the messages (which may quote a copy of them), a few fields before the body's end.
      let i = text.lastIndexOf(entry.needle);
      for (let n = 0; i !== -1 && n < MAX_TRIES; n++) {
        const start = i + entry.needle.length - entry.json.length;
        // Equality of a slice is a memory comparison (startsWith walks characters: 100x slower here).
        if (
          start >= entry.label.length &&
          text.slice(start - entry.label.length, start) === entry.label &&
          text.slice(start, start + entry.json.length) === entry.json
        ) {
          // The list stays in order of use, so that the one dropped is the least recently seen.
          if (e > 0) list.unshift(...list.splice(e, 1));
          return { start, entry };
        }
        i = i === 0 ? -1 : text.lastIndexOf(entry.needle, i - 1);
      }
    }
    return undefined;
  }

  return {
    split(text) {
      let reduced = text;
      const known: KnownParts = {};
      const found: RepeatedKey[] = [];
      for (const key of KEYS) {
        const hit = find(reduced, key);
        if (!hit) continue;
        reduced = reduced.slice(0, hit.start) + placeholderJson +
          reduced.slice(hit.start + hit.entry.json.length);
        known[key] = hit.entry.value;
        found.push(key);
      }
      if (found.length === 0) return undefined;
      let raw: unknown;
      try {
        raw = JSON.parse(reduced);
      } catch {
        return undefined;
      }
      if (!isRecord(raw)) return undefined;
      for (const key of found) {
        if (raw[key] !== placeholder) return undefined;
        raw[key] = undefined;
      }
      return { raw, known };
    },

    learn(text, raw) {
      if (backoff > 0) {
        backoff--;
        return;
      }
      if (!isRecord(raw)) return;
      for (const key of KEYS) {
        const part = raw[key];
        if (part === undefined) continue;
        const json = JSON.stringify(part);
        if (json.length < minLength || json.length > maxLength) continue;
        if (!text.includes(`"${key}":${json}`)) {
          backoff = LEARN_BACKOFF;
          return;
        }
        // Known already (the body quoted it elsewhere, so that it did not prove a match): nothing to add.
        if (entries[key].some((e) => e.json.length === json.length && e.json === json)) continue;
        // The value of the text itself, not of this body's spelling of it.
        const value = validate(JSON.parse(json));
        if (value === undefined) continue;
        deepFreeze(value);
        const list = entries[key];
        list.unshift({ json, needle: json.slice(-NEEDLE_LENGTH), label: `"${key}":`, value });
        if (list.length > perKey) list.length = perKey;
      }
    },
  };
}
