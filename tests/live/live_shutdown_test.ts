/**
 * An open live page does not hold relayx's graceful shutdown: `deno run main.ts` with a page's event
 * stream open stops on SIGTERM as soon as it has drained, well before its deadline, and the page hears
 * that relayx stopped.
 */
import assert from "node:assert/strict";
import { startMockOpenAI } from "../support/mock_openai.ts";
import { spawnRelay } from "../server/_relay_process.ts";

Deno.test("deno run main.ts ends the live page's event streams on SIGTERM and exits without waiting", async () => {
  await using mock = await startMockOpenAI();
  await using relay = await spawnRelay(["run", "--allow-net", "--allow-env", "main.ts"], {
    LLM_BACKEND: "openai_compatible",
    OPENAI_BASE_URL: mock.url,
    OPENAI_API_KEY: "sk-test",
    OPENAI_PROVIDER: "openai",
    OPENAI_MODEL: "gpt-4.1",
    SERVER_PORT: "0",
    // Far longer than the test may take: a stream that held the drain would show as the cutoff's note.
    RELAYX_SHUTDOWN_TIMEOUT: "120",
  });
  const res = await fetch(`${relay.url}/api/usage/events`);
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let head = "";
  while (!head.includes("event: summary")) {
    const { value, done } = await reader.read();
    assert.ok(!done, "the stream ended before its first summary");
    head += value;
  }
  relay.child.kill("SIGTERM");
  let rest = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += value;
  }
  const status = await relay.status;
  assert.equal(status.code, 0, relay.output());
  assert.match(rest, /event: bye\ndata: \{\}\n\n$/);
  assert.match(relay.output(), /relayx: stopped/);
  assert.doesNotMatch(relay.output(), /ending the requests still in flight/);
});
