/**
 * Claude Code's WebSearch through relayx, with the real CLI, on the OpenAI-compatible backend and on both
 * Bedrock paths: the scripted model loads WebSearch with ToolSearch and calls it; Claude Code sends its
 * separate search request (the `web_search_20250305` server tool); relayx gives the upstream a search
 * function, the model calls it, relayx queries the mock SearXNG and the model answers; the CLI turns
 * Anthropic's blocks into its WebSearch tool result, which the next request carries.
 */
import assert from "node:assert/strict";
import type { Backend } from "../../src/backends/backend.ts";
import { createBedrockBackend } from "../../src/backends/bedrock/bedrock_backend.ts";
import { createOpenAIBackend } from "../../src/backends/openai.ts";
import { createSearchProvider } from "../../src/web_search/create_provider.ts";
import { withWebSearch } from "../../src/web_search/with_web_search.ts";
import { runClaude } from "../support/claude_cli.ts";
import {
  converseStream,
  inferenceProfile,
  invokeStream,
  type MockBedrockReply,
  startMockBedrock,
} from "../support/mock_bedrock.ts";
import { type MockOpenAIReply, startMockOpenAI, textStream, toolCallStream } from "../support/mock_openai.ts";
import { type MockSearxng, startMockSearxng } from "../support/mock_searxng.ts";
import { startRelay, type TestRelay } from "../support/relay.ts";

type Json = Record<string, unknown>;

/** A scripted reply: text, or tool calls. */
type Reply = { text: string } | { calls: { id: string; name: string; input: Json }[] };

interface Mocked extends AsyncDisposable {
  relay: TestRelay;
  enqueue(...replies: Reply[]): void;
  /** Each data-plane request body the upstream received, as JSON text. */
  bodies(): string[];
}

const CREDENTIALS = { accessKeyId: "AKIDRELAYXTEST", secretAccessKey: "relayx-test-secret" };
const OPUS_PROFILE = "us.anthropic.claude-opus-5-5";
const HAIKU_PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

function serve(backend: Backend, searxng: MockSearxng): TestRelay {
  const provider = createSearchProvider({ provider: "searxng", url: searxng.url });
  return startRelay(withWebSearch(backend, { provider }));
}

async function openai(searxng: MockSearxng): Promise<Mocked> {
  const mock = await startMockOpenAI();
  const relay = serve(
    createOpenAIBackend({
      kind: "openai_compatible",
      baseUrl: mock.url,
      apiKey: "sk-test",
      model: "mock-model",
      smallModel: "mock-model",
      provider: "openai",
    }),
    searxng,
  );
  const reply = (r: Reply): MockOpenAIReply =>
    "text" in r
      ? textStream(r.text)
      : toolCallStream(r.calls.map((c) => ({ id: c.id, name: c.name, args: c.input })));
  return {
    relay,
    enqueue: (...replies) => mock.enqueue(...replies.map(reply)),
    bodies: () =>
      mock.requests.filter((r) => r.path.endsWith("/chat/completions")).map((r) => JSON.stringify(r.body)),
    async [Symbol.asyncDispose]() {
      await relay.close();
      await mock.close();
    },
  };
}

function nativeEvents(r: Reply): Json[] {
  const events: Json[] = [{
    type: "message_start",
    message: {
      id: "msg_bdrk_e2e",
      type: "message",
      role: "assistant",
      model: "claude-opus-5-5",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 40, output_tokens: 1 },
    },
  }];
  if ("text" in r) {
    events.push(
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: r.text } },
      { type: "content_block_stop", index: 0 },
    );
  } else {
    r.calls.forEach((c, index) => {
      events.push(
        {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: c.id, name: c.name, input: {} },
        },
        {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: JSON.stringify(c.input) },
        },
        { type: "content_block_stop", index },
      );
    });
  }
  events.push(
    {
      type: "message_delta",
      delta: { stop_reason: "text" in r ? "end_turn" : "tool_use", stop_sequence: null },
      usage: { output_tokens: 30 },
    },
    { type: "message_stop" },
  );
  return events;
}

function bedrock(api: "invoke" | "converse"): (searxng: MockSearxng) => Promise<Mocked> {
  return async (searxng) => {
    const mock = await startMockBedrock({
      profiles: [inferenceProfile(OPUS_PROFILE), inferenceProfile(HAIKU_PROFILE)],
      accessKeyId: CREDENTIALS.accessKeyId,
    });
    const backend = await createBedrockBackend(
      {
        kind: "bedrock",
        profileExplicit: false,
        region: "us-east-1",
        api: api === "invoke" ? "auto" : "converse",
        smallModelId: HAIKU_PROFILE,
      },
      { endpoint: mock.url, controlEndpoint: mock.url, credentials: CREDENTIALS, env: {} },
    );
    const relay = serve(backend, searxng);
    const reply = (r: Reply): MockBedrockReply => {
      if (api === "invoke") return invokeStream(nativeEvents(r));
      return "text" in r ? converseStream(r.text) : converseStream("", {
        toolUses: r.calls.map((c) => ({ toolUseId: c.id, name: c.name, input: c.input })),
      });
    };
    const data = new Set(["converse-stream", "converse", "invoke", "invoke-with-response-stream"]);
    return {
      relay,
      enqueue: (...replies) => mock.enqueue(...replies.map(reply)),
      bodies: () =>
        mock.requests.filter((r) => data.has(String(r.operation))).map((r) => JSON.stringify(r.body)),
      async [Symbol.asyncDispose]() {
        await relay.close();
        await mock.close();
      },
    };
  };
}

const KINDS: [string, (searxng: MockSearxng) => Promise<Mocked>][] = [
  ["the OpenAI-compatible backend", openai],
  ["Bedrock, native Messages path (InvokeModel)", bedrock("invoke")],
  ["Bedrock, Converse path", bedrock("converse")],
];

