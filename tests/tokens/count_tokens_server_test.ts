/**
 * A worst-case `count_tokens` on the server as users start it (`main.ts`, exactly `--allow-net
 * --allow-env`): the rest of the server keeps answering while it counts, and the worker needs no other
 * permission.
 */
import assert from "node:assert/strict";
import { startMockOpenAI, textStream } from "../support/mock_openai.ts";

const root = new URL("../..", import.meta.url).pathname;
/** Only to catch a hang: the server answers /health within milliseconds. */
const HANG_GUARD_MS = 30_000;

async function startServer(env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "main.ts"],
    cwd: root,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/tmp", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { done, value } = await lines.read();
    if (done) break;
    out += value;
  }
  const drain = (async () => {
    while (!(await lines.read()).done) { /* log lines */ }
  })();
  const url = new URL(out.match(/listening on (http:\/\/\S+)/)?.[1] ?? "http://banner.missing");
  const stop = async () => {
    // A server stuck on its event loop cannot run a SIGTERM handler.
    child.kill("SIGKILL");
    await child.status;
    await drain;
    return await stderr;
  };
  return { url, stop };
}

// 200,000 CJK characters in no repeating order: one piece to the tokenizer's pre-splitting.
function worstText(): string {
  const units: string[] = [];
  for (let i = 0, x = 1; i < 200_000; i++) {
    x = (x * 48271) % 2147483647;
    units.push(String.fromCharCode(0x4e00 + (x % 0x5000)));
  }
  return units.join("");
}

// Sends a request over its own connection; resolves once every byte is written, with the response to come.
async function sendRaw(url: URL, path: string, body: string) {
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  const bytes = new TextEncoder().encode(body);
  const head = `POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
    `content-length: ${bytes.length}\r\nconnection: close\r\n\r\n`;
  const writer = conn.writable.getWriter();
  await writer.write(new TextEncoder().encode(head));
  await writer.write(bytes);
  writer.releaseLock();
  const response = new Response(conn.readable).text().then((raw) => {
    const [headers = "", json = ""] = raw.split("\r\n\r\n");
    return { status: Number(headers.split(" ")[1]), headers: headers.toLowerCase(), json };
  });
  const close = () => {
    try {
      conn.close();
    } catch { /* closed when the response ended */ }
  };
  return { response, close };
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  // Once the guard has failed the test, the request still ends (the server is killed): not a second error.
  promise.catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${HANG_GUARD_MS} ms`)), HANG_GUARD_MS);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

Deno.test("a worst-case count_tokens does not hold up /health or /v1/messages", async () => {
  await using mock = await startMockOpenAI();
  mock.enqueue(textStream("Still here"));
  const server = await startServer({
    LLM_BACKEND: "openai_compatible",
    OPENAI_BASE_URL: mock.url,
    OPENAI_API_KEY: "sk-test",
    OPENAI_MODEL: "gpt-4.1",
    OPENAI_PROVIDER: "openai",
    SERVER_PORT: "0",
    RELAYX_TOKENIZER_TIMEOUT: "120",
  });
  let stderr = "";
  let big: Awaited<ReturnType<typeof sendRaw>> | undefined;
  try {
    big = await sendRaw(
      server.url,
      "/v1/messages/count_tokens",
      JSON.stringify({ model: "claude-opus-5-5", messages: [{ role: "user", content: worstText() }] }),
    );
    const order: string[] = [];
    const counted = big.response.then((r) => (order.push("count_tokens"), r));
    counted.catch(() => {}); // awaited below, unless the test has failed before
    // Time for the server to read the body and start counting: before the fix, it then stops answering.
    await new Promise((r) => setTimeout(r, 300));

    const health = await within(fetch(new URL("/health", server.url)), "/health");
    order.push("health");
    assert.equal(health.status, 200);
    await health.body?.cancel();
    const message = await within(
      fetch(new URL("/v1/messages", server.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "claude-opus-5-5",
          max_tokens: 50,
          stream: true,
          messages: [{ role: "user", content: "Hi" }],
        }),
      }).then((r) => r.text()),
      "/v1/messages",
    );
    order.push("messages");
    assert.match(message, /Still here|"text":"Still/);
    assert.match(message, /event: message_stop/);

    const count = await within(counted, "the worst-case count");
    assert.deepEqual(order, ["health", "messages", "count_tokens"]);
    assert.equal(count.status, 200);
    // Counted by the worker, loaded from a data: URL under exactly --allow-net --allow-env.
    assert.match(count.headers, /x-relayx-token-count: tokenizer/);
    assert.ok(JSON.parse(count.json).input_tokens > 200_000, count.json);
  } finally {
    big?.close();
    stderr = await server.stop();
  }
  assert.doesNotMatch(stderr, /Requires read access|Uncaught/, stderr);
});
