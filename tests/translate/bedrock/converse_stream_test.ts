import assert from "node:assert/strict";
import type { StreamEvent } from "../../../src/anthropic/types.ts";
import { RelayError } from "../../../src/errors.ts";
import { fromConverseStream } from "../../../src/translate/bedrock/converse_stream.ts";
import { toolNameMap } from "../../../src/translate/tool_names.ts";
import { checkStream, collect, fixedIds, replay, warnings } from "./_bedrock_helpers.ts";
import text from "../../testdata/bedrock/converse_stream_text.json" with { type: "json" };
import parallel from "../../testdata/bedrock/converse_stream_parallel_tools.json" with { type: "json" };
import reasoning from "../../testdata/bedrock/converse_stream_reasoning_tool.json" with { type: "json" };
import redacted from "../../testdata/bedrock/converse_stream_redacted.json" with { type: "json" };
import exception from "../../testdata/bedrock/converse_stream_exception.json" with { type: "json" };
import overflow from "../../testdata/bedrock/converse_stream_overflow.json" with { type: "json" };
import noMetadata from "../../testdata/bedrock/converse_stream_no_metadata.json" with { type: "json" };
import truncated from "../../testdata/bedrock/converse_stream_truncated.json" with { type: "json" };

const MCP = "mcp__github_enterprise_server__get_repository_file_contents_by_path_v2";

function options(warn: (m: string) => void = () => {}) {
  return {
    model: "claude-sonnet-4-5",
    messageId: "msg_relay_1",
    ids: fixedIds(),
    names: toolNameMap(["Read", "Bash", MCP]),
    warn,
    inputEstimate: 1234,
    contextWindow: 200_000,
  };
}

async function translate(events: readonly unknown[], warn?: (m: string) => void): Promise<StreamEvent[]> {
  return await collect(fromConverseStream(replay(events), options(warn)));
}

