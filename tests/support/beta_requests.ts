/**
 * Requests carrying the content blocks of Anthropic's beta features, typed against the official SDK's own
 * beta types (`@anthropic-ai/sdk` 1.13.0), so that a shape that drifts from the SDK fails to compile.
 */
import type {
  BetaContentBlockParam,
  MessageCreateParamsNonStreaming,
} from "@anthropic-ai/sdk/resources/beta/messages/messages";

const WRITE_TOOL = {
  name: "Write",
  description: "Write a file",
  input_schema: {
    type: "object" as const,
    properties: { file_path: { type: "string" }, content: { type: "string" } },
    required: ["file_path", "content"],
  },
};

const NOTEBOOK_TOOL = {
  name: "NotebookEdit",
  description: "Edit a notebook cell",
  input_schema: { type: "object" as const, properties: { cell: { type: "number" } } },
  defer_loading: true,
};

/** One block of each beta type an assistant turn may hold, as the SDK defines it. */
export const ASSISTANT_BETA_BLOCKS: BetaContentBlockParam[] = [
  { type: "text", text: "Let me look that up." },
  {
    type: "mcp_tool_use",
    id: "mcptoolu_01",
    name: "search_docs",
    server_name: "deno-docs",
    input: { query: "deno serve" },
  },
  {
    type: "mcp_tool_result",
    tool_use_id: "mcptoolu_01",
    content: [{ type: "text", text: "deno serve runs the default export of a module." }],
  },
  { type: "server_tool_use", id: "srvtoolu_01", name: "advisor", input: {} },
  {
    type: "advisor_tool_result",
    tool_use_id: "srvtoolu_01",
    content: { type: "advisor_result", text: "Mention --parallel." },
  },
  { type: "fallback", from: { model: "claude-opus-5-5" }, to: { model: "claude-sonnet-5-5" } },
  { type: "text", text: "It runs the default export; --parallel runs one per core." },
];

/**
 * A conversation with an MCP call and its result, advice, a fallback marker, and mid-conversation tool
 * changes in a system message (Claude Code's `mid-conversation-tool-changes` beta).
 */
export function betaConversation(): MessageCreateParamsNonStreaming {
  return {
    model: "claude-opus-5-5",
    max_tokens: 1024,
    tools: [WRITE_TOOL, NOTEBOOK_TOOL],
    messages: [
      { role: "user", content: "What does deno serve do?" },
      { role: "assistant", content: ASSISTANT_BETA_BLOCKS },
      {
        role: "system",
        content: [
          { type: "tool_addition", tool: { type: "tool_reference", name: "NotebookEdit" } },
          { type: "tool_removal", tool: { type: "tool_reference", name: "Write" } },
          { type: "tool_addition", tool: { type: "mcp_toolset_reference", server_name: "deno-docs" } },
        ],
      },
      { role: "user", content: "Thanks. Edit the first cell." },
    ],
  };
}

/** A conversation continued after a server-side compaction: the history before the summary is stale. */
export function compactedConversation(): MessageCreateParamsNonStreaming {
  return {
    model: "claude-opus-5-5",
    max_tokens: 1024,
    tools: [WRITE_TOOL],
    messages: [
      { role: "user", content: "A long question from before the compaction." },
      { role: "assistant", content: "A long answer from before the compaction." },
      { role: "user", content: "Go on." },
      {
        role: "assistant",
        content: [
          {
            type: "compaction",
            content: "The user is writing a Deno server; hello.ts was created.",
            encrypted_content: "opaque-state",
            tool_changes: [{
              type: "tool_addition",
              tool: {
                type: "tool_definition",
                definition: { name: "Read", input_schema: { type: "object", properties: {} } },
              },
            }],
            cache_control: { type: "ephemeral" },
          },
        ],
      },
      { role: "user", content: "Now add a test." },
    ],
  };
}
