/**
 * The secret grep: relayx runs as users start it (`deno run --allow-net --allow-env main.ts`, JSON and
 * text logs) with distinctive credentials in its environment, a broad traffic set goes through it on both
 * backends (answers, streams, tool use, every error shape the mocks send, HTML pages, malformed and
 * non-JSON chunks and bodies quoting the credentials, an upstream echoing the request's headers, wrong
 * client keys, bad input), and no response (status line, headers, body, every SSE event) nor any byte of
 * the process's stdout and stderr may hold a credential, its base64 form, or its first or last ten
 * characters.
 */
import assert from "node:assert/strict";
import {
  anthropicEvents,
  BEDROCK_EXCEPTION_STATUS,
  bedrockError,
  chunkEvent,
  converseOutput,
  converseStream,
  inferenceProfile,
  invokeMessage,
  invokeStream,
  type MockBedrockReply,
  startMockBedrock,
} from "./support/mock_bedrock.ts";
import {
  completion,
  geminiError,
  type MockOpenAIReply,
  openAIError,
  startMockOpenAI,
  textStream,
  toolCallStream,
} from "./support/mock_openai.ts";

const SECRETS = {
  RELAYX_API_KEY: "rlx-client-SECRET-7f3a9c1e5b",
  OPENAI_API_KEY: "opn-upstream-SECRET-2d8e4b6a0c",
  AWS_ACCESS_KEY_ID: "AKIARELAYXSECRET7Q2Z",
  AWS_SECRET_ACCESS_KEY: "aws-secret-SECRET-9b1c3d5e7f",
  AWS_SESSION_TOKEN: "aws-session-SECRET-4a6c8e0b2d",
  AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key-SECRET-6e8a0c2b4d",
};
const ALL = Object.values(SECRETS);
/** The credentials each run gives relayx. */
const OPENAI_ENV = { RELAYX_API_KEY: SECRETS.RELAYX_API_KEY, OPENAI_API_KEY: SECRETS.OPENAI_API_KEY };
const SIGV4_ENV = {
  RELAYX_API_KEY: SECRETS.RELAYX_API_KEY,
  AWS_ACCESS_KEY_ID: SECRETS.AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY: SECRETS.AWS_SECRET_ACCESS_KEY,
  AWS_SESSION_TOKEN: SECRETS.AWS_SESSION_TOKEN,
};
const BEARER_ENV = {
  RELAYX_API_KEY: SECRETS.RELAYX_API_KEY,
  AWS_BEARER_TOKEN_BEDROCK: SECRETS.AWS_BEARER_TOKEN_BEDROCK,
};
const WRONG_KEY = "wrong-client-key-0000";

function base64(s: string): string {
  return btoa(s);
}

/** Every way a secret may show: whole, base64 (padded, bare, URL-safe), URL-encoded, first or last ten. */
function pieces(secret: string): string[] {
  const b64 = base64(secret).replace(/=+$/, "");
  return [
    secret,
    b64,
    b64.replaceAll("+", "-").replaceAll("/", "_"),
    encodeURIComponent(secret),
    secret.slice(0, 10),
    secret.slice(-10),
  ];
}

/** One request and what the upstream answers it with. */
interface Case {
  name: string;
  replies?: (MockOpenAIReply | MockBedrockReply)[];
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  /** A JSON value, or a string sent as is. */
  body?: unknown;
  /** The status expected, when the case is about it. */
  status?: number;
}

const messages = (text: string, extra: Record<string, unknown> = {}) => ({
  model: "claude-opus-5-5",
  max_tokens: 64,
  messages: [{ role: "user", content: text }],
  ...extra,
});
const TOOLS = [{
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
}];

