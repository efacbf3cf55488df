/**
 * One conversation moving between Bedrock (Claude over InvokeModel) and an Anthropic-format upstream,
 * through a real relayx started with a configuration file of the two, driven by the official SDK: each
 * mock receives only the thinking signatures it issued, byte for byte, and tool ids its rules take.
 */
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { message, startMockAnthropic } from "../support/mock_anthropic.ts";
import { invokeMessage, invokeStream, startMockBedrock } from "../support/mock_bedrock.ts";

const root = new URL("../../", import.meta.url).pathname;
const SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const BEDROCK_SIG = "EqQBCkgIARABGAIiQL+9/bedrock==";
const GLM_SIG = "glm-signature-1";
// A tool id of Kimi's shape, which Bedrock's rule (`[a-zA-Z0-9_-]`) does not take.
const KIMI_ID = "functions.Bash:1";

async function startRelayx(file: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      `--allow-read=${file}`,
      "--no-prompt",
      "main.ts",
      "--config",
      file,
    ],
    cwd: root,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      // The real home: Deno's module cache is under it (and without --allow-read, ~/.aws is never read).
      HOME: Deno.env.get("HOME") ?? "/tmp",
      NO_COLOR: "1",
      SERVER_PORT: "0",
      AWS_ACCESS_KEY_ID: "AKIDRELAYXTEST",
      AWS_SECRET_ACCESS_KEY: "relayx-test-secret",
      GLM_KEY: "sk-test-glm",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { done, value } = await lines.read();
    if (done) break;
    out += value;
  }
  const url = out.match(/listening on (http:\/\/\S+)/)?.[1];
  const logs: string[] = [];
  const drain = (async () => {
    for (;;) {
      const { done, value } = await lines.read();
      if (done) break;
      logs.push(value);
    }
  })();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await drain;
    await child.stderr.cancel();
  };
  return { url, banner: out, logs, stop };
}

// Bedrock's Claude, streamed: thinking with its signature, then a tool call.
function bedrockToolTurn() {
  return invokeStream([
    {
      type: "message_start",
      message: {
        id: "msg_bdrk_1",
        type: "message",
        role: "assistant",
        model: "claude-opus-5-5",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 20, output_tokens: 1 },
      },
    },
    {
      type: "content_block_start",
      index: 0,
      content_block: { type: "thinking", thinking: "", signature: "" },
    },
    { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Use ls." } },
    { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: BEDROCK_SIG } },
    { type: "content_block_stop", index: 0 },
    {
      type: "content_block_start",
      index: 1,
      content_block: { type: "tool_use", id: "toolu_bdrk_01", name: "Bash", input: {} },
    },
    {
      type: "content_block_delta",
      index: 1,
      delta: { type: "input_json_delta", partial_json: '{"command":"ls"}' },
    },
    { type: "content_block_stop", index: 1 },
    {
      type: "message_delta",
      delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { output_tokens: 9 },
    },
    { type: "message_stop" },
  ]);
}

type Block = { type: string; signature?: string; id?: string; tool_use_id?: string };
type Body = { messages: { role: string; content: Block[] }[]; thinking?: unknown };

function blocks(body: unknown): Block[] {
  return (body as Body).messages.flatMap((m) => m.content);
}

/** What an upstream that issued `issued` takes: only its own signatures, and tool ids of `pattern`. */
function assertValidFor(body: unknown, issued: string[], pattern: RegExp): void {
  for (const b of blocks(body)) {
    if (b.type === "thinking") {
      assert.ok(issued.includes(b.signature!), `a foreign signature: ${b.signature}`);
    }
    if (b.type === "tool_use") assert.match(b.id!, pattern);
    if (b.type === "tool_result") assert.match(b.tool_use_id!, pattern);
  }
}

