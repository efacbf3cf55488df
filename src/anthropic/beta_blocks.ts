/**
 * The content blocks of Anthropic's beta features that no other upstream understands (compaction, the MCP
 * connector, mid-conversation tool changes, the advisor tool, model fallback), and the stand-in for any
 * block type relayx does not know at all. Newer clients send them without notice (Claude Code sends the
 * `mid-conversation-tool-changes` beta); relayx accepts them and turns each into text the model can read,
 * or drops it with a warning (`translate/foreign_blocks.ts`).
 *
 * Shapes as in `@anthropic-ai/sdk` 1.13.0, `resources/beta/messages/messages.d.ts`.
 *
 * @module
 */
import type { CacheControl, TextBlock } from "./content_block.ts";
import type { Tool } from "./messages_request.ts";

/** A tool named by a tool change: one of the request's `tools`, an MCP tool, or an MCP server's toolset. */
export type ToolChangeTarget =
  | { type: "tool_reference"; name: string }
  | { type: "mcp_tool_reference"; name: string; server_name: string }
  | { type: "mcp_toolset_reference"; server_name: string };

/** A tool made available mid-conversation, by reference or by its definition. */
export interface ToolAdditionBlock {
  /** Tells the block kinds apart. */
  type: "tool_addition";
  /** The tool made available. */
  tool: ToolChangeTarget | { type: "tool_definition"; definition: Tool };
  /** A prompt-caching breakpoint after this block. */
  cache_control?: CacheControl | null;
}

/** A tool taken away mid-conversation. */
export interface ToolRemovalBlock {
  /** Tells the block kinds apart. */
  type: "tool_removal";
  /** The tool taken away. */
  tool: ToolChangeTarget;
  /** A prompt-caching breakpoint after this block. */
  cache_control?: CacheControl | null;
}

/**
 * A summary of the conversation before it (server-side compaction). Anthropic drops every message block
 * before the last compaction block; a null `content` is a failed compaction, which it ignores.
 */
export interface CompactionBlock {
  /** Tells the block kinds apart. */
  type: "compaction";
  /** The summary, or null when compaction failed. */
  content?: string | null;
  /** Opaque state of Anthropic's, never read. */
  encrypted_content?: string | null;
  /** Anthropic's signature over the summary, never read. */
  signature?: string | null;
  /** The tool changes of the summarised range, which take the request's `tools` to the set then in effect. */
  tool_changes?: Array<ToolAdditionBlock | ToolRemovalBlock> | null;
  /** A prompt-caching breakpoint after this block. */
  cache_control?: CacheControl | null;
}

/** A call of a tool on a remote MCP server, made by Anthropic's MCP connector. */
export interface McpToolUseBlock {
  /** Tells the block kinds apart. */
  type: "mcp_tool_use";
  /** The call's id. */
  id: string;
  /** The tool's name on its server. */
  name: string;
  /** The MCP server's name, as `mcp_servers` declares it. */
  server_name: string;
  /** The arguments. */
  input: unknown;
  /** A prompt-caching breakpoint after this block. */
  cache_control?: CacheControl | null;
}

/** The result of an MCP tool call. */
export interface McpToolResultBlock {
  /** Tells the block kinds apart. */
  type: "mcp_tool_result";
  /** The id of the `mcp_tool_use` block this answers. */
  tool_use_id: string;
  /** The tool's output. */
  content?: string | TextBlock[];
  /** True when the tool failed. */
  is_error?: boolean;
  /** A prompt-caching breakpoint after this block. */
  cache_control?: CacheControl | null;
}

/** What the advisor tool answered: its advice, encrypted advice, or why there is none. */
export type AdvisorResult =
  | { type: "advisor_result"; text: string; stop_reason?: string | null }
  | { type: "advisor_redacted_result"; encrypted_content: string; stop_reason?: string | null }
  | { type: "advisor_tool_result_error"; error_code: string };

/** The result of a call of the advisor server tool. */
export interface AdvisorToolResultBlock {
  /** Tells the block kinds apart. */
  type: "advisor_tool_result";
  /** The id of the `server_tool_use` block this answers. */
  tool_use_id: string;
  /** The advice. */
  content: AdvisorResult;
  /** A prompt-caching breakpoint after this block. */
  cache_control?: CacheControl | null;
}

/** A marker that the answer went on with another model (`fallbacks`); it carries nothing for a model. */
export interface FallbackBlock {
  /** Tells the block kinds apart. */
  type: "fallback";
  /** The model that was answering. */
  from: { model: string };
  /** The model that took over. */
  to: { model: string };
  /** Why; echoed, never read. */
  trigger?: unknown;
}

/**
 * A block of a type relayx does not know, kept as sent. The parser wraps it so that `type` stays a
 * discriminant every `switch` can narrow on: a member typed `type: string` would match every case.
 */
export interface UnknownBlock {
  /** Tells the block kinds apart (the block's own type is `block.type`). */
  type: "unknown";
  /** The block as the client sent it. */
  block: { type: string; [key: string]: unknown };
}

/** Every block of a beta feature no upstream but Anthropic understands, and unknown blocks. */
export type ForeignBlock =
  | CompactionBlock
  | McpToolUseBlock
  | McpToolResultBlock
  | AdvisorToolResultBlock
  | FallbackBlock
  | ToolAdditionBlock
  | ToolRemovalBlock
  | UnknownBlock;

/** The `type` of every {@linkcode ForeignBlock}. */
export const FOREIGN_BLOCK_TYPES = [
  "compaction",
  "mcp_tool_use",
  "mcp_tool_result",
  "advisor_tool_result",
  "fallback",
  "tool_addition",
  "tool_removal",
  "unknown",
] as const satisfies readonly ForeignBlock["type"][];