/** Requests that need no upstream: access checks, bad input, routes without a backend call. */
function commonCases(): Case[] {
  return [
    { name: "health", path: "/health", method: "GET", headers: {} },
    { name: "models", path: "/v1/models", method: "GET" },
    { name: "model by id", path: "/v1/models/claude-opus-5-5", method: "GET" },
    { name: "unknown route", path: "/v1/nothing", method: "GET", status: 404 },
    { name: "no key", headers: {}, body: messages("Hi"), status: 401 },
    { name: "wrong key", headers: { "x-api-key": WRONG_KEY }, body: messages("Hi"), status: 401 },
    {
      name: "wrong bearer",
      headers: { authorization: `Bearer ${WRONG_KEY}` },
      body: messages("Hi"),
      status: 401,
    },
    {
      name: "key prefix",
      headers: { "x-api-key": SECRETS.RELAYX_API_KEY.slice(0, -1) },
      body: messages("Hi"),
    },
    // The client's own body quoting a key: the JSON.parse message would cut and show it.
    { name: "invalid JSON quoting a key", body: `{"model": ${SECRETS.RELAYX_API_KEY}}`, status: 400 },
    { name: "missing field", body: { model: "claude-opus-5-5", messages: [] }, status: 400 },
    { name: "wrong type", body: messages("Hi", { max_tokens: "lots" }), status: 400 },
    { name: "bad block", body: { ...messages("Hi"), messages: [{ role: "user", content: [{ type: 7 }] }] } },
    { name: "10 MB model name", body: messages("Hi", { model: "m".repeat(10 * 1024 * 1024) }) },
    {
      name: "count tokens",
      path: "/v1/messages/count_tokens",
      body: { model: "claude-opus-5-5", messages: [{ role: "user", content: "Hi" }] },
    },
  ];
}

/** `QUOTE`: what the upstream quotes, every credential relayx was given at once. */
function openAICases(QUOTE: string): Case[] {
  const first = {
    choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, finish_reason: null }],
  };
  const streamed = messages("Hi", { stream: true });
  const cases: Case[] = [
    { name: "text", replies: [completion({ text: "Hello" })], body: messages("Hi") },
    { name: "stream", replies: [textStream("Hello there")], body: streamed },
    {
      name: "tool use stream",
      replies: [toolCallStream([{ id: "call_1", name: "get_weather", args: { city: "Paris" } }])],
      body: messages("Weather?", { stream: true, tools: TOOLS }),
    },
    {
      name: "tool use",
      replies: [completion({ toolCalls: [{ id: "call_2", name: "get_weather", args: { city: "Oslo" } }] })],
      body: messages("Weather?", { tools: TOOLS }),
    },
    {
      name: "malformed first chunk",
      replies: [{ kind: "stream", chunks: [`data: ${QUOTE}\n\n`] }],
      body: streamed,
    },
    {
      name: "malformed chunk mid-stream",
      replies: [{ kind: "stream", chunks: [first, `data: {"k": ${QUOTE}}\n\n`] }],
      body: streamed,
    },
    {
      name: "error object mid-stream",
      replies: [{
        kind: "stream",
        chunks: [first],
        errorAfter: { after: 1, error: { message: QUOTE, code: 500 } },
      }],
      body: streamed,
    },
    {
      name: "non-JSON 200 body",
      replies: [{ kind: "text", status: 200, body: `${QUOTE} <- body` }],
      body: messages("Hi"),
    },
    {
      name: "HTML 200 to a stream",
      replies: [{ kind: "text", status: 200, body: `<html>${QUOTE}</html>` }],
      body: streamed,
    },
    {
      name: "error in a 200 body",
      replies: [{ kind: "json", status: 200, body: { error: { message: QUOTE } } }],
      body: messages("Hi"),
    },
    { name: "echoed headers (JSON)", body: messages("ECHO_HEADERS") },
    { name: "echoed headers (text)", body: messages("ECHO_TEXT", { stream: true }) },
    { name: "echoed headers (SSE)", body: messages("ECHO_SSE", { stream: true }) },
  ];
  for (const status of [400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504]) {
    for (const stream of [false, true]) {
      cases.push({
        name: `HTTP ${status}${stream ? " stream" : ""}`,
        replies: [{
          ...openAIError(status, `Incorrect API key provided: ${QUOTE}`),
          headers: { "retry-after": "1" },
        }],
        body: messages("Hi", { stream }),
      });
    }
  }
  cases.push(
    { name: "Gemini array error", replies: [geminiError(400, QUOTE)], body: messages("Hi") },
    {
      name: "HTML 502 page",
      replies: [{
        kind: "text",
        status: 502,
        body: `<html><title>${QUOTE}</title>${QUOTE}</html>`,
        headers: { "content-type": "text/html" },
      }],
      body: messages("Hi", { stream: true }),
    },
    { name: "plain-text 500", replies: [{ kind: "text", status: 500, body: QUOTE }], body: messages("Hi") },
  );
  return cases;
}

