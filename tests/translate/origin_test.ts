import assert from "node:assert/strict";
import type { MessageResponse, MessagesRequest, StreamEvent } from "../../src/anthropic/types.ts";
import {
  droppedWarning,
  historyFor,
  readOrigin,
  tagEvent,
  tagOrigin,
  tagResponse,
} from "../../src/translate/origin.ts";
import { decodeSignature, encodeSignature, isRelaySignature } from "../../src/translate/signature.ts";

// A Bedrock Claude signature (standard base64, `+`, `/`, `=` and all), as opaque as the real ones.
const BEDROCK_SIG = "EqQBCkgIARABGAIiQL+9/x1Zk2Q==";
const DEEPSEEK_SIG = encodeSignature("deepseek", { reasoning: "Think in DeepSeek." });

function conversation(blocks: MessagesRequest["messages"][number]["content"]): MessagesRequest {
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    messages: [
      { role: "user", content: [{ type: "text", text: "List the files." }] },
      { role: "assistant", content: blocks },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] },
    ],
  };
}

Deno.test("tagOrigin() and readOrigin()", async (t) => {
  await t.step("round-trip any signature byte for byte", () => {
    for (const sig of [BEDROCK_SIG, DEEPSEEK_SIG, "glm-signature-1", "a.b.c", "ünïcode✓"]) {
      for (const backend of ["bedrock", "glm.4", "z ai", "a%2Eb", "ü"]) {
        const tagged = tagOrigin(sig, backend);
        assert.notEqual(tagged, sig);
        assert.deepEqual(readOrigin(tagged), { backend, signature: sig });
      }
    }
  });

  await t.step("leave an empty signature empty", () => {
    assert.equal(tagOrigin("", "bedrock"), "");
  });

  await t.step("keep the backend name readable and the tag short", () => {
    assert.equal(tagOrigin(BEDROCK_SIG, "bedrock"), `relayx1.o.bedrock.${BEDROCK_SIG}`);
    assert.equal(tagOrigin("s", "glm.4"), "relayx1.o.glm%2E4.s");
  });

  await t.step("read untagged and damaged signatures as untagged", () => {
    for (
      const sig of [BEDROCK_SIG, DEEPSEEK_SIG, "", "relayx1.o.", "relayx1.o.nodot", "relayx1.o.%E0%A4.x"]
    ) {
      assert.equal(readOrigin(sig), undefined, sig);
    }
  });

  await t.step("make a tagged signature one that no backend sends as a real one", () => {
    // A relayx that lost its router (restarted with one backend) must not send it to Anthropic or Bedrock.
    const tagged = tagOrigin(BEDROCK_SIG, "bedrock");
    assert.ok(isRelaySignature(tagged));
    assert.equal(decodeSignature(tagged), undefined, "an OpenAI translator finds no provider data in it");
  });
});

