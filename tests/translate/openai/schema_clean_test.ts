import assert from "node:assert/strict";
import { cleanSchemaForGemini } from "../../../src/translate/openai/schema_clean.ts";
import basic from "../../testdata/claude_code/request_basic.json" with { type: "json" };
import toolSearch from "../../testdata/claude_code/request_tool_search.json" with { type: "json" };
import mixed from "../../testdata/openai/request_mixed.json" with { type: "json" };

const ALLOWED = new Set([
  "type",
  "format",
  "description",
  "nullable",
  "enum",
  "properties",
  "required",
  "items",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "anyOf",
  "title",
]);
const TYPES = new Set(["string", "number", "integer", "boolean", "array", "object"]);

/** Asserts the Gemini subset rules on every node; returns the number of nodes seen. */
function assertGeminiSchema(node: unknown, path: string): number {
  assert.ok(typeof node === "object" && node !== null && !Array.isArray(node), `${path} is an object`);
  const schema = node as Record<string, unknown>;
  let nodes = 1;
  for (const key of Object.keys(schema)) assert.ok(ALLOWED.has(key), `${path}.${key} is in the subset`);
  if (schema.type !== undefined) {
    assert.ok(TYPES.has(schema.type as string), `${path}.type is a single valid type`);
  }
  if (schema.properties !== undefined) {
    assert.equal(schema.type, "object", `${path}.properties only on objects`);
    const props = schema.properties as Record<string, unknown>;
    assert.ok(Object.keys(props).length > 0, `${path}.properties is never empty`);
    for (const [k, v] of Object.entries(props)) nodes += assertGeminiSchema(v, `${path}.properties.${k}`);
  }
  if (schema.required !== undefined) {
    const props = Object.keys((schema.properties ?? {}) as Record<string, unknown>);
    for (const r of schema.required as string[]) {
      assert.ok(props.includes(r), `${path}.required names "${r}"`);
    }
  }
  if (schema.items !== undefined) {
    assert.equal(schema.type, "array", `${path}.items only on arrays`);
    nodes += assertGeminiSchema(schema.items, `${path}.items`);
  }
  if (schema.enum !== undefined) {
    assert.equal(schema.type, "string", `${path}.enum only on strings`);
    assert.ok((schema.enum as unknown[]).every((v) => typeof v === "string"));
  }
  if (schema.anyOf !== undefined) {
    (schema.anyOf as unknown[]).forEach((b, i) => nodes += assertGeminiSchema(b, `${path}.anyOf.${i}`));
  }
  return nodes;
}

interface ToolLike {
  name: string;
  input_schema: Record<string, unknown>;
}

Deno.test("cleanSchemaForGemini()", async (t) => {
  await t.step("keeps Claude Code's real tool schemas inside Gemini's subset, input untouched", () => {
    const tools = [...basic.tools, ...toolSearch.tools] as unknown as ToolLike[];
    assert.ok(tools.length >= 20);
    for (const tool of tools) {
      const before = structuredClone(tool.input_schema);
      const cleaned = cleanSchemaForGemini(tool.input_schema);
      assert.deepEqual(tool.input_schema, before, `${tool.name} input not mutated`);
      assert.equal(cleaned.type, "object", `${tool.name} parameters are an object`);
      assertGeminiSchema(cleaned, tool.name);
      // Every property the client defined survives (only keywords are dropped).
      const props = Object.keys((tool.input_schema.properties ?? {}) as Record<string, unknown>);
      assert.deepEqual(Object.keys((cleaned.properties ?? {}) as Record<string, unknown>), props, tool.name);
    }
  });

  await t.step("converts the keywords Gemini rejects", async () => {
    const schemas = Object.fromEntries(
      (mixed.tools as unknown as ToolLike[]).map((
        tool,
      ) => [tool.name, cleanSchemaForGemini(tool.input_schema)]),
    );
    for (const [name, schema] of Object.entries(schemas)) assertGeminiSchema(schema, name);
    await t.assertSnapshot(schemas);
  });

  await t.step(
    "turns const into enum, exclusive bounds into inclusive ones, type arrays into nullable",
    () => {
      assert.deepEqual(
        cleanSchemaForGemini({
          type: "object",
          properties: {
            a: { const: "x" },
            b: { type: "integer", exclusiveMinimum: 0, exclusiveMaximum: 10 },
            c: { type: ["string", "null"], format: "date-time" },
            d: { type: ["string", "integer"] },
            e: { enum: [1, 2] },
            f: { type: "string", enum: ["a", null] },
          },
        }),
        {
          type: "object",
          properties: {
            a: { type: "string", enum: ["x"] },
            b: { type: "integer", minimum: 0, maximum: 10 },
            c: { type: "string", nullable: true, format: "date-time" },
            d: { anyOf: [{ type: "string" }, { type: "integer" }] },
            e: {},
            f: { type: "string", nullable: true, enum: ["a"] },
          },
        },
      );
    },
  );

  await t.step("inlines $ref and allOf, and cuts recursive references", () => {
    const cleaned = cleanSchemaForGemini({
      type: "object",
      definitions: {
        node: {
          type: "object",
          properties: {
            name: { type: "string" },
            children: { type: "array", items: { $ref: "#/definitions/node" } },
          },
        },
      },
      properties: {
        tree: { $ref: "#/definitions/node" },
        both: {
          allOf: [{ properties: { x: { type: "string" } }, required: ["x"] }, {
            properties: { y: { type: "number" } },
          }],
        },
        ext: { $ref: "https://example.com/schema.json", description: "External" },
      },
    });
    assertGeminiSchema(cleaned, "root");
    assert.deepEqual(cleaned.properties, {
      tree: {
        type: "object",
        properties: { name: { type: "string" }, children: { type: "array", items: { type: "object" } } },
      },
      both: { type: "object", properties: { x: { type: "string" }, y: { type: "number" } }, required: ["x"] },
      ext: { description: "External" },
    });
  });

  await t.step("collapses an anyOf with null into a nullable schema", () => {
    assert.deepEqual(
      cleanSchemaForGemini({
        type: "object",
        properties: {
          p: { description: "Path", anyOf: [{ type: "string", minLength: 1 }, { type: "null" }] },
        },
      }).properties,
      { p: { type: "string", nullable: true, description: "Path" } },
    );
  });

  await t.step("returns an object without properties for empty or unusable input", () => {
    assert.deepEqual(cleanSchemaForGemini({ type: "object", properties: {}, additionalProperties: false }), {
      type: "object",
    });
    assert.deepEqual(cleanSchemaForGemini(undefined), { type: "object" });
    assert.deepEqual(cleanSchemaForGemini({ type: "object", additionalProperties: { type: "string" } }), {
      type: "object",
    });
  });

  await t.step("merges a top-level union's object branches into one object", () => {
    assert.deepEqual(
      cleanSchemaForGemini({
        oneOf: [
          { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
          { type: "object", properties: { url: { type: "string" } } },
        ],
      }),
      { type: "object", properties: { id: { type: "string" }, url: { type: "string" } } },
    );
  });
});

Deno.test("cleanSchemaForGemini() treats a malformed $ref escape as unresolvable", () => {
  const out = cleanSchemaForGemini({ type: "object", properties: { a: { $ref: "#/%E0" } } });
  assert.equal(typeof out, "object");
  assert.equal(JSON.stringify(out).includes("$ref"), false);
});
