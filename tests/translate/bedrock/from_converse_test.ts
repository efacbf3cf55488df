import assert from "node:assert/strict";
import { fromConverseResponse } from "../../../src/translate/bedrock/from_converse.ts";
import { toolNameMap } from "../../../src/translate/tool_names.ts";
import { fixedIds, warnings } from "./_bedrock_helpers.ts";
import reasoningTool from "../../testdata/bedrock/converse_response_reasoning_tool.json" with {
  type: "json",
};
import stopSequence from "../../testdata/bedrock/converse_response_stop_sequence.json" with { type: "json" };
import guardrail from "../../testdata/bedrock/converse_response_guardrail.json" with { type: "json" };

const MCP = "mcp__github_enterprise_server__get_repository_file_contents_by_path_v2";

function options(warn: (m: string) => void = () => {}) {
  return {
    model: "claude-sonnet-4-5",
    messageId: "msg_relay_1",
    ids: fixedIds(),
    names: toolNameMap(["Read", MCP]),
    warn,
  };
}

Deno.test("fromConverseResponse()", async (t) => {
  await t.step(
    "translates reasoning, redacted reasoning, text and a tool call with its name restored",
    async (t) => {
      const msg = fromConverseResponse(reasoningTool, options());
      assert.equal(msg.model, "claude-sonnet-4-5");
      assert.equal(msg.id, "msg_relay_1");
      assert.deepEqual(msg.content.map((b) => b.type), ["thinking", "redacted_thinking", "text", "tool_use"]);
      const tool = msg.content[3];
      assert.ok(tool?.type === "tool_use");
      assert.equal(tool.name, MCP);
      assert.equal(tool.id, "tooluse_8sD0fG2hJ4kL6zX8cV0bN2");
      assert.equal(msg.stop_reason, "tool_use");
      assert.deepEqual(msg.usage, {
        input_tokens: 40,
        output_tokens: 77,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 5000,
      });
      await t.assertSnapshot(msg);
    },
  );

  await t.step("reads redacted reasoning given as SDK bytes as well as base64", () => {
    const bytes = new TextEncoder().encode("opaque-redacted-reasoning");
    const msg = fromConverseResponse(
      {
        output: {
          message: { role: "assistant", content: [{ reasoningContent: { redactedContent: bytes } }] },
        },
      },
      options(),
    );
    assert.deepEqual(msg.content, [{
      type: "redacted_thinking",
      data: "b3BhcXVlLXJlZGFjdGVkLXJlYXNvbmluZw==",
    }]);
    assert.equal(msg.stop_reason, "end_turn");
  });

  await t.step("reports the matched stop sequence", () => {
    const msg = fromConverseResponse(stopSequence, options());
    assert.equal(msg.stop_reason, "stop_sequence");
    assert.equal(msg.stop_sequence, "</answer>");
  });

  await t.step("turns a guardrail intervention into a refusal", () => {
    assert.equal(fromConverseResponse(guardrail, options()).stop_reason, "refusal");
  });

  await t.step("sends malformed output as end_turn with a warning", () => {
    const w = warnings();
    const msg = fromConverseResponse({ ...guardrail, stopReason: "malformed_tool_use" }, options(w.warn));
    assert.equal(msg.stop_reason, "end_turn");
    assert.deepEqual(w.list, ["stop_reason: Bedrock reported malformed_tool_use; sent as end_turn"]);
  });

  await t.step("gives a tool call without an id a generated one", () => {
    const msg = fromConverseResponse(
      { output: { message: { content: [{ toolUse: { name: "Read", input: { file_path: "/a" } } }] } } },
      options(),
    );
    assert.deepEqual(msg.content, [{
      type: "tool_use",
      id: "toolu_test_1",
      name: "Read",
      input: { file_path: "/a" },
    }]);
  });
});

Deno.test("fromConverseResponse() signs the reasoning of models that send no signature", () => {
  const msg = fromConverseResponse({
    output: {
      message: {
        role: "assistant",
        content: [{ reasoningContent: { reasoningText: { text: "Let me think." } } }, { text: "Done." }],
      },
    },
    stopReason: "end_turn",
    usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
  }, options());
  const thinking = msg.content[0];
  assert.equal(thinking?.type, "thinking");
  assert.match(thinking?.type === "thinking" ? thinking.signature : "", /^relayx1\.bedrock\./);
});
