/**
 * Mutations of the bad-input corpus that are valid, only newer than relayx: unknown block types, the
 * blocks of beta features, unknown fields and beta flags. Each must get a normal answer.
 *
 * @module
 */
import { ASSISTANT_BETA_BLOCKS } from "./beta_requests.ts";
import { ACCEPT, type Gen, type Json, messagesOf, spots } from "./_corpus.ts";
import { withResultItems } from "./_mutations_raw.ts";

const UNKNOWN_TYPES = [
  "hologram",
  "future_block_2027",
  "unknown",
  "video",
  "browser_state",
  "citations_list",
];

function newerShapes(g: Gen): void {
  for (let n = 0; n < 16; n++) {
    const { name, body } = g.base();
    const turns = messagesOf(body);
    const i = g.int(turns.length);
    const m = turns[i]!;
    if (typeof m.content === "string") m.content = [{ type: "text", text: m.content }];
    const type = g.pick(UNKNOWN_TYPES);
    const block = g.random() < 0.3 ? { type, text: "a note" } : { type, payload: { n, list: [1, 2] } };
    (m.content as Json[]).splice(g.int((m.content as Json[]).length + 1), 0, block);
    g.add(`newer: ${name} a "${type}" block in messages.${i}`, body, ACCEPT, { path: countOrNot(g) });
  }
  for (const beta of ASSISTANT_BETA_BLOCKS) {
    const { name, body } = g.base();
    messagesOf(body).push({ role: "assistant", content: [beta] }, { role: "user", content: "go on" });
    g.add(`newer: ${name} a ${beta.type} block`, body, ACCEPT, { path: countOrNot(g) });
  }
  const changes: [string, Json][] = [
    ["tool_addition", { type: "tool_addition", tool: { type: "tool_reference", name: "Bash" } }],
    ["tool_removal", { type: "tool_removal", tool: { type: "tool_reference", name: "Bash" } }],
    ["tool_addition of a definition", {
      type: "tool_addition",
      tool: { type: "tool_definition", definition: { name: "Lint", input_schema: { type: "object" } } },
    }],
    ["compaction", { type: "compaction", content: "Summary so far.", encrypted_content: "x" }],
  ];
  for (const [what, block] of changes) {
    const { name, body } = g.base();
    messagesOf(body).push({ role: "system", content: [block] }, { role: "user", content: "go on" });
    g.add(`newer: ${name} a ${what} in a system message`, body, ACCEPT, { path: countOrNot(g) });
  }
  const fields: [string, (b: Json) => void][] = [
    [
      "unknown top-level fields",
      (b) => Object.assign(b, { thread: { type: "create" }, speed: "fast", diagnostics: {} }),
    ],
    [
      "a __proto__ field",
      (b) => Object.defineProperty(b, "__proto__", { value: { polluted: true }, enumerable: true }),
    ],
    [
      "unknown fields in a message",
      (b) => Object.assign(messagesOf(b)[0]!, { clear_at: "never", weight: 2 }),
    ],
    [
      "unknown fields in a block",
      (b) => Object.assign(spots(b, "text")[0]!.block, { citations: [], x_future: 1 }),
    ],
    [
      "unknown fields in a tool",
      (b) => Object.assign((b.tools as Json[])[0]!, { eager_input_streaming: true, input_examples: [{}] }),
    ],
    [
      "an unknown server tool",
      (b) => (b.tools as Json[]).push({ type: "hologram_tool_20270101", name: "holo" }),
    ],
    ["a nameless toolset", (b) => (b.tools as Json[]).push({ type: "mcp_toolset", mcp_server_name: "docs" })],
    ['thinking "between_tools"', (b) => (b.thinking = { type: "between_tools" })],
    ["an unknown thinking type", (b) => (b.thinking = { type: "telepathic", depth: 3 })],
    ["an unknown effort", (b) => (b.output_config = { effort: "ludicrous" })],
    ["a browser_state tool result", (b) => withResultItems(b, 1)],
  ];
  for (const [what, mutate] of fields) {
    const { name, body } = g.base();
    mutate(body);
    if (what === "a browser_state tool result") {
      ((messagesOf(body).at(-1)!.content as Json[])[0]!.content as Json[]).push({
        type: "browser_state",
        tabs: [],
      });
    }
    g.add(`newer: ${name} ${what}`, body, ACCEPT, { path: countOrNot(g) });
  }
  const betas = [
    "mid-conversation-tool-changes-2026-07-01,per-turn-control-2026-07-01",
    "some-beta-from-2029-01-01",
    "a,,b, ,c",
    "x".repeat(4000),
  ];
  for (const beta of betas) {
    const { name, body } = g.base();
    g.add(`newer: ${name} anthropic-beta ${beta.slice(0, 40)}`, body, ACCEPT, {
      headers: { "anthropic-beta": beta },
    });
  }
}

function countOrNot(g: Gen): "/v1/messages" | "/v1/messages/count_tokens" {
  return g.random() < 0.25 ? "/v1/messages/count_tokens" : "/v1/messages";
}

/** The families of valid shapes newer than relayx. */
export const NEWER: readonly ((g: Gen) => void)[] = [newerShapes];
