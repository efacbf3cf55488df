/**
 * A tool call of an OpenAI-compatible response or stream as the parts of an Anthropic `tool_use` block:
 * a unique, valid id and an `input` object read from whatever the upstream put in `arguments`.
 *
 * @module
 */
import type { IdSource } from "../id_source.ts";
import { isRecord } from "../_json.ts";
import { safeIdentifier } from "../tool_names.ts";

/**
 * The Anthropic id of a tool call: the upstream's id made safe, or a generated one when the upstream sent
 * none or the id is already `used` in this message (some servers number every call `call_0`). Adds it to
 * `used`.
 *
 * @example
 * ```ts
 * const used = new Set<string>();
 * const ids = { messageId: () => "msg_1", toolUseId: () => "toolu_1" };
 * toolUseId("call_0", used, ids); // "call_0"
 * toolUseId("call_0", used, ids); // "toolu_1"
 * ```
 */
export function toolUseId(upstreamId: string | undefined, used: Set<string>, ids: IdSource): string {
  let id = upstreamId ? safeIdentifier(upstreamId) : ids.toolUseId();
  if (used.has(id)) id = ids.toolUseId();
  used.add(id);
  return id;
}

/**
 * A tool call's `arguments` as an Anthropic `input` object. Objects pass through; strings are parsed (also
 * double-encoded ones); broken JSON gets a light repair (code fences, trailing commas, unclosed brackets);
 * anything else becomes `{}` with a warning.
 *
 * @example
 * ```ts
 * parseToolArguments('{"path": "a.ts",', "Read", console.warn); // { path: "a.ts" } (and a warning)
 * ```
 */
export function parseToolArguments(
  args: unknown,
  tool: string,
  warn: (message: string) => void,
): Record<string, unknown> {
  if (isRecord(args)) return args;
  if (typeof args !== "string" || args.trim() === "") return {};
  try {
    let parsed: unknown = JSON.parse(args);
    if (typeof parsed === "string") parsed = JSON.parse(parsed);
    if (isRecord(parsed)) return parsed;
  } catch {
    const repaired = repairJson(args);
    if (isRecord(repaired)) {
      warn(`Repaired malformed JSON arguments of a ${tool} tool call`);
      return repaired;
    }
  }
  warn(`Unreadable arguments of a ${tool} tool call were replaced with {}`);
  return {};
}

/** Closes what a truncated or sloppy JSON text left open; `undefined` when that does not make it parse. */
function repairJson(text: string): unknown {
  let s = text.trim();
  const fence = s.match(/^```(?:json)?\s*([\s\S]*?)\s*(?:```)?$/);
  if (fence?.[1] !== undefined) s = fence[1];
  const closers: string[] = [];
  let inString = false;
  let escape = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (escape) escape = false;
      else if (c === "\\") escape = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") closers.push("}");
    else if (c === "[") closers.push("]");
    else if (c === "}" || c === "]") closers.pop();
  }
  if (inString) s += escape ? '\\"' : '"';
  s = s.replace(/[\s,:]+$/, "");
  s += closers.reverse().join("");
  s = s.replace(/,\s*([}\]])/g, "$1");
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