function bedrockCases(QUOTE: string): Case[] {
  const NOVA = "us.amazon.nova-pro-v1:0";
  const nova = (text: string, extra: Record<string, unknown> = {}) =>
    messages(text, { model: NOVA, ...extra });
  const cases: Case[] = [
    { name: "invoke", replies: [invokeMessage("Hello")], body: messages("Hi") },
    {
      name: "invoke stream",
      replies: [invokeStream(anthropicEvents("Hello there"))],
      body: messages("Hi", { stream: true }),
    },
    { name: "converse", replies: [converseOutput("Hello")], body: nova("Hi") },
    {
      name: "converse tool use stream",
      replies: [
        converseStream("Let me check.", {
          toolUses: [{ toolUseId: "t1", name: "get_weather", input: { city: "Paris" } }],
        }),
      ],
      body: nova("Weather?", { stream: true, tools: TOOLS }),
    },
    {
      name: "converse exception frame",
      replies: [{
        kind: "stream",
        operation: "converse-stream",
        events: [{ messageStart: { role: "assistant" } }, {
          modelStreamErrorException: { message: QUOTE, originalMessage: QUOTE },
        }],
      }],
      body: nova("Hi", { stream: true }),
    },
    {
      name: "invoke exception frame",
      replies: [{
        kind: "stream",
        operation: "invoke-with-response-stream",
        events: [chunkEvent(anthropicEvents("Hel")[0]), { throttlingException: { message: QUOTE } }],
      }],
      body: messages("Hi", { stream: true }),
    },
    {
      name: "malformed converse frame",
      replies: [{
        kind: "stream",
        operation: "converse-stream",
        events: [{ messageStart: { role: "assistant" } }, {
          contentBlockDelta: new TextEncoder().encode(QUOTE),
        }],
      }],
      body: nova("Hi", { stream: true }),
    },
    {
      name: "non-JSON invoke chunk",
      replies: [{
        kind: "stream",
        operation: "invoke-with-response-stream",
        events: [chunkEvent(anthropicEvents("Hel")[0]), { chunk: { bytes: base64(QUOTE) } }],
      }],
      body: messages("Hi", { stream: true }),
    },
    {
      name: "non-JSON invoke body",
      replies: [{ kind: "text", status: 200, body: QUOTE, operation: "invoke" }],
      body: messages("Hi"),
    },
    {
      name: "non-JSON converse body",
      replies: [{ kind: "text", status: 200, body: QUOTE, operation: "converse" }],
      body: nova("Hi"),
    },
    {
      name: "HTML 502 page",
      replies: [{
        kind: "text",
        status: 502,
        body: `<html><title>${QUOTE}</title></html>`,
        headers: { "content-type": "text/html" },
        operation: "invoke-with-response-stream",
      }],
      body: messages("Hi", { stream: true }),
    },
    {
      name: "count tokens failing",
      replies: [bedrockError("ValidationException", QUOTE, { operation: "count-tokens" })],
      path: "/v1/messages/count_tokens",
      body: { model: "claude-opus-5-5", messages: [{ role: "user", content: "Hi" }] },
    },
    { name: "echoed headers (JSON)", body: messages("ECHO_HEADERS") },
    { name: "echoed headers (text)", body: nova("ECHO_TEXT", { stream: true }) },
  ];
  for (const exception of Object.keys(BEDROCK_EXCEPTION_STATUS)) {
    for (
      const [operation, body] of [["invoke", messages("Hi")], [
        "converse-stream",
        nova("Hi", { stream: true }),
      ]] as const
    ) {
      cases.push({
        name: `${exception} ${operation}`,
        replies: [
          bedrockError(exception, `${exception}: ${QUOTE}`, { operation, headers: { "retry-after": "1" } }),
        ],
        body,
      });
    }
  }
  return cases;
}