const QUERY = "relayx anthropic proxy";
const TITLE = "relayx: Claude Code on every backend";
const URL_FOUND = "https://example.com/relayx";

for (const [name, open] of KINDS) {
  Deno.test(`Claude Code's WebSearch through relayx on ${name}`, async () => {
    await using searxng = startMockSearxng();
    await using up = await open(searxng);
    up.enqueue(
      // The main conversation: ToolSearch loads WebSearch, then the model calls it.
      { calls: [{ id: "toolu_search1", name: "ToolSearch", input: { query: "select:WebSearch" } }] },
      { calls: [{ id: "toolu_web1", name: "WebSearch", input: { query: QUERY } }] },
      // WebSearch's own request: the model calls relayx's search function, then answers from the results.
      { calls: [{ id: "toolu_fn1", name: "web_search", input: { query: QUERY } }] },
      { text: `relayx translates the Anthropic API (${URL_FOUND}).` },
      // The main conversation again, with WebSearch's result.
      { text: "relayx is a proxy for Claude Code." },
    );
    const dir = await Deno.makeTempDir({ prefix: "relayx-cc-tmp-" });
    const run = await runClaude({
      baseUrl: up.relay.url,
      prompt: "What is relayx? Search the web.",
      timeoutMs: 60_000,
      env: { CLAUDE_CODE_TMPDIR: dir },
    });
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    const why =
      `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}\nbodies: ${up.bodies().length}`;
    assert.equal(run.code, 0, why);
    assert.equal(run.result?.result, "relayx is a proxy for Claude Code.", why);
    assert.deepEqual(searxng.queries, [QUERY], why);
    const bodies = up.bodies();
    assert.equal(bodies.length, 5, why);
    for (const body of bodies) {
      assert.doesNotMatch(body, /web_search_20250305/, "never a server tool upstream");
    }
    // WebSearch's request: the search function went upstream, then its results.
    assert.match(bodies[2]!, /"web_search"/);
    assert.match(bodies[3]!, /relayx speaks the Anthropic Messages API/);
    // The main conversation's next request: WebSearch's tool result names the result's title and URL.
    assert.match(bodies[4]!, new RegExp(`Web search results for query: \\\\"${QUERY}\\\\"`));
    assert.ok(bodies[4]!.includes(URL_FOUND), why);
    assert.ok(bodies[4]!.includes(TITLE), why);
    // The JSON output counts the search per model (the top-level usage is the last main request's).
    const models = Object.values(run.result?.modelUsage ?? {}) as { webSearchRequests?: number }[];
    assert.equal(models.reduce((n, m) => n + (m.webSearchRequests ?? 0), 0), 1, why);
  });
}

/** A page served over HTTPS on 127.0.0.1 with a self-signed certificate the CLI is told to trust. */
async function httpsPage(html: string) {
  const dir = await Deno.makeTempDir({ prefix: "relayx-cc-tls-" });
  const made = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(made.code, 0, new TextDecoder().decode(made.stderr));
  const cert = await Deno.readTextFile(`${dir}/cert.pem`);
  const key = await Deno.readTextFile(`${dir}/key.pem`);
  const fetched: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, cert, key, onListen: () => {} }, (req) => {
    fetched.push(new URL(req.url).pathname);
    return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
  });
  return {
    url: `https://127.0.0.1:${server.addr.port}/release-notes.html`,
    caFile: `${dir}/cert.pem`,
    fetched,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

Deno.test("Claude Code's WebFetch through relayx (skipWebFetchPreflight): the page's content reaches the answer", async () => {
  await using searxng = startMockSearxng();
  await using up = await openai(searxng);
  await using page = await httpsPage(
    "<html><head><title>relayx 0.3</title></head><body><h1>relayx 0.3</h1>" +
      "<p>The marker phrase is <b>violet-harbour-42</b>.</p></body></html>",
  );
  up.enqueue(
    { calls: [{ id: "toolu_search1", name: "ToolSearch", input: { query: "select:WebFetch" } }] },
    {
      calls: [{
        id: "toolu_fetch1",
        name: "WebFetch",
        input: { url: page.url, prompt: "What is the marker phrase?" },
      }],
    },
    // WebFetch's own request: a model reads the page and answers the prompt.
    { text: "The marker phrase is violet-harbour-42." },
    { text: "The page says: violet-harbour-42." },
  );
  const dir = await Deno.makeTempDir({ prefix: "relayx-cc-tmp-" });
  const run = await runClaude({
    baseUrl: up.relay.url,
    prompt: "Fetch the release notes and tell me the marker phrase.",
    timeoutMs: 60_000,
    args: ["--settings", JSON.stringify({ skipWebFetchPreflight: true })],
    env: { CLAUDE_CODE_TMPDIR: dir, NODE_EXTRA_CA_CERTS: page.caFile },
  });
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const bodies = up.bodies();
  // Each request's tool results (what Claude Code's tools answered), for the failure message.
  const results = bodies.map((b) => (JSON.parse(b).messages as Json[]).filter((m) => m.role === "tool"));
  const why = `exit ${run.code}\nstderr: ${run.stderr}\ntool results: ${JSON.stringify(results)}`;
  assert.equal(run.code, 0, why);
  assert.deepEqual(page.fetched, ["/release-notes.html"], why);
  assert.equal(run.result?.result, "The page says: violet-harbour-42.", why);
  assert.equal(bodies.length, 4, why);
  // The page's text went to the model that read it, and that model's answer to the main conversation.
  assert.ok(bodies[2]!.includes("violet-harbour-42"), why);
  assert.ok(bodies[3]!.includes("The marker phrase is violet-harbour-42."), why);
});
