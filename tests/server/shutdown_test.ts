/**
 * Graceful shutdown with real processes: `deno run main.ts` with exactly the README's flags, `deno task
 * start`, and `deno serve --parallel serve.ts`, in front of a slow mock upstream.
 */
import assert from "node:assert/strict";
import { completion, type MockOpenAI, startMockOpenAI, textStream } from "../support/mock_openai.ts";
import { freePort, readAll, type RelayProcess, spawnRelay, until } from "./_relay_process.ts";

const RUN = ["run", "--allow-net", "--allow-env", "main.ts"];

function env(mock: MockOpenAI, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LLM_BACKEND: "openai_compatible",
    OPENAI_BASE_URL: mock.url,
    OPENAI_API_KEY: "sk-test",
    OPENAI_PROVIDER: "openai",
    OPENAI_MODEL: "gpt-4.1",
    SERVER_PORT: "0",
    RELAYX_SHUTDOWN_TIMEOUT: "0.6",
    ...extra,
  };
}

function post(url: string, stream: boolean): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "claude-opus-5-5",
      max_tokens: 50,
      stream,
      messages: [{ role: "user", content: "Hi" }],
    }),
  });
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(" ");

/**
 * Four requests in flight when the signal comes: a stream and a non-stream answer that finish within the
 * 0.6 s deadline, and a stream and a non-stream answer that do not.
 */
async function drainScenario(relay: RelayProcess, mock: MockOpenAI, signal: () => void): Promise<void> {
  mock.enqueue(
    { ...textStream(words(5), { pieces: 5 }), delayMs: 50 },
    { ...textStream(words(100), { pieces: 100 }), delayMs: 100 },
    { ...completion({ text: "soon" }), delayMs: 200 },
    { ...completion({ text: "late" }), delayMs: 2000 },
  );
  // One at a time, so that each request takes the reply queued for it.
  const quick = await post(relay.url, true);
  const slow = await post(relay.url, true);
  // Caught here so that a relayx that dies on the signal fails the assertions below, not the whole file.
  const soon = post(relay.url, false).catch((err: Error) => err);
  await until(() => mock.requests.length === 3);
  const late = post(relay.url, false).catch((err: Error) => err);
  await until(() => mock.requests.length === 4);
  const abortsBefore = mock.aborted;

  signal();
  await new Promise((r) => setTimeout(r, 150));
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: relay.port }),
    "new connections are refused",
  );

  const quickText = await readAll(quick);
  assert.match(quickText, /event: message_stop/);
  const slowText = await readAll(slow);
  assert.ok(
    slowText.endsWith(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",' +
        '"message":"relayx is shutting down; retry the request"}}\n\n',
    ),
    slowText.slice(-300),
  );
  assert.doesNotMatch(slowText, /message_stop/);
  const soonRes = await soon;
  assert.ok(soonRes instanceof Response, `the finished answer was cut: ${soonRes}`);
  assert.equal(soonRes.status, 200);
  assert.equal((await soonRes.json()).content[0].text, "soon");
  const lateRes = await late;
  assert.ok(lateRes instanceof Response, `the late answer was cut: ${lateRes}`);
  assert.equal(lateRes.status, 529);
  assert.equal((await lateRes.json()).error.type, "overloaded_error");

  const status = await relay.status;
  assert.equal(status.code, 0, relay.output());
  // The slow stream's upstream call was cancelled, not left running. (The mock does not notice a client
  // leaving a delayed JSON reply; app_test checks that the late answer's call is aborted.)
  await until(() => mock.aborted > abortsBefore);
}

Deno.test("deno run main.ts on SIGTERM drains requests in flight, cuts the rest at the deadline, exits 0", async () => {
  await using mock = await startMockOpenAI();
  await using relay = await spawnRelay(RUN, env(mock));
  await drainScenario(relay, mock, () => relay.child.kill("SIGTERM"));
  assert.match(relay.output(), /SIGTERM: not accepting new connections/);
});

Deno.test("deno task start forwards SIGTERM and relayx drains the same way", async () => {
  await using mock = await startMockOpenAI();
  await using relay = await spawnRelay(["task", "start"], env(mock));
  await drainScenario(relay, mock, () => relay.child.kill("SIGTERM"));
});

Deno.test("Ctrl-C under deno task (SIGINT twice within a millisecond) is one request to drain", async () => {
  await using mock = await startMockOpenAI();
  await using relay = await spawnRelay(RUN, env(mock));
  await drainScenario(relay, mock, () => {
    relay.child.kill("SIGINT");
    relay.child.kill("SIGINT");
  });
});

Deno.test("deno run main.ts behind the connection guard drains the same way", async () => {
  await using mock = await startMockOpenAI();
  await using relay = await spawnRelay(RUN, env(mock, { RELAYX_GUARD: "on" }));
  assert.match(relay.output(), /connection guard on/);
  await drainScenario(relay, mock, () => relay.child.kill("SIGTERM"));
});

Deno.test("deno serve --parallel serve.ts: each worker cuts its streams at the deadline, exit 0", async () => {
  await using mock = await startMockOpenAI();
  const port = freePort();
  await using relay = await spawnRelay(
    [
      "serve",
      "--parallel",
      "--allow-net",
      "--allow-env",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "serve.ts",
    ],
    { ...env(mock), DENO_JOBS: "2" },
    port,
  );
  await drainScenario(relay, mock, () => relay.child.kill("SIGTERM"));
});

Deno.test("a second SIGTERM stops relayx at once", async () => {
  await using mock = await startMockOpenAI();
  await using relay = await spawnRelay(RUN, env(mock, { RELAYX_SHUTDOWN_TIMEOUT: "60" }));
  mock.enqueue({ ...textStream(words(100), { pieces: 100 }), delayMs: 100 });
  const res = await post(relay.url, true);
  relay.child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 700));
  const started = Date.now();
  relay.child.kill("SIGTERM");
  const status = await relay.status;
  assert.equal(status.code, 143, relay.output());
  assert.ok(Date.now() - started < 5000);
  await readAll(res);
});
