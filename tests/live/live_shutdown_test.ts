/**
 * An open live page does not hold relayx's graceful shutdown: with a page's event stream open, relayx
 * (`deno run main.ts`, and `deno serve serve.ts`) stops on SIGTERM as soon as it has drained, long before
 * its deadline, and the page hears that relayx stopped.
 */
import assert from "node:assert/strict";
import { type MockOpenAI, startMockOpenAI } from "../support/mock_openai.ts";
import { freePort, type RelayProcess, spawnRelay } from "../server/_relay_process.ts";

function env(mock: MockOpenAI): Record<string, string> {
  return {
    LLM_BACKEND: "openai_compatible",
    OPENAI_BASE_URL: mock.url,
    OPENAI_API_KEY: "sk-test",
    OPENAI_PROVIDER: "openai",
    OPENAI_MODEL: "gpt-4.1",
    SERVER_PORT: "0",
    // Far longer than the test may take: a stream that held the drain would show as the cutoff's note.
    RELAYX_SHUTDOWN_TIMEOUT: "120",
  };
}

async function openPageThenStop(relay: RelayProcess): Promise<string> {
  const res = await fetch(`${relay.url}/api/usage/events`);
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("event: summary")) {
    const { value, done } = await reader.read();
    assert.ok(!done, "the stream ended before its first summary");
    text += value;
  }
  relay.child.kill("SIGTERM");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += value;
  }
}

Deno.test("deno run main.ts ends the live page's event streams on SIGTERM and exits without waiting", async () => {
  await using mock = await startMockOpenAI();
  await using relay = await spawnRelay(["run", "--allow-net", "--allow-env", "main.ts"], env(mock));
  const text = await openPageThenStop(relay);
  const status = await relay.status;
  assert.equal(status.code, 0, relay.output());
  assert.match(text, /event: bye\ndata: \{\}\n\n$/);
  assert.match(relay.output(), /relayx: stopped/);
  assert.doesNotMatch(relay.output(), /ending the requests still in flight/);
});

Deno.test("deno serve serve.ts ends the live page's event streams on SIGTERM too", async () => {
  await using mock = await startMockOpenAI();
  const port = freePort();
  const args = [
    "serve",
    "--allow-net",
    "--allow-env",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "serve.ts",
  ];
  await using relay = await spawnRelay(args, env(mock), port);
  const text = await openPageThenStop(relay);
  const status = await relay.status;
  assert.equal(status.code, 0, relay.output());
  assert.match(text, /event: bye\ndata: \{\}\n\n$/);
  assert.doesNotMatch(relay.output(), /ending the requests still in flight/);
});
