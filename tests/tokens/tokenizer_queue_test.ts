import assert from "node:assert/strict";
import { createTokenizerQueue } from "../../src/tokens/tokenizer_queue.ts";
import { tokenizerWorkerUrl } from "../../src/tokens/tokenizer_worker.ts";
import { FAKE_TOKENIZER } from "./_fake_tokenizer.ts";

const root = new URL("../..", import.meta.url).pathname;

Deno.test("createTokenizerQueue() stops an idle worker and starts one for the next job", async () => {
  const queue = createTokenizerQueue({
    url: tokenizerWorkerUrl(FAKE_TOKENIZER),
    maxJobs: 4,
    timeoutMs: 5000,
    idleMs: 50,
  });
  try {
    assert.deepEqual(queue.status(), { jobs: 0, worker: false });
    assert.deepEqual(await queue.run(["hello"], 256), { kind: "counted", counts: [5] });
    assert.deepEqual(queue.status(), { jobs: 0, worker: true });
    for (let i = 0; i < 100 && queue.status().worker; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(queue.status(), { jobs: 0, worker: false });
    assert.deepEqual(await queue.run(["hello", "again"], 256), { kind: "counted", counts: [5, 5] });
  } finally {
    queue.close();
  }
});

Deno.test("createTokenizerQueue() cuts long runs before the tokenizer sees them", async () => {
  const queue = createTokenizerQueue({
    url: tokenizerWorkerUrl(FAKE_TOKENIZER),
    maxJobs: 4,
    timeoutMs: 5000,
    idleMs: 1000,
  });
  try {
    // The stand-in hangs on "HANG" within one piece only; cut into pieces of 2, the text never shows it.
    assert.deepEqual(await queue.run(["HANG".repeat(3)], 2), { kind: "counted", counts: [12] });
  } finally {
    queue.close();
  }
});

Deno.test("a process whose counter is idle exits by itself", async () => {
  // The worker is unreferenced while idle: a server that stops serving is not kept alive by it.
  const script = `
    import { createTokenCounter } from "${root}src/tokens/token_counter.ts";
    import { DEFAULT_LIMITS } from "${root}src/limits.ts";
    const counter = createTokenCounter(DEFAULT_LIMITS);
    const count = await counter.count({ model: "m", messages: [{ role: "user", content: [{ type: "text", text: "Hello, world" }] }] });
    console.log(JSON.stringify(count));
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const out = await child.output();
  clearTimeout(timer);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout).trim(), '{"tokens":7,"method":"tokenizer"}');
});
