/**
 * Several backends at once, end to end: relayx started as users start it, with a configuration file that
 * sends haiku names to an OpenAI-compatible mock, every other model to a Bedrock mock (the AWS SDK over
 * h2c, at the file's `endpoint`), and falls back to an Anthropic-format mock. Driven by the official SDK
 * and by the real Claude Code CLI, whose haiku subagent and main model take different routes in one run.
 * Each mock must see exactly the requests its route sends, with the model its target maps to, and
 * relayx's log line names the route, the target that served and every target tried.
 */
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import type { RequestLog } from "../../src/log.ts";
import { type RelayProcess, spawnRelay, until } from "../server/_relay_process.ts";
import { runClaude } from "../support/claude_cli.ts";
import { type MockAnthropic, startMockAnthropic, streamEvents } from "../support/mock_anthropic.ts";
import {
  anthropicEvents,
  bedrockError,
  type BedrockOperation,
  inferenceProfile,
  invokeMessage,
  invokeStream,
  type MockBedrock,
  startMockBedrock,
} from "../support/mock_bedrock.ts";
import { completion, type MockOpenAI, startMockOpenAI, textStream } from "../support/mock_openai.ts";
import { TEST_SECRETS } from "../support/relay.ts";

const CREDENTIALS = { accessKeyId: "AKIDRELAYXTEST", secretAccessKey: "relayx-test-secret" };
const GLM_KEY = "glm-key-never-logged";
const OPUS_PROFILE = "us.anthropic.claude-opus-5-5";
const DATA_PLANE = new Set<BedrockOperation | null>([
  "converse",
  "converse-stream",
  "invoke",
  "invoke-with-response-stream",
]);
/** Per CLI run; a normal run takes 1-3 s. */
const RUN_TIMEOUT_MS = 45_000;

type Json = Record<string, unknown>;

function rec(v: unknown): Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v as Json : {};
}

/** What each mock received on its data plane, one `"MODEL VIA"` line per request. */
interface Seen {
  local: string[];
  bedrock: string[];
  glm: string[];
}

interface Routed extends AsyncDisposable {
  url: string;
  banner: string;
  local: MockOpenAI;
  bedrock: MockBedrock;
  glm: MockAnthropic;
  /** Every data-plane request so far. */
  seen(): Seen;
  /** relayx's log lines of /v1/messages so far. */
  logs(): RequestLog[];
}

async function startRouted(): Promise<Routed> {
  const local = await startMockOpenAI();
  const bedrock = await startMockBedrock({
    profiles: [
      inferenceProfile(OPUS_PROFILE),
      inferenceProfile("us.anthropic.claude-haiku-4-5-20251001-v1:0"),
    ],
    accessKeyId: CREDENTIALS.accessKeyId,
  });
  const glm = startMockAnthropic();
  const dir = await Deno.makeTempDir({ prefix: "relayx-routed-" });
  const file = `${dir}/relayx.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      backends: {
        local: {
          type: "openai",
          baseUrl: local.url,
          apiKey: "sk-test",
          provider: "openai",
          model: "gpt-4.1",
          smallModel: "gpt-4.1-mini",
        },
        bedrock: { type: "bedrock", region: "us-east-1", endpoint: bedrock.url },
        glm: { type: "anthropic", baseUrl: glm.url, apiKey: "${GLM_KEY}" },
      },
      routes: [
        { name: "background", match: { model: "claude-haiku-*" }, to: "local" },
        { name: "main", to: ["bedrock", "glm/glm-4.6"] },
      ],
    }),
  );
  let relay: RelayProcess;
  try {
    relay = await spawnRelay(
      [
        "run",
        "--allow-net",
        "--allow-env",
        `--allow-read=${file}`,
        "main.ts",
        "--config",
        file,
        "--port",
        "0",
      ],
      {
        GLM_KEY,
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        // The file has no key for the control plane (the profile list): the SDK's own variable.
        AWS_ENDPOINT_URL_BEDROCK: bedrock.url,
      },
    );
  } catch (err) {
    await Promise.all([local.close(), bedrock.close(), glm.close()]);
    throw err;
  }
  const lines = () => relay.output().split("\n");
  return {
    url: relay.url,
    banner: lines().slice(0, lines().findIndex((l) => l.startsWith("export ")) + 1).join("\n"),
    local,
    bedrock,
    glm,
    seen: () => ({
      local: local.requests.filter((r) => r.path.endsWith("/chat/completions")).map((r) => {
        const body = rec(r.body);
        return `${body.model} chat.completions${body.stream === true ? " stream" : ""}`;
      }),
      bedrock: bedrock.requests.filter((r) => DATA_PLANE.has(r.operation)).map((r) =>
        `${r.modelId} ${r.operation}`
      ),
      glm: glm.requests.filter((r) => r.path === "/v1/messages").map((r) =>
        `${r.body?.model} messages${r.body?.stream === true ? " stream" : ""}`
      ),
    }),
    logs: () =>
      lines().filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as RequestLog).filter((l) =>
        l.path === "/v1/messages"
      ),
    async [Symbol.asyncDispose]() {
      await relay[Symbol.asyncDispose]();
      await Promise.all([local.close(), bedrock.close(), glm.close()]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      // Nothing relayx printed (start-up lines and log lines alike) holds a key.
      for (const secret of [...TEST_SECRETS, GLM_KEY]) {
        assert.ok(!relay.output().includes(secret), `relayx's output holds "${secret}"`);
      }
    },
  };
}

