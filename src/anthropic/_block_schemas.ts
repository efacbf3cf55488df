/**
 * The zod schemas of content blocks and tool definitions, for `parse.ts`.
 *
 * A block of a known type is checked strictly (a 400 names its bad field); a block of any other type is
 * accepted and wrapped as an `unknown` block, since newer clients send new block types without notice.
 *
 * @module
 */
import { z } from "zod";
import { SERVER_TOOL_BLOCK_TYPES } from "./content_block.ts";

/** A prompt-caching breakpoint, or none. */
export const cacheControl = z.object({ type: z.literal("ephemeral"), ttl: z.enum(["5m", "1h"]).optional() })
  .nullable()
  .optional();

/** A text block. */
export const text = z.object({
  type: z.literal("text"),
  text: z.string(),
  cache_control: cacheControl,
  citations: z.unknown().optional(),
});

const imageSource = z.discriminatedUnion("type", [
  z.object({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
  z.object({ type: z.literal("url"), url: z.string() }),
  z.object({ type: z.literal("file"), file_id: z.string() }),
]);

const image = z.object({ type: z.literal("image"), source: imageSource, cache_control: cacheControl });

const document = z.object({
  type: z.literal("document"),
  source: z.discriminatedUnion("type", [
    z.object({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
    z.object({ type: z.literal("text"), media_type: z.string(), data: z.string() }),
    z.object({ type: z.literal("content"), content: z.union([z.string(), z.array(z.union([text, image]))]) }),
    z.object({ type: z.literal("url"), url: z.string() }),
    z.object({ type: z.literal("file"), file_id: z.string() }),
  ]),
  title: z.string().nullable().optional(),
  context: z.string().nullable().optional(),
  citations: z.unknown().optional(),
  cache_control: cacheControl,
});

const searchResult = z.object({
  type: z.literal("search_result"),
  source: z.string(),
  title: z.string(),
  content: z.array(text),
  cache_control: cacheControl,
});

const toolReference = z.object({ type: z.literal("tool_reference"), tool_name: z.string() });

/**
 * A block of any type not in `known`, wrapped. (z.custom, not .refine: zod takes a branch that fails only a
 * refinement as the union's match, which would hide the real problem of a known block behind "Invalid input".)
 */
function unknownBlock(known: ReadonlySet<string>) {
  return z.looseObject({ type: z.string().pipe(z.custom<string>((t) => !known.has(t as string))) })
    .transform((block) => ({ type: "unknown" as const, block }));
}

const resultItems = [text, image, document, searchResult, toolReference] as const;
const RESULT_ITEM_TYPES: ReadonlySet<string> = new Set(resultItems.map((s) => s.shape.type.value));

const toolResult = z.object({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: z.union([
    z.string(),
    z.array(z.union([z.discriminatedUnion("type", resultItems), unknownBlock(RESULT_ITEM_TYPES)])),
  ]).optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControl,
});

/** A tool definition: a custom tool, or a server tool of any other type. */
export const tool = z.union([
  z.object({
    type: z.literal("custom").optional(),
    name: z.string().min(1),
    description: z.string().optional(),
    input_schema: z.record(z.string(), z.unknown()),
    cache_control: cacheControl,
    defer_loading: z.boolean().optional(),
    strict: z.boolean().optional(),
  }),
  // Server tools (web_search_*, ...): any other type. A "custom" tool never falls through to here, so that
  // a bad input_schema is a 400 naming it rather than a tool no backend can translate. Toolsets
  // (`mcp_toolset`, `browser_toolset_*`) have no name: their type stands in for it, in warnings.
  z.looseObject({
    type: z.string().pipe(z.custom<string>((t) => t !== "custom")),
    name: z.string().optional(),
  }).transform((t) => ({ ...t, name: t.name ?? t.type })),
]);

const toolChangeTarget = [
  z.object({ type: z.literal("tool_reference"), name: z.string() }),
  z.object({ type: z.literal("mcp_tool_reference"), name: z.string(), server_name: z.string() }),
  z.object({ type: z.literal("mcp_toolset_reference"), server_name: z.string() }),
] as const;

const toolAddition = z.object({
  type: z.literal("tool_addition"),
  tool: z.discriminatedUnion("type", [
    ...toolChangeTarget,
    z.object({ type: z.literal("tool_definition"), definition: tool }),
  ]),
  cache_control: cacheControl,
});

const toolRemoval = z.object({
  type: z.literal("tool_removal"),
  tool: z.discriminatedUnion("type", toolChangeTarget),
  cache_control: cacheControl,
});

const compaction = z.object({
  type: z.literal("compaction"),
  content: z.string().nullable().optional(),
  encrypted_content: z.string().nullable().optional(),
  signature: z.string().nullable().optional(),
  tool_changes: z.array(z.discriminatedUnion("type", [toolAddition, toolRemoval])).nullable().optional(),
  cache_control: cacheControl,
});

const mcpToolUse = z.object({
  type: z.literal("mcp_tool_use"),
  id: z.string(),
  name: z.string(),
  server_name: z.string(),
  input: z.unknown(),
  cache_control: cacheControl,
});

const mcpToolResult = z.object({
  type: z.literal("mcp_tool_result"),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(text)]).optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControl,
});

const advisorToolResult = z.object({
  type: z.literal("advisor_tool_result"),
  tool_use_id: z.string(),
  content: z.discriminatedUnion("type", [
    z.object({
      type: z.literal("advisor_result"),
      text: z.string(),
      stop_reason: z.string().nullable().optional(),
    }),
    z.object({
      type: z.literal("advisor_redacted_result"),
      encrypted_content: z.string(),
      stop_reason: z.string().nullable().optional(),
    }),
    z.object({ type: z.literal("advisor_tool_result_error"), error_code: z.string() }),
  ]),
  cache_control: cacheControl,
});

const fallback = z.object({
  type: z.literal("fallback"),
  from: z.object({ model: z.string() }),
  to: z.object({ model: z.string() }),
  trigger: z.unknown().optional(),
});

const blocks = [
  text,
  image,
  document,
  searchResult,
  z.object({
    type: z.literal("tool_use"),
    id: z.string(),
    name: z.string(),
    input: z.unknown(),
    cache_control: cacheControl,
  }),
  toolResult,
  z.object({ type: z.literal("thinking"), thinking: z.string(), signature: z.string() }),
  z.object({ type: z.literal("redacted_thinking"), data: z.string() }),
  compaction,
  mcpToolUse,
  mcpToolResult,
  advisorToolResult,
  fallback,
  toolAddition,
  toolRemoval,
] as const;

const BLOCK_TYPES: ReadonlySet<string> = new Set([
  ...blocks.map((s) => s.shape.type.value),
  ...SERVER_TOOL_BLOCK_TYPES,
]);

/** Any content block of a message. */
export const block = z.union([
  z.discriminatedUnion("type", [...blocks, z.looseObject({ type: z.enum(SERVER_TOOL_BLOCK_TYPES) })]),
  unknownBlock(BLOCK_TYPES),
]);
