/**
 * The checks `parse.ts` makes besides the schema: before it, what would make the schema (or any later
 * step) costly or unsafe to run; after it, what the schema cannot say.
 *
 * @module
 */
import { RelayError } from "../errors.ts";

/** The deepest nesting of arrays and objects accepted anywhere in a body. */
export const MAX_NESTING = 512;

function invalid(message: string): RelayError {
  return new RelayError("invalid_request_error", message, { shouldRetry: false });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * A 10 MB model name is rejected at the cost of one property read, before the schema reads the body, and
 * never reaches a log line or an error message.
 */
export function checkModel(body: unknown, max: number): void {
  if (!isRecord(body) || typeof body.model !== "string" || body.model.length <= max) return;
  throw invalid(`model: Too long: expected at most ${max} characters, got ${body.model.length}`);
}

// The path to the first value nested deeper than `left` more levels below the object `value`, or
// undefined. Recursion stops at the limit, so it cannot exhaust the stack itself; only objects are visited
// (about 1.7 µs for a 60 KB Claude Code request, most of it in the tools' schemas).
function tooDeep(value: object, left: number): PropertyKey[] | undefined {
  if (left === 0) return [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const path = typeof v === "object" && v !== null ? tooDeep(v, left - 1) : undefined;
      if (path) return [i, ...path];
    }
    return undefined;
  }
  for (const key in value) {
    const v: unknown = (value as Record<string, unknown>)[key];
    const path = typeof v === "object" && v !== null ? tooDeep(v, left - 1) : undefined;
    if (path) return [key, ...path];
  }
  return undefined;
}

/**
 * JSON nested thousands of levels deep (a tool input, a schema) parses, but serialising it again for the
 * upstream exhausts the stack. Refused at the door, naming where it starts.
 */
export function checkNesting(body: unknown): void {
  const path = isRecord(body) ? tooDeep(body, MAX_NESTING) : undefined;
  if (!path) return;
  const where = path.length ? path.slice(0, 5).map(String).join(".") : "body";
  throw invalid(`${where}: Nested too deeply: more than ${MAX_NESTING} levels of arrays and objects`);
}

/**
 * Anthropic refuses a request whose tool calls share an id; upstreams that pair results with calls by id
 * would answer with errors of their own, or pair them wrongly. Paths are those of the request as sent.
 */
export function checkToolUseIds(
  messages: readonly { content?: string | readonly { type: string }[] }[],
): void {
  const seen = new Set<string>();
  messages.forEach((m, i) => {
    if (typeof m.content !== "object") return;
    m.content.forEach((b, j) => {
      if (b.type !== "tool_use" || !("id" in b) || typeof b.id !== "string") return;
      if (seen.has(b.id)) throw invalid(`messages.${i}.content.${j}.id: tool_use ids must be unique`);
      seen.add(b.id);
    });
  });
}
