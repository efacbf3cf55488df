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
import { inferenceProfile, type MockBedrockReply, startMockBedrock } from "./support/mock_bedrock.ts";
import { type MockOpenAIReply, startMockOpenAI } from "./support/mock_openai.ts";
import {
  ALL,
  base64,
  BEARER_ENV,
  bedrockCases,
  type Case,
  commonCases,
  OPENAI_ENV,
  openAICases,
  SECRETS,
  SIGV4_ENV,
} from "./support/secret_traffic.ts";

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
