import assert from "node:assert/strict";
import type { StreamEvent } from "../../../src/anthropic/types.ts";
import { RelayError } from "../../../src/errors.ts";
import { fromInvokeResponse, fromInvokeStream } from "../../../src/translate/bedrock/invoke_stream.ts";
import { toolNameMap } from "../../../src/translate/tool_names.ts";
import { checkStream, collect, fixedIds, replay, warnings } from "./_bedrock_helpers.ts";
import thinkingTool from "../../testdata/bedrock/invoke_stream_thinking_tool.json" with { type: "json" };
import serverBlocks from "../../testdata/bedrock/invoke_stream_server_blocks.json" with { type: "json" };
import response from "../../testdata/bedrock/invoke_response_tool.json" with { type: "json" };

function options(warn: (m: string) => void = () => {}) {
  return {
    model: "claude-opus-5-5",
    messageId: "msg_relay_2",
    ids: fixedIds(),
    names: toolNameMap(["Bash"]),
    warn,
    inputEstimate: 999,
  };
}

async function translate(chunks: readonly unknown[], warn?: (m: string) => void): Promise<StreamEvent[]> {
  return await collect(fromInvokeStream(replay(chunks), options(warn)));
}

Deno.test("fromInvokeStream()", async (t) => {
  await t.step("passes thinking, text and a tool call through with the requested model name", async (t) => {
    const events = await translate(thinkingTool);
    const msg = checkStream(events);
    assert.deepEqual(msg.content.map((b) => b.type), ["thinking", "text", "tool_use"]);
    assert.deepEqual(msg.content[2], {
      type: "tool_use",
      id: "toolu_bdrk_01AbCdEf",
      name: "Bash",
      input: { command: "ls" },
    });
    const start = events[0];
    assert.ok(start?.type === "message_start");
    assert.equal(start.message.model, "claude-opus-5-5");
    assert.equal(start.message.id, "msg_relay_2");
    assert.equal(start.message.usage.cache_creation_input_tokens, 1500);
    assert.equal(msg.stopReason, "tool_use");
    // The invocation metrics fill the figures the message_delta lacked, and never leak out.
    assert.deepEqual(msg.usage, {
      input_tokens: 24,
      output_tokens: 88,
      cache_creation_input_tokens: 1500,
      cache_read_input_tokens: 0,
    });
    assert.ok(!JSON.stringify(events).includes("invocationMetrics"));
    assert.ok(
      !JSON.stringify(events).includes("citations"),
      "fields relayx does not declare are not passed on",
    );
    await t.assertSnapshot(events);
  });

  await t.step("skips server-tool blocks and citations, renumbering the blocks it keeps", async (t) => {
    const w = warnings();
    const events = await translate(serverBlocks, w.warn);
    const msg = checkStream(events);
    assert.deepEqual(msg.content, [{ type: "text", text: "Found it." }]);
    assert.equal(msg.usage.output_tokens, 33, "output tokens come from the metrics when the delta has none");
    assert.equal(w.list.length, 2);
    await t.assertSnapshot(events);
  });

  await t.step("ends a stream cut after message_delta with message_stop", async () => {
    const cut = thinkingTool.slice(0, -1);
    const msg = checkStream(await translate(cut));
    assert.equal(msg.stopReason, "tool_use");
    assert.equal(msg.usage.output_tokens, 88);
  });

  await t.step("closes a block the stream left open", async () => {
    const open = [...thinkingTool.slice(0, 8), thinkingTool.at(-2), thinkingTool.at(-1)];
    const msg = checkStream(await translate(open));
    assert.deepEqual(msg.content.map((b) => b.type), ["thinking", "text"]);
  });

  await t.step("throws when the stream ends before message_delta", async () => {
    await assert.rejects(() => translate(thinkingTool.slice(0, 5)), /ended before message_delta/);
  });

  await t.step("throws an error chunk as its Anthropic error", async () => {
    const chunks = [thinkingTool[0], {
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
    }];
    await assert.rejects(
      () => translate(chunks),
      (e: unknown) => e instanceof RelayError && e.type === "overloaded_error" && e.status === 529,
    );
  });

  await t.step("maps SDK exceptions thrown while iterating", async () => {
    async function* failing(): AsyncGenerator<unknown> {
      yield thinkingTool[0];
      const err = new Error("Too many requests");
      err.name = "ThrottlingException";
      throw err;
    }
    await assert.rejects(
      () => collect(fromInvokeStream(failing(), options())),
      (e: unknown) => e instanceof RelayError && e.status === 429,
    );
  });
});

Deno.test("fromInvokeResponse()", async (t) => {
  await t.step("reports the requested model and relayx's id, keeping only declared fields", async (t) => {
    const msg = fromInvokeResponse(response, options());
    assert.equal(msg.model, "claude-opus-5-5");
    assert.equal(msg.id, "msg_relay_2");
    assert.deepEqual(msg.content[1], { type: "text", text: "Running it." });
    assert.equal(msg.usage.cache_read_input_tokens, 900);
    await t.assertSnapshot(msg);
  });
});
