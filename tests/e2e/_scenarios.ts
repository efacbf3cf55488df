/**
 * The scenarios every backend runs: the real Claude Code CLI, through a real relayx, to a scripted mock
 * upstream. Each backend's test file supplies an {@linkcode UpstreamKind}: how to play backend-neutral
 * {@linkcode Turn}s on its mock, and how to read back, as {@linkcode SentRequest}s, what the mock received.
 *
 * Every scenario starts its own mock and relayx and works in its own temporary directory, so that a
 * failure leaves nothing queued for the next one; each CLI run has a timeout.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { RequestLog } from "../../src/log.ts";
import { type ClaudeRun, runClaude } from "../support/claude_cli.ts";

/** A tool call the scripted model makes. */
export interface ToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

/** One scripted upstream reply, in terms every backend can play. */
export type Turn =
  /** A streamed text answer in `pieces` fragments, its bytes cut into writes of `splitBytes` when set. */
  | { kind: "text"; text: string; pieces?: number; splitBytes?: number }
  /** A streamed answer with tool calls, after optional thinking (with a signature where the upstream signs). */
  | { kind: "tools"; calls: ToolCall[]; text?: string; thinking?: { text: string; signature: string } }
  /** A rate-limit error (429 or the upstream's throttling exception) with a `retry-after` header. */
  | { kind: "rate_limit"; retryAfter: string }
  /** The upstream's own context-overflow error. */
  | { kind: "overflow" }
  /**
   * A stream that sends `after` text fragments of `text` and then fails with the upstream's error; with
   * `oneRead`, all of it in one network write.
   */
  | { kind: "broken_stream"; text: string; after: number; oneRead?: boolean }
  /** A non-stream answer (what Claude Code's fallback request gets). */
  | { kind: "non_stream"; text: string }
  /** A 5xx error on a non-stream request. */
  | { kind: "non_stream_error" };

/** What one upstream request carried, read back from the mock in backend-neutral terms. */
export interface SentRequest {
  /** The upstream model (OpenAI `model`, Bedrock model id). */
  model: string;
  /** How it was asked: `chat.completions stream` / `chat.completions`, or the Bedrock operation. */
  via: string;
  /** Names of the tool definitions sent. */
  tools: string[];
  /** Ids of the tool calls in the history's assistant turns, in order. */
  calls: string[];
  /** Text of each tool result in the history, by tool call id. */
  results: Map<string, string>;
  /** Images that travelled with the tool results, where the upstream takes them. */
  resultImages: { mediaType: string; data: string }[];
  /** Thinking sent back on the history's assistant turns. */
  thinking: { text: string; signature?: string }[];
  /** The whole body, for text searches. */
  json: string;
}

/** A running mock upstream with a relayx in front of it. */
export interface Upstream extends AsyncDisposable {
  /** The relayx URL (for ANTHROPIC_BASE_URL). */
  readonly url: string;
  /** Queues replies, played in order by the next upstream requests they fit. */
  enqueue(...turns: Turn[]): void;
  /** Replies still queued. */
  pending(): number;
  /** Data-plane requests the mock received, in order. */
  requests(): SentRequest[];
  /** relayx's log line of each request it answered. */
  logs(): RequestLog[];
}

/** How to run the scenarios against one backend (and path). */
export interface UpstreamKind {
  /** Shown in the test name. */
  name: string;
  /** The upstream model Claude Code's default model name reaches. */
  model: string;
  /** The upstream model `--model claude-haiku-4-5` reaches. */
  smallModel: string;
  /** A non-Claude name that reaches the upstream unchanged. */
  passThrough: string;
  /** {@linkcode SentRequest.via} of a streamed request, of the non-stream fallback, of the pass-through model. */
  via: { stream: string; nonStream: string; passThrough: string };
  /** True when thinking comes back with the upstream's signature; else the provider's reasoning text. */
  signedThinking: boolean;
  /** A tool call id as this upstream makes them. */
  callId(name: string): string;
  /** Starts a mock and a relayx; `reasoning` asks for a provider whose reasoning must round-trip. */
  open(opts?: { reasoning?: boolean }): Promise<Upstream>;
}

