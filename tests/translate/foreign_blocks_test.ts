import assert from "node:assert/strict";
import { parseMessagesRequest } from "../../src/anthropic/parse.ts";
import type { ForeignBlock, MessagesRequest } from "../../src/anthropic/types.ts";
import { toConverseRequest } from "../../src/translate/bedrock/to_converse.ts";
import { toInvokeBody } from "../../src/translate/bedrock/to_invoke.ts";
import { foreignBlockText } from "../../src/translate/foreign_blocks.ts";
import { PROVIDERS } from "../../src/translate/openai/providers.ts";
import { toOpenAIRequest } from "../../src/translate/openai/to_openai.ts";
import { prepareRequest } from "../../src/translate/prepare.ts";
import { DEFAULT_LIMITS } from "../../src/limits.ts";
import { estimateInputTokens, type TokenCountRequest } from "../../src/tokens.ts";
import { createTokenCounter } from "../../src/tokens/token_counter.ts";
import { betaConversation, compactedConversation } from "../support/beta_requests.ts";
import { forSnapshot } from "./bedrock/_bedrock_helpers.ts";

const CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const FOREIGN_TYPES =
  /"type":"(compaction|mcp_tool_use|mcp_tool_result|advisor_tool_result|fallback|tool_addition|tool_removal|unknown|hologram|browser_state)"/;

// The BPE count as count_tokens makes it (in the tokenizer worker, which stops by itself when idle).
const counter = createTokenCounter(DEFAULT_LIMITS);
async function countInputTokens(request: TokenCountRequest): Promise<number> {
  const count = await counter.count(request);
  assert.equal(count.method, "tokenizer");
  return count.tokens;
}

/** A request with blocks of types relayx does not know, with and without text. */
function unknownBlocks(): MessagesRequest {
  return parseMessagesRequest({
    model: "claude-opus-5-5",
    max_tokens: 100,
    tools: [{ name: "Browse", input_schema: { type: "object" } }],
    messages: [
      {
        role: "user",
        content: [{ type: "hologram", frames: [1, 2] }, { type: "text", text: "Open the page" }],
      },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Browse", input: {} }] },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_1",
            content: [{ type: "text", text: "opened" }, { type: "browser_state", tabs: [] }],
          },
          { type: "margin_note", text: "A note in a block type from the future" },
        ],
      },
    ],
  });
}

const CASES: Record<string, () => MessagesRequest> = {
  "MCP calls, advice, a fallback and tool changes": () => parseMessagesRequest(betaConversation()),
  "a compaction summary": () => parseMessagesRequest(compactedConversation()),
  "blocks of unknown types": unknownBlocks,
};

/** The request as each upstream receives it, with the warnings. */
function translations(req: MessagesRequest) {
  const warnings: string[] = [];
  const warn = (w: string) => warnings.push(w);
  const prepared = prepareRequest(req, warn);
  const openai = toOpenAIRequest(prepared, {
    model: "gpt-4.1",
    provider: PROVIDERS.openai,
    maxOutputTokens: 32768,
    stream: false,
    warn,
  });
  const converse = toConverseRequest(prepared, { modelId: CLAUDE, warn });
  const invoke = toInvokeBody(prepared, { modelId: CLAUDE, warn });
  return { openai, converse, invoke, warnings: [...new Set(warnings)] };
}

