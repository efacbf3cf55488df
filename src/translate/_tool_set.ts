/**
 * The tools a backend that runs only custom tools is sent: the request's custom tools, Claude Code's
 * deferred tools once loaded, and the tool changes the conversation made (`tool_addition` and
 * `tool_removal` blocks, and the `tool_changes` a compaction summary carries for the range it replaced).
 *
 * @module
 */
import type { CustomTool, Message, Tool, ToolAdditionBlock, ToolRemovalBlock } from "../anthropic/types.ts";

type ToolChange = ToolAdditionBlock | ToolRemovalBlock;

/** True for client-defined tools; any other `type` is a tool Anthropic runs on its own servers. */
export function isCustomTool(tool: Tool): tool is CustomTool {
  return (tool.type === undefined || tool.type === "custom") && "input_schema" in tool;
}

function serverToolDropped(tool: Tool, warn: (message: string) => void): void {
  // Names and types are the client's text: bounded, as they land in a header and a log line.
  const [name, type] = [tool.name.slice(0, 64), String(tool.type).slice(0, 64)];
  warn(`tools: server tool "${name}" (${type}) cannot run on this backend and was dropped`);
}

/** What the conversation does to the tools: references that load deferred tools, and changes in order. */
interface ToolEvents {
  /** Tools named by `tool_reference` blocks in tool results (Claude Code's tool search). */
  referenced: Set<string>;
  /** Tool additions and removals, a compaction's `tool_changes` included. */
  changes: ToolChange[];
}

// One pass over the blocks: this runs on every request.
function toolEvents(messages: Message[]): ToolEvents {
  const events: ToolEvents = { referenced: new Set(), changes: [] };
  for (const m of messages) {
    for (const b of m.content) {
      if (b.type === "tool_result" && m.role === "user" && Array.isArray(b.content)) {
        for (const c of b.content) if (c.type === "tool_reference") events.referenced.add(c.tool_name);
      } else if (b.type === "tool_addition" || b.type === "tool_removal") events.changes.push(b);
      else if (b.type === "compaction" && b.content && b.tool_changes) events.changes.push(...b.tool_changes);
    }
  }
  return events;
}

/** The custom tools, deferred ones only once referenced: the whole answer when nothing changed the tools. */
function loaded(
  tools: readonly Tool[],
  referenced: Set<string>,
  warn: (message: string) => void,
): CustomTool[] {
  const out: CustomTool[] = [];
  for (const tool of tools) {
    if (!isCustomTool(tool)) serverToolDropped(tool, warn);
    else if (!tool.defer_loading || referenced.has(tool.name)) out.push(tool);
  }
  return out;
}

/**
 * The custom tools in effect at the end of the conversation, in the request's order, then those defined
 * by tool changes in order of addition; undefined when the request has no tools and makes no change.
 * Server tools are dropped with a warning. A deferred tool (`defer_loading`) is sent once a tool reference
 * or a tool addition loaded it, as Anthropic's tool search would.
 */
export function toolSet(
  tools: readonly Tool[] | undefined,
  messages: Message[],
  warn: (message: string) => void,
): CustomTool[] | undefined {
  const { referenced, changes } = toolEvents(messages);
  if (changes.length === 0) return tools && loaded(tools, referenced, warn);
  const known = new Map<string, CustomTool>();
  const active = new Set<string>();
  for (const tool of tools ?? []) {
    if (!isCustomTool(tool)) {
      serverToolDropped(tool, warn);
      continue;
    }
    known.set(tool.name, tool);
    if (!tool.defer_loading || referenced.has(tool.name)) active.add(tool.name);
  }
  const defined: CustomTool[] = [];
  for (const { type, tool } of changes) {
    if (tool.type === "tool_definition") {
      if (!isCustomTool(tool.definition)) {
        serverToolDropped(tool.definition, warn);
        continue;
      }
      if (!known.has(tool.definition.name)) defined.push(tool.definition);
      known.set(tool.definition.name, tool.definition);
      active.add(tool.definition.name);
    } else if (tool.type === "tool_reference") {
      if (type === "tool_removal") active.delete(tool.name);
      else if (known.has(tool.name)) active.add(tool.name);
    }
    // MCP tools and toolsets cannot run here; the block's text says so with a warning.
  }
  const out: CustomTool[] = [];
  for (const { name } of [...(tools ?? []).filter(isCustomTool), ...defined]) {
    const tool = known.get(name);
    if (tool && active.delete(name)) out.push(tool);
  }
  return out;
}
