/**
 * The blocks of Anthropic beta features that no other upstream understands, as text a model can read
 * where they carry content (an MCP tool call and its result, a compaction summary, advice, a tool change),
 * or nothing, with a warning, where they carry none for a model (a model-fallback marker, encrypted
 * advice, a block of a type relayx does not know and that holds no text). Every translator renders them
 * the same way through {@linkcode foreignBlockText}; what they do to the conversation and the tool set
 * (compaction drops the history before it, tool changes change the tools) is done by `prepareRequest`.
 *
 * @module
 */
import {
  type ContentBlock,
  FOREIGN_BLOCK_TYPES,
  type ForeignBlock,
  type TextBlock,
  type ToolAdditionBlock,
  type ToolRemovalBlock,
  type ToolResultContent,
  type UnknownBlock,
} from "../anthropic/types.ts";
import { isCustomTool, toolReferenceText } from "./prepare.ts";

const FOREIGN: ReadonlySet<string> = new Set(FOREIGN_BLOCK_TYPES);

/** True for the blocks of beta features no upstream but Anthropic understands, and for unknown blocks. */
export function isForeignBlock(block: ContentBlock | ToolResultContent): block is ForeignBlock {
  return FOREIGN.has(block.type);
}

/** The text a removed tool leaves in the conversation. */
export function toolRemovalText(name: string): string {
  return `Tool ${name} is no longer available.`;
}

function toolChangeText(b: ToolAdditionBlock | ToolRemovalBlock, warn: (message: string) => void) {
  const tool = b.tool;
  switch (tool.type) {
    case "tool_reference":
      return b.type === "tool_addition" ? toolReferenceText(tool.name) : toolRemovalText(tool.name);
    case "tool_definition":
      // A server tool cannot run here; prepareRequest has warned that it was dropped.
      return isCustomTool(tool.definition) ? toolReferenceText(tool.definition.name) : undefined;
    case "mcp_tool_reference":
    case "mcp_toolset_reference":
      warn(`${b.type}: MCP tools cannot run on this backend; dropped`);
      return undefined;
    default: {
      const never: never = tool;
      throw new Error(`Unknown tool change: ${JSON.stringify(never)}`);
    }
  }
}

function unknownText(b: UnknownBlock, warn: (message: string) => void): string | undefined {
  // A block of a newer type that holds text (a note, a summary) still reads as that text.
  for (const key of ["text", "content"]) {
    const value = b.block[key];
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  // The type is the client's text: bounded, as it lands in a header and a log line.
  const type = b.block.type.slice(0, 64);
  warn(`messages: blocks of type "${type}" are not supported by this backend and were dropped`);
  return undefined;
}

function render(b: ForeignBlock, warn: (message: string) => void): string | undefined {
  switch (b.type) {
    case "compaction":
      // A null summary is a failed compaction, which Anthropic ignores too.
      return b.content ? `[Summary of the earlier conversation]\n${b.content}` : undefined;
    case "mcp_tool_use":
      return `[MCP tool call ${b.server_name}/${b.name}: ${JSON.stringify(b.input ?? {})}]`;
    case "mcp_tool_result": {
      const text = typeof b.content === "string"
        ? b.content
        : (b.content ?? []).map((t) => t.text).join("\n");
      return `[MCP tool ${b.is_error ? "error" : "result"}: ${text}]`;
    }
    case "advisor_tool_result": {
      const c = b.content;
      if (c.type === "advisor_result") return `[Advisor: ${c.text}]`;
      if (c.type === "advisor_tool_result_error") return `[Advisor unavailable: ${c.error_code}]`;
      warn("advisor_tool_result: encrypted advice cannot be read on this backend; dropped");
      return undefined;
    }
    case "fallback":
      warn("fallback: model fallback markers mean nothing to this backend; dropped");
      return undefined;
    case "tool_addition":
    case "tool_removal":
      return toolChangeText(b, warn);
    case "unknown":
      return unknownText(b, warn);
    default: {
      const never: never = b;
      throw new Error(`Unknown block: ${JSON.stringify(never)}`);
    }
  }
}

/**
 * A foreign block as a text block (keeping its cache breakpoint), or none where it carries nothing a model
 * can read, with a warning.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const text = foreignBlockText(
 *   { type: "mcp_tool_use", id: "mcptoolu_1", name: "search", server_name: "docs", input: { q: "deno" } },
 *   console.warn,
 * );
 * assert.deepEqual(text, { type: "text", text: '[MCP tool call docs/search: {"q":"deno"}]' });
 * ```
 */
export function foreignBlockText(b: ForeignBlock, warn: (message: string) => void): TextBlock | undefined {
  const text = render(b, warn);
  if (text === undefined) return undefined;
  const cc = "cache_control" in b ? b.cache_control : undefined;
  return cc ? { type: "text", text, cache_control: cc } : { type: "text", text };
}