Deno.test("foreignBlockText() turns what carries content into text and drops the rest with a warning", async (t) => {
  const cases: [ForeignBlock, string | undefined][] = [
    [
      { type: "compaction", content: "Summary.", cache_control: { type: "ephemeral" } },
      "[Summary of the earlier conversation]\nSummary.",
    ],
    [{ type: "compaction", content: null }, undefined],
    [
      { type: "mcp_tool_use", id: "m1", name: "search", server_name: "docs", input: { q: 1 } },
      '[MCP tool call docs/search: {"q":1}]',
    ],
    [
      { type: "mcp_tool_result", tool_use_id: "m1", content: "found", is_error: true },
      "[MCP tool error: found]",
    ],
    [
      { type: "advisor_tool_result", tool_use_id: "s", content: { type: "advisor_result", text: "Do X" } },
      "[Advisor: Do X]",
    ],
    [{
      type: "advisor_tool_result",
      tool_use_id: "s",
      content: { type: "advisor_redacted_result", encrypted_content: "e" },
    }, undefined],
    [{ type: "fallback", from: { model: "a" }, to: { model: "b" } }, undefined],
    [
      { type: "tool_addition", tool: { type: "tool_reference", name: "Bash" } },
      "Tool Bash is now available.",
    ],
    [
      { type: "tool_removal", tool: { type: "tool_reference", name: "Bash" } },
      "Tool Bash is no longer available.",
    ],
    [{ type: "tool_addition", tool: { type: "mcp_tool_reference", name: "x", server_name: "s" } }, undefined],
    [{ type: "unknown", block: { type: "hologram" } }, undefined],
    [{ type: "unknown", block: { type: "note", content: "Read me" } }, "Read me"],
  ];
  for (const [block, expected] of cases) {
    await t.step(`${block.type}${expected === undefined ? " (dropped)" : ""}`, () => {
      const warnings: string[] = [];
      const out = foreignBlockText(block, (w) => warnings.push(w));
      assert.equal(out?.text, expected);
      const silent = block.type === "compaction";
      assert.equal(warnings.length, expected === undefined && !silent ? 1 : 0, warnings.join("; "));
      if ("cache_control" in block && block.cache_control) {
        assert.deepEqual(out?.cache_control, block.cache_control);
      }
    });
  }
});

Deno.test("every translator renders the blocks of beta features and unknown blocks, never refusing them", async (t) => {
  for (const [name, make] of Object.entries(CASES)) {
    await t.step(name, async (t) => {
      const req = make();
      const before = structuredClone(req);
      const out = translations(req);
      assert.deepEqual(req, before, "the input is not mutated");
      for (
        const [path, body] of Object.entries({
          openai: out.openai,
          converse: out.converse,
          invoke: out.invoke,
        })
      ) {
        assert.doesNotMatch(
          JSON.stringify(body),
          FOREIGN_TYPES,
          `${path}: no foreign block type goes upstream`,
        );
      }
      await t.assertSnapshot({ ...out, converse: forSnapshot(out.converse) });
    });
  }

  await t.step("the same text reaches every upstream", () => {
    const out = translations(parseMessagesRequest(betaConversation()));
    for (const body of [out.openai, out.converse, out.invoke]) {
      const json = JSON.stringify(body);
      assert.match(json, /\[MCP tool call deno-docs\/search_docs: \{\\"query\\":\\"deno serve\\"\}\]/);
      assert.match(json, /\[MCP tool result: deno serve runs the default export of a module\.\]/);
      assert.match(json, /\[Advisor: Mention --parallel\.\]/);
      assert.match(json, /Tool NotebookEdit is now available\./);
      assert.match(json, /Tool Write is no longer available\./);
    }
    assert.ok(out.warnings.some((w) => w.startsWith("fallback:")));
    assert.ok(out.warnings.some((w) => w.includes("MCP tools cannot run")));
  });

  await t.step("translators called without prepareRequest render them too", () => {
    for (const make of Object.values(CASES)) {
      const req = make();
      const warn = () => {};
      const openai = toOpenAIRequest(req, {
        model: "gpt-4.1",
        provider: PROVIDERS.openai,
        maxOutputTokens: 32768,
        stream: true,
        warn,
      });
      for (
        const body of [
          openai,
          toConverseRequest(req, { modelId: CLAUDE, warn }),
          toInvokeBody(req, { modelId: CLAUDE, warn }),
        ]
      ) {
        assert.doesNotMatch(JSON.stringify(body), FOREIGN_TYPES);
      }
    }
  });
});

Deno.test("token counting counts the blocks of beta features and unknown blocks", async () => {
  const withBlocks = prepareRequest(parseMessagesRequest(betaConversation()), () => {});
  const without = {
    ...withBlocks,
    messages: withBlocks.messages.map((m) => ({
      ...m,
      content: m.content.filter((b) =>
        b.type === "text" || b.type === "tool_use" || b.type === "tool_result"
      ),
    })),
  };
  assert.ok(estimateInputTokens(withBlocks) > estimateInputTokens(without) + 20);
  assert.ok((await countInputTokens(withBlocks)) > (await countInputTokens(without)) + 20);
  const unknown = prepareRequest(unknownBlocks(), () => {});
  assert.ok(estimateInputTokens(unknown) > 0);
});