/** Per CLI run; a normal run takes 1-3 s. */
const RUN_TIMEOUT_MS = 45_000;

/** An 8×8 PNG, the one captured in tests/testdata/claude_code/request_image.json. */
const PNG_8PX =
  "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAb0lEQVR4nA2OQREAMAjDKgUpSKkUpCAFKXWS7dvrJRESJVpYjFhxIn9VUUUXLqbY4or8r5pqunEzzTbX5BNkyrSxGbPmTD5XQw09eJhhhxvybVpq6cXLLLvckt+go44+fMyxxx35ZQoVOjhM2HAheVX+d8EkbSstAAAAAElFTkSuQmCC";

/** A scenario's working directory, and a directory for the CLI's own temporary files (else /tmp/claude-UID). */
interface Workdir extends AsyncDisposable {
  path: string;
  tmp: string;
}

async function workdir(): Promise<Workdir> {
  const path = await Deno.makeTempDir({ prefix: "relayx-cc-cwd-" });
  const tmp = await Deno.makeTempDir({ prefix: "relayx-cc-tmp-" });
  return {
    path,
    tmp,
    async [Symbol.asyncDispose]() {
      for (const dir of [path, tmp]) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

function claude(
  up: Upstream,
  dir: Workdir,
  prompt: string,
  opts: { args?: string[]; env?: Record<string, string>; files?: Record<string, Uint8Array | string> } = {},
): Promise<ClaudeRun> {
  return runClaude({
    baseUrl: up.url,
    prompt,
    cwd: dir.path,
    timeoutMs: RUN_TIMEOUT_MS,
    args: opts.args,
    files: opts.files,
    env: { CLAUDE_CODE_TMPDIR: dir.tmp, ...opts.env },
  });
}

function succeeded(run: ClaudeRun, result: string): void {
  const why = `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
  assert.equal(run.code, 0, why);
  assert.equal(run.result?.is_error, false, why);
  assert.equal(run.result?.result, result, why);
}

function requests(up: Upstream, count: number): SentRequest[] {
  const all = up.requests();
  assert.equal(all.length, count, `expected ${count} upstream requests, got: ${all.map((r) => r.via)}`);
  assert.equal(up.pending(), 0, "scripted replies left unplayed");
  return all;
}

function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  assert.ok(v !== undefined, `no item ${i}`);
  return v;
}

function resultOf(req: SentRequest, id: string): string {
  const text = req.results.get(id);
  assert.ok(text !== undefined, `no tool result for ${id} in ${[...req.results.keys()]}`);
  return text;
}

/** relayx's log lines of the /v1/messages requests. */
function messageLogs(up: Upstream): RequestLog[] {
  return up.logs().filter((l) => l.path === "/v1/messages");
}

/** `--output-format stream-json --verbose` lines. */
function ndjson(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

/**
 * Runs the scenarios as steps of `t`: every one, or those whose number `only` lists ("2", "9a"), to keep
 * the number of CLI runs down where a backend needs only some.
 */
export async function runScenarios(
  t: Deno.TestContext,
  kind: UpstreamKind,
  only?: readonly string[],
): Promise<void> {
  const step = (name: string, fn: () => Promise<void>): Promise<boolean> =>
    only && !only.includes(name.slice(0, name.indexOf("."))) ? Promise.resolve(false) : t.step(name, fn);
  await step("1. a streamed answer with emoji and CJK cut inside characters arrives exactly", async () => {
    await using up = await kind.open();
    await using dir = await workdir();
    const answer = "Hello 👋🏽 from relayx — 你好，世界! 🇯🇵 ✓ é";
    up.enqueue({ kind: "text", text: answer, pieces: 14, splitBytes: 3 });
    const run = await claude(up, dir, "Say hello");
    succeeded(run, answer);
    const [first] = requests(up, 1);
    assert.equal(first?.model, kind.model);
    assert.equal(first?.via, kind.via.stream);
    assert.ok(first?.tools.includes("Bash") && first.tools.includes("Write"), `${first?.tools}`);
    assert.ok(!first?.tools.includes("DeferredToolPlaceholder"));
  });

  await step(
    "2. the model writes a file with Write, the result goes back, the model finishes",
    async () => {
      await using up = await kind.open();
      await using dir = await workdir();
      const id = kind.callId("write1");
      const path = `${dir.path}/hello.txt`;
      up.enqueue(
        {
          kind: "tools",
          text: "I'll create it.",
          calls: [{ id, name: "Write", input: { file_path: path, content: "hi from relayx\n" } }],
        },
        { kind: "text", text: "I wrote hello.txt." },
      );
      const run = await claude(up, dir, "Write hello.txt");
      succeeded(run, "I wrote hello.txt.");
      assert.equal(await Deno.readTextFile(path), "hi from relayx\n");
      const follow = at(requests(up, 2), 1);
      assert.deepEqual(follow.calls, [id]);
      assert.match(resultOf(follow, id), /^File created successfully at: .*hello\.txt/);
    },
  );

  await step("3. Bash and Write in one assistant turn both run and both results go back", async () => {
    await using up = await kind.open();
    await using dir = await workdir();
    const bash = kind.callId("bash1");
    const write = kind.callId("write2");
    const path = `${dir.path}/notes.md`;
    up.enqueue(
      {
        kind: "tools",
        calls: [
          {
            id: bash,
            name: "Bash",
            input: { command: "echo relayx-$((6*7))", description: "Compute the answer" },
          },
          { id: write, name: "Write", input: { file_path: path, content: "# Notes\n" } },
        ],
      },
      { kind: "text", text: "Both done: relayx-42." },
    );
    const run = await claude(up, dir, "Compute and take notes");
    succeeded(run, "Both done: relayx-42.");
    assert.equal(await Deno.readTextFile(path), "# Notes\n");
    const follow = at(requests(up, 2), 1);
    assert.deepEqual(follow.calls, [bash, write]);
    assert.equal(resultOf(follow, bash).trim(), "relayx-42");
    assert.match(resultOf(follow, write), /^File created successfully at: .*notes\.md/);
  });

  await step(
    "4. thinking, a tool call, an answer: the thinking goes back on the next request",
    async () => {
      await using up = await kind.open({ reasoning: true });
      await using dir = await workdir();
      const id = kind.callId("plan1");
      const path = `${dir.path}/plan.txt`;
      const thinking = {
        text: "The user wants a plan file; I will write it first.",
        signature: "EqQBCkgIARABGAIiQLrelayxE2E==",
      };
      up.enqueue(
        {
          kind: "tools",
          thinking,
          calls: [{ id, name: "Write", input: { file_path: path, content: "1. test\n" } }],
        },
        { kind: "text", text: "The plan is written." },
      );
      const run = await claude(up, dir, "Write a plan");
      succeeded(run, "The plan is written.");
      assert.equal(await Deno.readTextFile(path), "1. test\n");
      const follow = at(requests(up, 2), 1);
      assert.deepEqual(follow.calls, [id]);
      assert.deepEqual(
        follow.thinking,
        [kind.signedThinking ? thinking : { text: thinking.text }],
      );
    },
  );

  await step("5. the model reads a PNG with Read and the image bytes reach the upstream", async () => {
    await using up = await kind.open();
    await using dir = await workdir();
    const id = kind.callId("read1");
    const png = Uint8Array.from(atob(PNG_8PX), (c) => c.charCodeAt(0));
    up.enqueue(
      { kind: "tools", calls: [{ id, name: "Read", input: { file_path: `${dir.path}/pixel.png` } }] },
      { kind: "text", text: "A tiny 8x8 image." },
    );
    const run = await claude(up, dir, "What is in pixel.png?", { files: { "pixel.png": png } });
    succeeded(run, "A tiny 8x8 image.");
    const follow = at(requests(up, 2), 1);
    assert.ok(follow.results.has(id), `no tool result for ${id}`);
    assert.deepEqual(follow.resultImages, [{ mediaType: "image/png", data: PNG_8PX }]);
    assert.ok(!at(up.requests(), 0).json.includes(PNG_8PX));
  });

  await step("6. ToolSearch loads NotebookEdit, which then edits a notebook on disk", async () => {
    await using up = await kind.open();
    await using dir = await workdir();
    const nb = `${dir.path}/analysis.ipynb`;
    const notebook = {
      cells: [{
        cell_type: "code",
        id: "cell-1",
        metadata: {},
        source: ["print('before')"],
        outputs: [],
        execution_count: null,
      }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    };
    const read = kind.callId("read2");
    const search = kind.callId("search1");
    const edit = kind.callId("edit1");
    up.enqueue(
      {
        kind: "tools",
        calls: [
          { id: read, name: "Read", input: { file_path: nb } },
          { id: search, name: "ToolSearch", input: { query: "select:NotebookEdit" } },
        ],
      },
      {
        kind: "tools",
        calls: [{
          id: edit,
          name: "NotebookEdit",
          input: {
            notebook_path: nb,
            cell_id: "cell-1",
            new_source: "print('after relayx')",
            edit_mode: "replace",
          },
        }],
      },
      { kind: "text", text: "The cell now prints 'after relayx'." },
    );
    const run = await claude(up, dir, "Update the notebook", {
      files: { "analysis.ipynb": JSON.stringify(notebook, null, 1) },
    });
    succeeded(run, "The cell now prints 'after relayx'.");
    const saved = JSON.parse(await Deno.readTextFile(nb));
    assert.equal([saved.cells[0].source].flat().join(""), "print('after relayx')");
    const sent = requests(up, 3);
    for (const r of sent) {
      assert.ok(!r.json.includes("DeferredToolPlaceholder"), "DeferredToolPlaceholder went upstream");
      assert.ok(!r.json.includes('"tool_reference"'), "a tool_reference block went upstream");
    }
    const [first, second, third] = [at(sent, 0), at(sent, 1), at(sent, 2)];
    assert.ok(!first.tools.includes("NotebookEdit"), "NotebookEdit sent before it was loaded");
    assert.ok(second.tools.includes("NotebookEdit"), `NotebookEdit missing once loaded: ${second.tools}`);
    assert.ok(third.tools.includes("NotebookEdit"));
    assert.match(resultOf(second, search), /Tool NotebookEdit is now available\./);
    assert.doesNotMatch(resultOf(third, edit), /error/i);
  });

  await step(
    "7. a 429 with retry-after is retried by the CLI through relayx and then succeeds",
    async () => {
      await using up = await kind.open();
      await using dir = await workdir();
      up.enqueue({ kind: "rate_limit", retryAfter: "0" }, {
        kind: "text",
        text: "Recovered from the rate limit.",
      });
      const run = await claude(up, dir, "Say something");
      succeeded(run, "Recovered from the rate limit.");
      const sent = requests(up, 2);
      assert.deepEqual(sent.map((r) => r.via), [kind.via.stream, kind.via.stream]);
      const statuses = messageLogs(up).map((l) => [l.status, l.error_type]);
      assert.deepEqual(statuses, [[429, "rate_limit_error"], [200, undefined]]);
    },
  );

  await step("8. a context overflow mid-conversation makes the CLI compact, then it finishes", async () => {
    await using up = await kind.open();
    await using dir = await workdir();
    const id = kind.callId("bash2");
    up.enqueue(
      {
        kind: "tools",
        calls: [{ id, name: "Bash", input: { command: "echo step-one", description: "First step" } }],
      },
      { kind: "overflow" },
      {
        kind: "text",
        text: "<analysis>Short.</analysis>\n<summary>The user asked for two steps; step one ran.</summary>",
      },
      { kind: "text", text: "Finished after compaction." },
    );
    const run = await claude(up, dir, "Do two steps", {
      args: ["--output-format", "stream-json", "--verbose"],
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const events = ndjson(run.stdout);
    const boundary = events.find((e) => e.type === "system" && e.subtype === "compact_boundary");
    assert.ok(boundary, `no compact_boundary in ${run.stdout}`);
    const final = events.at(-1);
    assert.equal(final?.type, "result");
    assert.equal(final?.is_error, false);
    assert.equal(final?.result, "Finished after compaction.");
    const [, overflowed, compaction, after] = requests(up, 4);
    assert.ok(overflowed?.results.has(id));
    assert.ok(compaction?.json.includes("CRITICAL: Respond with TEXT ONLY"), "no compaction request");
    assert.ok(after?.json.includes("The user asked for two steps; step one ran."), "summary not carried on");
    const log = messageLogs(up)[1];
    assert.equal(log?.status, 400);
    assert.match(log?.error ?? "", /^prompt is too long: \d+ tokens > \d+ maximum$/);
  });

  await step("9a. a stream that fails midway: the CLI's non-stream fallback answers", async () => {
    await using up = await kind.open();
    await using dir = await workdir();
    up.enqueue(
      { kind: "broken_stream", text: "This answer is cut short by the upstream", after: 3 },
      { kind: "non_stream", text: "Answer from the non-streaming fallback." },
    );
    const run = await claude(up, dir, "Say something", { env: { CLAUDE_CODE_MAX_RETRIES: "0" } });
    succeeded(run, "Answer from the non-streaming fallback.");
    const sent = requests(up, 2);
    assert.deepEqual(sent.map((r) => r.via), [kind.via.stream, kind.via.nonStream]);
    // relayx ended the stream with an api_error event, which is what sends the CLI to its fallback.
    assert.deepEqual(messageLogs(up).map((l) => [l.stream, l.error_type]), [[true, "api_error"], [
      false,
      undefined,
    ]]);
  });

  await step(
    "9b. a stream that fails midway and a failing fallback: the CLI ends with an error",
    async () => {
      await using up = await kind.open();
      await using dir = await workdir();
      up.enqueue(
        // In one read: relayx must still answer 200 and end the stream with an error event, not a 500.
        { kind: "broken_stream", text: "This answer is cut short by the upstream", after: 3, oneRead: true },
        { kind: "non_stream_error" },
      );
      const started = Date.now();
      const run = await claude(up, dir, "Say something", { env: { CLAUDE_CODE_MAX_RETRIES: "0" } });
      assert.ok(Date.now() - started < 20_000, "the CLI took too long to give up");
      assert.deepEqual(
        up.requests().map((r) => r.via),
        [kind.via.stream, kind.via.nonStream],
        "expected the CLI's non-stream fallback after the stream's error event; without it relayx probably " +
          "answered an HTTP error instead of 200, the partial message and an error event",
      );
      assert.deepEqual(messageLogs(up).map((l) => [l.stream, l.error_type]), [
        [true, "api_error"],
        [false, "api_error"],
      ]);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.equal(run.result?.is_error, true);
      assert.match(String(run.result?.result), /^API Error: 500\b/);
      assert.equal(up.pending(), 0);
    },
  );

  await step(
    "10. --model: a haiku name reaches the small model, a non-Claude name passes unchanged",
    async () => {
      await using up = await kind.open();
      await using dir = await workdir();
      const haiku = await claude(up, dir, "Say ok", { args: ["--model", "claude-haiku-4-5"] });
      succeeded(haiku, "ok");
      const other = await claude(up, dir, "Say ok", { args: ["--model", kind.passThrough] });
      succeeded(other, "ok");
      const [small, passed] = requests(up, 2);
      assert.equal(small?.model, kind.smallModel);
      assert.equal(small?.via, kind.via.stream);
      assert.equal(passed?.model, kind.passThrough);
      assert.equal(passed?.via, kind.via.passThrough);
    },
  );
}