Deno.test("fromConverseStream()", async (t) => {
  await t.step(
    "streams text, skipping the empty first delta, and reports cache tokens from metadata",
    async (t) => {
      const events = await translate(text);
      const msg = checkStream(events);
      assert.deepEqual(msg.content, [{ type: "text", text: "Hello, wörld — ✓" }]);
      assert.equal(msg.stopReason, "end_turn");
      assert.deepEqual(msg.usage, {
        input_tokens: 12,
        output_tokens: 6,
        cache_creation_input_tokens: 200,
        cache_read_input_tokens: 1800,
      });
      const start = events[0];
      assert.ok(start?.type === "message_start");
      assert.equal(start.message.model, "claude-sonnet-4-5");
      assert.equal(
        start.message.usage.input_tokens,
        1234,
        "the estimate stands until Bedrock's figures arrive",
      );
      await t.assertSnapshot(events);
    },
  );

  await t.step("streams parallel tool calls as separate blocks with restored names", async (t) => {
    const events = await translate(parallel);
    const msg = checkStream(events);
    assert.deepEqual(msg.content, [
      { type: "text", text: "Reading both files." },
      {
        type: "tool_use",
        id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
        name: "Read",
        input: { file_path: "/work/app/README.md" },
      },
      {
        type: "tool_use",
        id: "tooluse_Qw3rTy9UiOp0AsDfGhJkLz",
        name: MCP,
        input: { owner: "acme", repo: "app", path: "docs/spec.md" },
      },
      { type: "tool_use", id: "tooluse_NoArgs000000000000000", name: "ListAgents", input: {} },
    ]);
    assert.equal(msg.stopReason, "tool_use");
    await t.assertSnapshot(events);
  });

  await t.step("streams reasoning with its signature, then a tool call", async (t) => {
    const events = await translate(reasoning);
    const msg = checkStream(events);
    assert.equal(msg.content.length, 2);
    const thinking = msg.content[0];
    assert.ok(thinking?.type === "thinking");
    assert.equal(thinking.thinking, "The user wants the file list; Bash with ls will do.");
    assert.match(thinking.signature, /^EqQB/);
    assert.deepEqual(msg.content[1], {
      type: "tool_use",
      id: "tooluse_8sD0fG2hJ4kL6zX8cV0bN2",
      name: "Bash",
      input: { command: "ls -la", description: "List files" },
    });
    assert.equal(msg.usage.cache_read_input_tokens, 12_000);
    await t.assertSnapshot(events);
  });

  await t.step("joins redacted reasoning split over deltas (base64 from the raw event stream)", async () => {
    const msg = checkStream(await translate(redacted));
    assert.deepEqual(msg.content, [
      { type: "redacted_thinking", data: "b3BhcXVlLXJlZGFjdGVkLXJlYXNvbmluZw==" },
      { type: "text", text: "Done." },
    ]);
  });

  await t.step("takes redacted reasoning as SDK bytes too", async () => {
    const bytes = new TextEncoder().encode("opaque-redacted-reasoning");
    const events = [
      { messageStart: { role: "assistant" } },
      {
        contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { redactedContent: bytes } } },
      },
      { contentBlockStop: { contentBlockIndex: 0 } },
      { messageStop: { stopReason: "end_turn" } },
      { metadata: { usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } } },
    ];
    const msg = checkStream(await translate(events));
    assert.deepEqual(msg.content, [{
      type: "redacted_thinking",
      data: "b3BhcXVlLXJlZGFjdGVkLXJlYXNvbmluZw==",
    }]);
  });

  await t.step("throws the mapped error for an exception member after content", async () => {
    const seen: StreamEvent[] = [];
    await assert.rejects(
      async () => {
        for await (const e of fromConverseStream(replay(exception), options())) seen.push(e);
      },
      (e: unknown) => e instanceof RelayError && e.status === 429 && e.shouldRetry === true,
    );
    assert.deepEqual(seen.map((e) => e.type), [
      "message_start",
      "content_block_start",
      "content_block_delta",
    ]);
  });

  await t.step("throws an overflow before any event, so it can be an HTTP 400", async () => {
    const seen: StreamEvent[] = [];
    await assert.rejects(
      async () => {
        for await (const e of fromConverseStream(replay(overflow), options())) seen.push(e);
      },
      (e: unknown) =>
        e instanceof RelayError && e.status === 400 &&
        e.message === "prompt is too long: 210443 tokens > 200000 maximum",
    );
    assert.equal(seen.length, 0);
  });

  await t.step("maps errors the SDK throws while iterating", async () => {
    async function* failing(): AsyncGenerator<unknown> {
      yield { messageStart: { role: "assistant" } };
      const err = new Error("Service unavailable");
      err.name = "ServiceUnavailableException";
      throw err;
    }
    await assert.rejects(
      () => collect(fromConverseStream(failing(), options())),
      (e: unknown) => e instanceof RelayError && e.type === "overloaded_error",
    );
  });

  await t.step(
    "finishes without metadata using an estimate, with the stop sequence Claude matched",
    async (t) => {
      const w = warnings();
      const events = await translate(noMetadata, w.warn);
      const msg = checkStream(events);
      assert.equal(msg.stopReason, "stop_sequence");
      assert.equal(msg.stopSequence, "</answer>");
      assert.equal(msg.usage.output_tokens, 3);
      assert.deepEqual(w.list, ["usage: Bedrock sent no usage metadata; output tokens estimated"]);
      await t.assertSnapshot(events);
    },
  );

  await t.step("throws when the stream ends before messageStop", async () => {
    await assert.rejects(() => translate(truncated), /Bedrock stream ended before messageStop/);
  });
});

Deno.test("fromConverseStream() signs the reasoning of models that send no signature", async () => {
  const events = await translate([
    { messageStart: { role: "assistant" } },
    { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { text: "Let me think." } } } },
    { contentBlockStop: { contentBlockIndex: 0 } },
    { contentBlockDelta: { contentBlockIndex: 1, delta: { text: "Done." } } },
    { contentBlockStop: { contentBlockIndex: 1 } },
    { messageStop: { stopReason: "end_turn" } },
    { metadata: { usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 } } },
  ]);
  checkStream(events);
  const signatures = events.flatMap((e) =>
    e.type === "content_block_delta" && e.delta.type === "signature_delta"
      ? [{ index: e.index, sig: e.delta.signature }]
      : []
  );
  assert.equal(signatures.length, 1);
  assert.equal(signatures[0]?.index, 0);
  assert.match(signatures[0]?.sig ?? "", /^relayx1\.bedrock\./);
  const stop = events.findIndex((e) => e.type === "content_block_stop" && e.index === 0);
  const sig = events.findIndex((e) => e.type === "content_block_delta" && e.delta.type === "signature_delta");
  assert.ok(sig < stop, "the signature comes before the block stops");
});