/**
 * What each mock received since `before`, and relayx's log lines since then, once there are `lines` of
 * them: relayx writes a stream's line when the stream has ended, which may be just after the client saw it.
 */
async function since(
  routed: Routed,
  before: { seen: Seen; logs: number },
  lines: number,
): Promise<{ seen: Seen; logs: RequestLog[] }> {
  await until(() => routed.logs().length >= before.logs + lines);
  const now = routed.seen();
  return {
    seen: {
      local: now.local.slice(before.seen.local.length),
      bedrock: now.bedrock.slice(before.seen.bedrock.length),
      glm: now.glm.slice(before.seen.glm.length),
    },
    logs: routed.logs().slice(before.logs),
  };
}

function mark(routed: Routed): { seen: Seen; logs: number } {
  return { seen: routed.seen(), logs: routed.logs().length };
}

/** The log lines' route, target, tried (none: []) and status. */
function trace(logs: RequestLog[]): [string?, string?, string[]?, number?][] {
  return logs.map((l) => [l.route, l.target, l.tried ?? [], l.status]);
}

/** The joined text of a stream's text deltas. */
async function streamedText(stream: AsyncIterable<Anthropic.RawMessageStreamEvent>): Promise<string> {
  let text = "";
  for await (const e of stream) {
    if (e.type === "content_block_delta" && e.delta.type === "text_delta") text += e.delta.text;
  }
  return text;
}

function toolUse(id: string, name: string, input: Json): Json[] {
  const events = anthropicEvents("", {}).filter((e) => e.type === "message_start");
  return [
    ...events,
    { type: "content_block_start", index: 0, content_block: { type: "tool_use", id, name, input: {} } },
    {
      type: "content_block_delta",
      index: 0,
      delta: { type: "input_json_delta", partial_json: JSON.stringify(input) },
    },
    { type: "content_block_stop", index: 0 },
    {
      type: "message_delta",
      delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { output_tokens: 9 },
    },
    { type: "message_stop" },
  ];
}

