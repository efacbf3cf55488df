/**
 * The real Claude Code CLI through relayx to the mock OpenAI-compatible upstream.
 */
import assert from "node:assert/strict";
import { createOpenAIBackend } from "../../src/backends/openai.ts";
import { runClaude } from "../support/claude_cli.ts";
import { startMockOpenAI, textStream, toolCallStream } from "../support/mock_openai.ts";
import { startRelay } from "../support/relay.ts";

async function setup() {
  const mock = await startMockOpenAI();
  const relay = startRelay(createOpenAIBackend({
    kind: "openai_compatible",
    apiKey: "sk-test",
    baseUrl: mock.url,
    model: "gpt-4.1",
    smallModel: "gpt-4.1-mini",
    provider: "openai",
  }));
  return {
    mock,
    relay,
    async [Symbol.asyncDispose]() {
      await relay.close();
      await mock.close();
    },
  };
}

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("Claude Code CLI through relayx to an OpenAI-compatible upstream", async (t) => {
  await t.step("a streamed answer with emoji and CJK split across chunks arrives exactly", async () => {
    await using env = await setup();
    const answer = "Hello 👋🏽 from relayx — 你好，世界! ✓";
    env.mock.enqueue({ ...textStream(answer, { pieces: 12 }), split: "bytes", splitSize: 3 });
    const run = await runClaude({ baseUrl: env.relay.url, prompt: "Say hello" });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(run.result?.result, answer);
    assert.equal(run.result?.is_error, false);
    const first: Json = env.mock.requests[0]?.body;
    assert.equal(first.model, "gpt-4.1");
    assert.equal(first.stream, true);
    assert.ok(!first.tools.some((x: Json) => x.function.name === "DeferredToolPlaceholder"));
  });

  await t.step("the model writes a file with a tool, the CLI runs it and the model finishes", async () => {
    await using env = await setup();
    const cwd = await Deno.makeTempDir({ prefix: "relayx-cc-cwd-" });
    const path = `${cwd}/hello.txt`;
    env.mock.enqueue(
      toolCallStream([{
        id: "call_write_1",
        name: "Write",
        args: { file_path: path, content: "hi from relayx\n" },
      }], {
        argPieces: 4,
      }),
      textStream("I wrote hello.txt."),
    );
    const run = await runClaude({ baseUrl: env.relay.url, prompt: "Write hello.txt", cwd });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(await Deno.readTextFile(path), "hi from relayx\n");
    assert.equal(run.result?.result, "I wrote hello.txt.");
    assert.equal(env.mock.requests.length, 2);
    const follow: Json = env.mock.requests[1]?.body;
    const assistant = follow.messages.findLast((m: Json) => m.role === "assistant");
    assert.equal(assistant.tool_calls[0].id, "call_write_1");
    const tool = follow.messages.find((m: Json) => m.role === "tool");
    assert.equal(tool.tool_call_id, "call_write_1");
    assert.doesNotMatch(JSON.stringify(tool.content), /^"Error/);
  });
});