/** A front for the mock upstream that answers some requests by echoing the headers it received. */
function echoFront(target: string, kind: "openai" | "bedrock"): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.arrayBuffer();
    const text = new TextDecoder().decode(body);
    const seen = JSON.stringify(Object.fromEntries(req.headers));
    if (text.includes("ECHO_HEADERS")) {
      return kind === "openai"
        ? Response.json({
          error: { message: `Bad request; received ${seen}`, type: "invalid_request_error" },
        }, { status: 400 })
        : new Response(JSON.stringify({ message: `Bad request; received ${seen}` }), {
          status: 400,
          headers: {
            "content-type": "application/json",
            "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
          },
        });
    }
    if (text.includes("ECHO_TEXT")) {
      const dump = [...req.headers].map(([k, v]) => `${k}: ${v}`).join("\r\n");
      return new Response(`Bad Gateway\r\n${dump}`, {
        status: 502,
        headers: { "content-type": "text/plain" },
      });
    }
    if (text.includes("ECHO_SSE")) {
      const sse = `data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: received ${seen}\n\n`;
      return new Response(sse, { headers: { "content-type": "text/event-stream" } });
    }
    const url = new URL(req.url);
    const headers = new Headers(req.headers);
    headers.delete("host");
    return fetch(`${target}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: body.byteLength ? body : undefined,
    });
  });
}

interface Relayx extends AsyncDisposable {
  url: string;
  /** Everything the process wrote, once it has been stopped. */
  output(): Promise<string>;
}

async function startRelayx(env: Record<string, string>): Promise<Relayx> {
  const home = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "main.ts"],
    cwd: new URL("..", import.meta.url),
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
      HOME: home,
      NO_COLOR: "1",
      SERVER_PORT: "0",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout: string[] = [];
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  while (!/listening on http:\/\/\S+/.test(stdout.join(""))) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`relayx did not start: ${stdout.join("")}\n${await stderr}`);
    stdout.push(value);
  }
  const url = stdout.join("").match(/listening on (http:\/\/\S+)/)![1]!;
  const drain = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) stdout.push(r.value);
  })();
  let stopped: Promise<string> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      child.kill("SIGTERM");
      await child.status;
      await drain;
      await Deno.remove(home, { recursive: true });
      return `${stdout.join("")}\n${await stderr}`;
    })();
  return { url, output: stop, [Symbol.asyncDispose]: async () => void await stop() };
}

/** Sends every case, returning everything the client saw: status, headers and body of each answer. */
async function drive(
  relayx: Relayx,
  cases: Case[],
  enqueue: (r: Case["replies"]) => void,
): Promise<string[]> {
  const seen: string[] = [];
  for (const c of cases) {
    enqueue(c.replies);
    const body = c.body === undefined
      ? undefined
      : typeof c.body === "string"
      ? c.body
      : JSON.stringify(c.body);
    const res = await fetch(`${relayx.url}${c.path ?? "/v1/messages"}`, {
      method: c.method ?? "POST",
      headers: {
        "content-type": "application/json",
        ...(c.headers ?? { "x-api-key": SECRETS.RELAYX_API_KEY }),
      },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (c.status !== undefined) assert.equal(res.status, c.status, `${c.name}: ${text.slice(0, 300)}`);
    seen.push(
      `${c.name}\n${res.status} ${res.statusText}\n${
        [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")
      }\n\n${text}`,
    );
  }
  const health = await fetch(`${relayx.url}/health`);
  assert.equal(health.status, 200, "relayx still serves");
  await health.body?.cancel();
  return seen;
}

function assertNoSecret(texts: string[], where: string): void {
  for (const text of texts) {
    for (const secret of ALL) {
      for (const piece of pieces(secret)) {
        const at = text.indexOf(piece);
        assert.ok(
          at === -1,
          `${where} holds "${piece}" (of ${secret}): ...${text.slice(Math.max(0, at - 200), at + 200)}...`,
        );
      }
    }
  }
}

async function runOpenAI(format: "json" | "text"): Promise<void> {
  await using mock = await startMockOpenAI();
  const front = echoFront(mock.origin, "openai");
  try {
    await using relayx = await startRelayx({
      ...OPENAI_ENV,
      LLM_BACKEND: "openai_compatible",
      OPENAI_BASE_URL: `http://127.0.0.1:${front.addr.port}/v1`,
      OPENAI_PROVIDER: "openai",
      OPENAI_MODEL: "gpt-4.1",
      LOG_FORMAT: format,
    });
    const answers = await drive(
      relayx,
      [...commonCases(), ...openAICases(Object.values(OPENAI_ENV).join(" "))],
      (replies) => mock.enqueue(...(replies ?? []) as MockOpenAIReply[]),
    );
    const output = await relayx.output();
    // The secrets were in play: the upstream got the key.
    assert.ok(mock.requests.some((r) => r.headers.authorization === `Bearer ${SECRETS.OPENAI_API_KEY}`));
    assertNoSecret(answers, "an answer");
    assertNoSecret([output], `relayx's output (LOG_FORMAT=${format})`);
    const longest = Math.max(...output.split("\n").map((l) => l.length));
    assert.ok(longest < 20_000, `a log line of ${longest} characters`);
    // The secrets were in play: their quotes were hidden, not absent.
    assert.ok(answers.join("").split("[redacted]").length > 40, "few redactions: did the errors arrive?");
  } finally {
    await front.shutdown();
  }
}