async function claude(routed: Routed, prompt: string, env: Record<string, string> = {}) {
  const cwd = await Deno.makeTempDir({ prefix: "relayx-routed-cwd-" });
  const tmp = await Deno.makeTempDir({ prefix: "relayx-routed-tmp-" });
  try {
    const run = await runClaude({
      baseUrl: routed.url,
      prompt,
      cwd,
      timeoutMs: RUN_TIMEOUT_MS,
      env: { CLAUDE_CODE_TMPDIR: tmp, ...env },
    });
    const why = `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
    assert.equal(run.code, 0, why);
    assert.equal(run.result?.is_error, false, why);
    return String(run.result?.result);
  } finally {
    for (const dir of [cwd, tmp]) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test("relayx with a configuration file routes haiku, main model and fallback to three upstreams", async (t) => {
  await using routed = await startRouted();
  const sdk = new Anthropic({ baseURL: routed.url, apiKey: "dummy", maxRetries: 0 });
  const hostOf = (url: string) => new URL(url).host.replaceAll(".", "\\.");

  await t.step("the start-up output names each backend at its host, and each route", () => {
    const { banner } = routed;
    assert.match(
      banner,
      new RegExp(`^backend local: openai_compatible, upstream openai at ${hostOf(routed.local.url)},`, "m"),
    );
    assert.match(
      banner,
      new RegExp(`^backend bedrock: bedrock, Bedrock us-east-1 at ${hostOf(routed.bedrock.url)},`, "m"),
    );
    assert.match(banner, new RegExp(`^backend glm: anthropic, .* at ${hostOf(routed.glm.url)},`, "m"));
    assert.match(banner, /^route background: model=\["claude-haiku-\*"\] -> local$/m);
    assert.match(banner, /^route main: every request -> bedrock, glm\/glm-4\.6$/m);
    assert.match(banner, /^export ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:\d+$/m);
  });

  await t.step(
    "the SDK: haiku to the OpenAI-compatible mock, the rest to Bedrock, stream and not",
    async () => {
      const before = mark(routed);
      const ask = { max_tokens: 100, messages: [{ role: "user" as const, content: "Hi" }] };

      routed.local.enqueue(completion({ text: "small, whole" }));
      const small = await sdk.messages.create({ ...ask, model: "claude-haiku-4-5" });
      assert.deepEqual(small.content, [{ type: "text", text: "small, whole" }]);
      routed.local.enqueue(textStream("small, streamed"));
      const smallStream = await sdk.messages.create({ ...ask, model: "claude-haiku-4-5", stream: true });
      assert.equal(await streamedText(smallStream), "small, streamed");

      routed.bedrock.enqueue(invokeMessage("main, whole", {}));
      const main = await sdk.messages.create({ ...ask, model: "claude-opus-5-5" });
      assert.deepEqual(main.content, [{ type: "text", text: "main, whole" }]);
      routed.bedrock.enqueue(invokeStream(anthropicEvents("main, streamed")));
      const mainStream = await sdk.messages.create({ ...ask, model: "claude-opus-5-5", stream: true });
      assert.equal(await streamedText(mainStream), "main, streamed");

      const got = await since(routed, before, 4);
      assert.deepEqual(got.seen, {
        local: ["gpt-4.1-mini chat.completions", "gpt-4.1-mini chat.completions stream"],
        bedrock: [`${OPUS_PROFILE} invoke`, `${OPUS_PROFILE} invoke-with-response-stream`],
        glm: [],
      });
      assert.deepEqual(trace(got.logs), [
        ["background", "local", [], 200],
        ["background", "local", [], 200],
        ["main", "bedrock", [], 200],
        ["main", "bedrock", [], 200],
      ]);
      assert.deepEqual(got.logs.map((l) => [l.upstream_model, l.stream]), [
        ["gpt-4.1-mini", false],
        ["gpt-4.1-mini", true],
        [OPUS_PROFILE, false],
        [OPUS_PROFILE, true],
      ]);
    },
  );

  await t.step(
    "the SDK: Bedrock answers 503, the Anthropic-format fallback serves, then Bedrock cools down",
    async () => {
      const before = mark(routed);
      routed.bedrock.enqueue(bedrockError("ServiceUnavailableException", undefined, {
        headers: { "retry-after": "1" },
        operation: "invoke-with-response-stream",
      }));
      routed.glm.enqueue({
        kind: "stream",
        events: streamEvents([{ type: "text", text: "from the fallback, streamed" }]),
      });
      const stream = await sdk.messages.create({
        model: "claude-opus-5-5",
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "Hi" }],
      });
      assert.equal(await streamedText(stream), "from the fallback, streamed");
      // Within Bedrock's retry-after, the fallback is asked first, and Bedrock not at all.
      routed.glm.enqueue({
        kind: "message",
        message: {
          id: "msg_up_cool",
          type: "message",
          role: "assistant",
          model: "glm-4.6",
          content: [{ type: "text", text: "from the fallback, whole" }],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 3, output_tokens: 4 },
        },
      });
      const whole = await sdk.messages.create({
        model: "claude-opus-5-5",
        max_tokens: 100,
        messages: [{ role: "user", content: "Hi" }],
      });
      assert.deepEqual(whole.content, [{ type: "text", text: "from the fallback, whole" }]);

      const got = await since(routed, before, 2);
      assert.deepEqual(got.seen, {
        local: [],
        bedrock: [`${OPUS_PROFILE} invoke-with-response-stream`],
        glm: ["glm-4.6 messages stream", "glm-4.6 messages"],
      });
      assert.deepEqual(trace(got.logs), [
        ["main", "glm/glm-4.6", ["bedrock: 529 overloaded_error"], 200],
        ["main", "glm/glm-4.6", [], 200],
      ]);
      // The fallback's own key, never the client's.
      assert.equal(routed.glm.requests.at(-1)?.headers.get("x-api-key"), GLM_KEY);
      // Past the retry-after, Bedrock is first again (the next steps rely on it).
      await new Promise((r) => setTimeout(r, 1100));
    },
  );

  await t.step(
    "Claude Code: the main model on Bedrock starts a haiku subagent, which runs on the OpenAI-compatible mock",
    async () => {
      const before = mark(routed);
      const agent = {
        description: "Find the number",
        prompt: "Say the number.",
        subagent_type: "general-purpose",
        model: "haiku",
        run_in_background: false,
      };
      routed.bedrock.enqueue(
        invokeStream(toolUse("toolu_bdrk_agent1", "Agent", agent)),
        invokeStream(anthropicEvents("The subagent says 42.")),
      );
      routed.local.enqueue(textStream("The number is 42."));
      assert.equal(await claude(routed, "Ask a subagent for the number"), "The subagent says 42.");

      const got = await since(routed, before, 3);
      assert.deepEqual(got.seen, {
        local: ["gpt-4.1-mini chat.completions stream"],
        bedrock: [
          `${OPUS_PROFILE} invoke-with-response-stream`,
          `${OPUS_PROFILE} invoke-with-response-stream`,
        ],
        glm: [],
      });
      assert.deepEqual(trace(got.logs), [
        ["main", "bedrock", [], 200],
        ["background", "local", [], 200],
        ["main", "bedrock", [], 200],
      ]);
      assert.match(String(got.logs[1]?.model), /^claude-haiku-/);
      // The subagent's answer went back to the main model on Bedrock as the Agent call's result.
      const follow = JSON.stringify(routed.bedrock.requests.at(-1)?.body);
      assert.ok(follow.includes("toolu_bdrk_agent1") && follow.includes("The number is 42."), follow);
    },
  );

  await t.step(
    "Claude Code: Bedrock throttles, the Anthropic-format fallback answers in the same request",
    async () => {
      const before = mark(routed);
      routed.bedrock.enqueue(bedrockError("ThrottlingException", undefined, {
        headers: { "retry-after": "1" },
        operation: "invoke-with-response-stream",
      }));
      routed.glm.enqueue({
        kind: "stream",
        events: streamEvents([{ type: "text", text: "GLM took over." }]),
      });
      // No retries by the CLI: the fallback happens inside relayx, within the one request.
      assert.equal(await claude(routed, "Say something", { CLAUDE_CODE_MAX_RETRIES: "0" }), "GLM took over.");

      const got = await since(routed, before, 1);
      assert.deepEqual(got.seen, {
        local: [],
        bedrock: [`${OPUS_PROFILE} invoke-with-response-stream`],
        glm: ["glm-4.6 messages stream"],
      });
      assert.deepEqual(trace(got.logs), [["main", "glm/glm-4.6", ["bedrock: 429 rate_limit_error"], 200]]);
      assert.equal(got.logs[0]?.upstream_model, "glm-4.6");
      const sent = routed.glm.requests.at(-1);
      assert.equal(sent?.headers.get("x-api-key"), GLM_KEY);
      assert.ok(
        JSON.stringify(sent?.body?.tools).includes('"Write"'),
        "Claude Code's tools reach the fallback",
      );
    },
  );
});