Deno.test("main.ts: a conversation moves between Bedrock and an Anthropic-format upstream", async () => {
  await using bedrock = await startMockBedrock();
  await using glm = startMockAnthropic();
  const dir = await Deno.makeTempDir();
  const file = `${dir}/relayx.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      backends: {
        bedrock: { type: "bedrock", region: "us-east-1", api: "invoke", endpoint: bedrock.url },
        glm: { type: "anthropic", baseUrl: glm.url, apiKey: "${GLM_KEY}" },
      },
      routes: [{ match: { model: "claude-haiku-*" }, to: "glm/glm-4.6" }, { to: `bedrock/${SONNET}` }],
    }),
  );
  const server = await startRelayx(file);
  try {
    assert.ok(server.url, `no start-up line: ${server.banner}`);
    const client = new Anthropic({ baseURL: server.url, apiKey: "dummy", maxRetries: 0 });
    const thinking = { type: "enabled", budget_tokens: 1024 } as const;
    const ask = { role: "user", content: "List the files, then count them." } as const;

    // 1. Opus on Bedrock, streamed: the signature arrives tagged with the backend.
    bedrock.enqueue(bedrockToolTurn());
    const first = await client.messages.stream({
      model: "claude-opus-5-5",
      max_tokens: 2000,
      thinking,
      messages: [ask],
    })
      .finalMessage();
    assert.deepEqual(first.content[0], {
      type: "thinking",
      thinking: "Use ls.",
      signature: `relayx1.o.bedrock.${BEDROCK_SIG}`,
    });
    const history: Anthropic.MessageParam[] = [
      ask,
      { role: "assistant", content: first.content },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_bdrk_01", content: "a.txt b.txt" }],
      },
    ];

    // 2. `/model haiku`: the same conversation on GLM, which never sees Bedrock's signature.
    glm.enqueue(message([
      { type: "thinking", thinking: "Count them.", signature: GLM_SIG },
      { type: "tool_use", id: KIMI_ID, name: "Bash", input: { command: "ls | wc -l" } },
    ], "tool_use"));
    const { data: second, response } = await client.messages
      .create({ model: "claude-haiku-4-5", max_tokens: 2000, thinking, messages: history })
      .withResponse();
    assert.match(response.headers.get("x-relayx-warnings") ?? "", /1 block from backend "bedrock" dropped/);
    const toGlm = glm.requests.at(-1)!.body;
    assert.deepEqual(blocks(toGlm).filter((b) => b.type === "thinking"), []);
    assertValidFor(toGlm, [GLM_SIG], /^.+$/);
    assert.deepEqual(second.content[0], {
      type: "thinking",
      thinking: "Count them.",
      signature: `relayx1.o.glm.${GLM_SIG}`,
    });
    history.push(
      { role: "assistant", content: second.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: KIMI_ID, content: "2" }] },
    );

    // 3. Back on Bedrock: its own signature byte for byte, none of GLM's, and GLM's tool id aliased.
    bedrock.enqueue(invokeMessage("Two files."));
    const third = await client.messages.create({
      model: "claude-opus-5-5",
      max_tokens: 2000,
      thinking,
      messages: history,
    });
    assert.deepEqual(third.content, [{ type: "text", text: "Two files." }]);
    const toBedrock = bedrock.requests.at(-1)!;
    assert.equal(toBedrock.operation, "invoke");
    assert.equal(toBedrock.modelId, SONNET);
    const sent = (toBedrock.body as Body).messages;
    assert.deepEqual(sent[1]?.content[0], { type: "thinking", thinking: "Use ls.", signature: BEDROCK_SIG });
    assertValidFor(toBedrock.body, [BEDROCK_SIG], /^[a-zA-Z0-9_-]{1,64}$/);
    const alias = sent[3]?.content.find((b) => b.type === "tool_use")?.id;
    assert.ok(alias && alias !== KIMI_ID);
    assert.equal(sent[4]?.content[0]?.tool_use_id, alias, "the tool result names the aliased call");
    // GLM's tool turn carries no thinking Bedrock can prove: Claude would reject thinking on.
    assert.deepEqual((toBedrock.body as Body).thinking, { type: "disabled" });
    history.push({ role: "assistant", content: third.content }, { role: "user", content: "Thanks." });

    // 4. Back on GLM: its signature and its tool id as it made them.
    glm.enqueue(message([{ type: "text", text: "You're welcome." }]));
    await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 2000,
      thinking,
      messages: history,
    });
    const again = glm.requests.at(-1)!.body as Body;
    assert.deepEqual(again.messages[3]?.content[0], {
      type: "thinking",
      thinking: "Count them.",
      signature: GLM_SIG,
    });
    assert.equal(again.messages[3]?.content[1]?.id, KIMI_ID);
    assert.equal(again.messages[4]?.content[0]?.tool_use_id, KIMI_ID);
    assert.deepEqual(again.messages[1]?.content.map((b) => b.type), ["tool_use"]);
    assertValidFor(again, [GLM_SIG], /^.+$/);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const log = server.logs.join("");
  assert.match(log, /dropped for backend \\"glm\\"/);
  assert.doesNotMatch(log, /relayx-test-secret|sk-test-glm/);
});