async function runBedrock(format: "json" | "text", auth: "sigv4" | "bearer"): Promise<void> {
  const profiles = [
    inferenceProfile("us.anthropic.claude-opus-5-5"),
    inferenceProfile("us.amazon.nova-pro-v1:0"),
  ];
  await using mock = await startMockBedrock(
    auth === "sigv4"
      ? { profiles, accessKeyId: SECRETS.AWS_ACCESS_KEY_ID }
      : { profiles, bearerToken: SECRETS.AWS_BEARER_TOKEN_BEDROCK },
  );
  const front = echoFront(mock.url, "bedrock");
  const env = auth === "sigv4" ? SIGV4_ENV : BEARER_ENV;
  try {
    await using relayx = await startRelayx({
      ...env,
      LLM_BACKEND: "bedrock",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: `http://127.0.0.1:${front.addr.port}`,
      AWS_ENDPOINT_URL_BEDROCK: mock.url,
      LOG_FORMAT: format,
    });
    const answers = await drive(
      relayx,
      [...commonCases(), ...bedrockCases(Object.values(env).join(" "))],
      (replies) => mock.enqueue(...(replies ?? []) as MockBedrockReply[]),
    );
    const output = await relayx.output();
    const data = mock.requests.filter((r) => r.operation !== "list-inference-profiles");
    assert.ok(data.length > 20, `${data.length} data-plane requests`);
    if (auth === "sigv4") {
      assert.ok(data.some((r) => r.headers["x-amz-security-token"] === SECRETS.AWS_SESSION_TOKEN));
    } else {assert.ok(data.some((r) =>
        r.auth.kind === "bearer" && r.auth.token === SECRETS.AWS_BEARER_TOKEN_BEDROCK
      ));}
    assertNoSecret(answers, "an answer");
    assertNoSecret([output], `relayx's output (LOG_FORMAT=${format})`);
    const longest = Math.max(...output.split("\n").map((l) => l.length));
    assert.ok(longest < 20_000, `a log line of ${longest} characters`);
    // The secrets were in play: their quotes were hidden, not absent.
    assert.ok(answers.join("").split("[redacted]").length > 30, "few redactions: did the errors arrive?");
  } finally {
    await front.shutdown();
  }
}

Deno.test("no credential reaches a response or relayx's output, on either backend", async (t) => {
  await t.step("OpenAI-compatible, JSON logs", () => runOpenAI("json"));
  await t.step("OpenAI-compatible, text logs", () => runOpenAI("text"));
  await t.step(
    "Bedrock with environment keys and a session token, JSON logs",
    () => runBedrock("json", "sigv4"),
  );
  await t.step("Bedrock with an API key (bearer), text logs", () => runBedrock("text", "bearer"));
});