Deno.test("historyFor()", async (t) => {
  const request = conversation([
    { type: "thinking", thinking: "Use ls.", signature: tagOrigin(BEDROCK_SIG, "bedrock") },
    { type: "redacted_thinking", data: tagOrigin("RW5jcnlwdGVk", "bedrock") },
    { type: "thinking", thinking: "Think in DeepSeek.", signature: tagOrigin(DEEPSEEK_SIG, "deepseek") },
    { type: "text", text: "Listing." },
    { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
  ]);
  const before = structuredClone(request);

  await t.step("give the backend that made a signature its own signature back", () => {
    const home = historyFor(request, "bedrock");
    assert.deepEqual(home.request.messages[1]?.content, [
      { type: "thinking", thinking: "Use ls.", signature: BEDROCK_SIG },
      { type: "redacted_thinking", data: "RW5jcnlwdGVk" },
      { type: "text", text: "Listing." },
      { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
    ]);
    assert.deepEqual(home.dropped, { deepseek: 1 });
  });

  await t.step("give relayx's own signature back to the backend whose provider data it carries", () => {
    const home = historyFor(request, "deepseek");
    const thinking = home.request.messages[1]?.content[0];
    assert.deepEqual(thinking, { type: "thinking", thinking: "Think in DeepSeek.", signature: DEEPSEEK_SIG });
    assert.deepEqual(decodeSignature(DEEPSEEK_SIG)?.payload, { reasoning: "Think in DeepSeek." });
    assert.deepEqual(home.dropped, { bedrock: 2 });
  });

  await t.step("drop every block another backend signed, counting them by origin", () => {
    const away = historyFor(request, "glm");
    assert.deepEqual(away.request.messages[1]?.content, [
      { type: "text", text: "Listing." },
      { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
    ]);
    assert.deepEqual(away.dropped, { bedrock: 2, deepseek: 1 });
    assert.deepEqual(away.request.messages[0], request.messages[0], "other messages are kept");
  });

  await t.step("leave the input unmodified", () => {
    assert.deepEqual(request, before);
  });

  await t.step("pass untagged signatures and untouched requests as they are", () => {
    const untagged = conversation([
      { type: "thinking", thinking: "From Anthropic directly.", signature: BEDROCK_SIG },
      { type: "thinking", thinking: "From a one-backend relayx.", signature: DEEPSEEK_SIG },
      { type: "redacted_thinking", data: "RW5jcnlwdGVk" },
    ]);
    const result = historyFor(untagged, "glm");
    assert.equal(result.request, untagged);
    assert.deepEqual(result.dropped, {});
  });
});

Deno.test("droppedWarning() names each origin once, with its count", () => {
  assert.equal(
    droppedWarning({ bedrock: 2, deepseek: 1 }, "glm"),
    'thinking: 2 blocks from backend "bedrock", 1 block from backend "deepseek" dropped for backend "glm"' +
      " (a signature is valid only where it was made)",
  );
  assert.equal(droppedWarning({}, "glm"), undefined);
});

Deno.test("tagResponse() tags thinking signatures and redacted data, nothing else", () => {
  const message: MessageResponse = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [
      { type: "thinking", thinking: "Use ls.", signature: BEDROCK_SIG },
      { type: "thinking", thinking: "", signature: "" },
      { type: "redacted_thinking", data: "RW5jcnlwdGVk" },
      { type: "text", text: "Listing." },
      { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
    ],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
  const before = structuredClone(message);
  const tagged = tagResponse(message, "bedrock");
  assert.deepEqual(tagged.content, [
    { type: "thinking", thinking: "Use ls.", signature: `relayx1.o.bedrock.${BEDROCK_SIG}` },
    { type: "thinking", thinking: "", signature: "" },
    { type: "redacted_thinking", data: "relayx1.o.bedrock.RW5jcnlwdGVk" },
    { type: "text", text: "Listing." },
    { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
  ]);
  assert.deepEqual(message, before);
  // The client sends it back: the backend that made it gets it exactly.
  const back = historyFor(conversation(tagged.content), "bedrock").request.messages[1]?.content;
  assert.deepEqual(back, message.content);
});

Deno.test("tagEvent() tags signature_delta, thinking starts that carry a signature, and redacted_thinking starts", () => {
  const events: StreamEvent[] = [
    {
      type: "content_block_start",
      index: 0,
      content_block: { type: "thinking", thinking: "", signature: "" },
    },
    { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Use ls." } },
    { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: BEDROCK_SIG } },
    { type: "content_block_stop", index: 0 },
    { type: "content_block_start", index: 1, content_block: { type: "redacted_thinking", data: "RW5j" } },
    { type: "content_block_stop", index: 1 },
    // An upstream that sends the signature with the block's start.
    {
      type: "content_block_start",
      index: 2,
      content_block: { type: "thinking", thinking: "", signature: BEDROCK_SIG },
    },
  ];
  const tagged = events.map((e) => tagEvent(e, "bedrock"));
  assert.deepEqual(tagged[2], {
    type: "content_block_delta",
    index: 0,
    delta: { type: "signature_delta", signature: `relayx1.o.bedrock.${BEDROCK_SIG}` },
  });
  assert.deepEqual(tagged[4], {
    type: "content_block_start",
    index: 1,
    content_block: { type: "redacted_thinking", data: "relayx1.o.bedrock.RW5j" },
  });
  assert.deepEqual(tagged[6], {
    type: "content_block_start",
    index: 2,
    content_block: { type: "thinking", thinking: "", signature: `relayx1.o.bedrock.${BEDROCK_SIG}` },
  });
  for (const i of [0, 1, 3, 5]) assert.equal(tagged[i], events[i], `event ${i} passes as it is`);
});
