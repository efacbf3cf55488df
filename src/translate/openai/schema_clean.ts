/**
 * Gemini's OpenAI-compatible endpoint reads tool parameters as its OpenAPI-subset `Schema` and rejects
 * (400, naming the path) every JSON-Schema keyword outside it. Claude Code's and MCP servers' tool
 * schemas are full JSON Schema (`$schema`, `additionalProperties`, `propertyNames`, `const`, `$ref`, ...),
 * so they are rewritten to the subset here: unknown keywords dropped, the expressible ones converted.
 *
 * @module
 */
import { isRecord } from "../_json.ts";

type Json = Record<string, unknown>;

const TYPES = new Set(["string", "number", "integer", "boolean", "array", "object"]);
const FORMATS: Record<string, ReadonlySet<string>> = {
  string: new Set(["enum", "date-time"]),
  integer: new Set(["int32", "int64"]),
  number: new Set(["float", "double"]),
};
// Deep enough for any real tool schema; a guard against pathological or self-referencing input.
const MAX_DEPTH = 40;

interface Context {
  root: Json;
  /** `$ref`s being expanded on the current path, to cut cycles. */
  expanding: string[];
}

function resolveRef(ref: string, ctx: Context): Json | undefined {
  if (ref === "#") return ctx.root;
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = ctx.root;
  for (const raw of ref.slice(2).split("/")) {
    let key: string;
    try {
      key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    } catch {
      // A malformed escape (`%E0`) points nowhere: the reference is unresolvable, not a crash.
      return undefined;
    }
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return isRecord(node) ? node : undefined;
}

/**
 * Follows a chain of `$ref`s at the top of a node. Each ref followed stays on `ctx.expanding` (and in
 * `pushed`, for the caller to pop) while the node's subtree is cleaned, so a self-reference deeper down is
 * recognised as a cycle rather than expanded again.
 */
function deref(node: Json, ctx: Context, pushed: string[]): Json | "cycle" {
  let out = node;
  while (typeof out.$ref === "string") {
    const ref = out.$ref;
    const { $ref: _, ...siblings } = out;
    if (ctx.expanding.includes(ref)) return "cycle";
    const target = resolveRef(ref, ctx);
    // An unresolvable (external) reference says nothing usable: keep only what is beside it.
    if (target === undefined) return siblings;
    ctx.expanding.push(ref);
    pushed.push(ref);
    out = { ...target, ...siblings };
  }
  return out;
}

/** Merges `allOf` members (and theirs) into the node. */
function flattenAllOf(node: Json, ctx: Context, pushed: string[]): Json {
  if (!Array.isArray(node.allOf)) return node;
  const { allOf, ...rest } = node;
  let merged: Json = rest;
  for (const member of allOf) {
    if (!isRecord(member)) continue;
    const resolved = deref(member, ctx, pushed);
    if (resolved !== "cycle") merged = mergeSchemas(merged, flattenAllOf(resolved, ctx, pushed));
  }
  return merged;
}

/** `allOf` semantics as far as the subset can express them: union of properties and required. */
function mergeSchemas(a: Json, b: Json): Json {
  const out: Json = { ...b, ...a };
  if (isRecord(a.properties) || isRecord(b.properties)) {
    out.properties = {
      ...(isRecord(b.properties) ? b.properties : {}),
      ...(isRecord(a.properties) ? a.properties : {}),
    };
  }
  if (Array.isArray(a.required) || Array.isArray(b.required)) {
    out.required = [
      ...new Set([
        ...(Array.isArray(a.required) ? a.required : []),
        ...(Array.isArray(b.required) ? b.required : []),
      ]),
    ];
  }
  return out;
}

function clean(input: unknown, ctx: Context, depth: number): Json {
  // `true`, `{}` and anything unreadable mean "any value": an untyped schema is the closest the subset has.
  if (!isRecord(input) || depth > MAX_DEPTH) return {};
  const pushed: string[] = [];
  try {
    const resolved = deref(input, ctx, pushed);
    // A recursive reference cannot be inlined; an untyped object is the honest rest.
    if (resolved === "cycle") return { type: "object" };
    return cleanNode(flattenAllOf(resolved, ctx, pushed), ctx, depth);
  } finally {
    for (let i = 0; i < pushed.length; i++) ctx.expanding.pop();
  }
}

function cleanNode(node: Json, ctx: Context, depth: number): Json {
  const types = Array.isArray(node.type)
    ? node.type.filter((t): t is string => typeof t === "string" && TYPES.has(t))
    : undefined;
  let nullable = node.nullable === true ||
    (Array.isArray(node.type) ? node.type.includes("null") : node.type === "null");
  // `type: [A, B]` has no subset form but `anyOf` of single-type copies.
  if (types !== undefined && types.length > 1) return typeUnion(node, types, nullable, ctx, depth);
  let type = types !== undefined
    ? types[0]
    : typeof node.type === "string" && TYPES.has(node.type)
    ? node.type
    : undefined;

  const out: Json = {};
  // Enums exist for strings only; `const` is a one-value enum.
  const values = Array.isArray(node.enum) ? node.enum : "const" in node ? [node.const] : undefined;
  if (values !== undefined) {
    if (values.includes(null)) nullable = true;
    const strings = values.filter((v) => v !== null);
    if (
      strings.length > 0 && strings.every((v) => typeof v === "string") && (type ?? "string") === "string"
    ) {
      type = "string";
      out.enum = strings;
    }
  }

  // Implicit types (JSON Schema allows `properties` without `type: object`) must be explicit for Gemini.
  if (type === undefined && isRecord(node.properties)) type = "object";
  if (type === undefined && isRecord(node.items)) type = "array";
  if (type !== undefined) out.type = type;
  if (nullable) out.nullable = true;
  if (typeof node.title === "string") out.title = node.title;
  if (typeof node.description === "string") out.description = node.description;
  if (typeof node.format === "string" && type !== undefined && FORMATS[type]?.has(node.format)) {
    out.format = node.format;
  }
  if (type === "object") cleanProperties(node, out, ctx, depth);
  if (type === "array") cleanItems(node, out, ctx, depth);
  if (type === "number" || type === "integer") copyBounds(node, out);
  return cleanUnion(node, out, ctx, depth);
}

/** `type: [A, B, ...]` as `anyOf` of single-type copies of the node. */
function typeUnion(node: Json, types: string[], nullable: boolean, ctx: Context, depth: number): Json {
  const branches = types.map((t) => clean({ ...node, type: t, nullable: false }, ctx, depth + 1));
  const union: Json = { anyOf: branches };
  if (typeof node.description === "string") union.description = node.description;
  if (nullable) union.nullable = true;
  return union;
}

function cleanProperties(node: Json, out: Json, ctx: Context, depth: number): void {
  if (!isRecord(node.properties)) return;
  const properties: Json = {};
  for (const [key, value] of Object.entries(node.properties)) {
    properties[key] = clean(value, ctx, depth + 1);
  }
  // Gemini rejects an empty `properties` map ("should be non-empty for OBJECT type"); without one the
  // object is free-form, which is what an empty map meant.
  if (Object.keys(properties).length === 0) return;
  out.properties = properties;
  if (Array.isArray(node.required)) {
    const required = [
      ...new Set(node.required.filter((r): r is string => typeof r === "string" && r in properties)),
    ];
    if (required.length > 0) out.required = required;
  }
}

function cleanItems(node: Json, out: Json, ctx: Context, depth: number): void {
  const items = Array.isArray(node.items) ? node.items[0] : node.items;
  if (isRecord(items)) out.items = clean(items, ctx, depth + 1);
  if (typeof node.minItems === "number") out.minItems = node.minItems;
  if (typeof node.maxItems === "number") out.maxItems = node.maxItems;
}

function copyBounds(node: Json, out: Json): void {
  if (typeof node.minimum === "number") out.minimum = node.minimum;
  else if (typeof node.exclusiveMinimum === "number") out.minimum = node.exclusiveMinimum;
  if (typeof node.maximum === "number") out.maximum = node.maximum;
  else if (typeof node.exclusiveMaximum === "number") out.maximum = node.exclusiveMaximum;
}

/** `anyOf`/`oneOf` as `anyOf`; returns the node to use (a single remaining branch replaces the union). */
function cleanUnion(node: Json, out: Json, ctx: Context, depth: number): Json {
  const union = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (union === undefined || out.enum !== undefined) return out;
  const branches: Json[] = [];
  for (const branch of union) {
    const cleaned = clean(branch, ctx, depth + 1);
    // `{type: "null"}` branches become `nullable` on the union itself.
    if (cleaned.nullable === true && cleaned.type === undefined && Object.keys(cleaned).length === 1) {
      out.nullable = true;
      continue;
    }
    branches.push(cleaned);
  }
  // A single remaining branch is the schema; the outer description wins.
  if (branches.length === 1 && out.type === undefined) return { ...branches[0], ...out };
  if (branches.length > 0 && out.type === undefined) out.anyOf = branches;
  return out;
}

/**
 * Rewrites a JSON Schema into the OpenAPI subset Gemini accepts for tool parameters.
 *
 * Keeps `type, format (string: enum|date-time; integer: int32|int64; number: float|double), title,
 * description, nullable, enum (strings), properties, required, items, minItems, maxItems, minimum, maximum,
 * anyOf`; turns `const` into `enum`, `exclusiveMinimum/Maximum` into `minimum/maximum`, `type: [T, "null"]`
 * into `nullable`, `oneOf` into `anyOf`; inlines `$ref` (`#/$defs/...`, `#/definitions/...`) and merges
 * `allOf`; drops everything else; prunes `required` to existing properties; never emits an empty
 * `properties` map. The input is never mutated.
 *
 * @example
 * ```ts
 * cleanSchemaForGemini({ type: "object", properties: { n: { type: ["integer", "null"], exclusiveMinimum: 0 } } });
 * // { type: "object", properties: { n: { type: "integer", nullable: true, minimum: 0 } } }
 * ```
 */
export function cleanSchemaForGemini(schema: unknown): Record<string, unknown> {
  const root = isRecord(schema) ? schema : {};
  const out = clean(root, { root, expanding: [] }, 0);
  if (out.type === "object") return out;
  // Parameters must be an object at the top. A top-level union (some MCP servers send one) becomes the
  // union of its object branches' properties, none required: looser, but every branch stays expressible.
  const properties: Json = {};
  for (const branch of Array.isArray(out.anyOf) ? out.anyOf : []) {
    if (isRecord(branch) && isRecord(branch.properties)) Object.assign(properties, branch.properties);
  }
  const object: Json = { type: "object" };
  if (typeof out.description === "string") object.description = out.description;
  if (Object.keys(properties).length > 0) object.properties = properties;
  return object;
}
