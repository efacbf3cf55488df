/**
 * The start-up output of main.ts with several backends: each backend and each route on its own line,
 * then the `export` line, and no line wider than a terminal.
 */
import assert from "node:assert/strict";

const root = new URL("..", import.meta.url).pathname;

Deno.test("main.ts with several backends prints one line per backend and route, none over 100 columns", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/relayx.json`;
  const local = (model: string) => ({ type: "openai", baseUrl: "http://127.0.0.1:1/v1", model });
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      backends: {
        "local-qwen-coder-with-a-long-name": local("qwen3-coder:30b-a3b-instruct-q4_K_M-with-a-long-tag"),
        "local-llama": local("llama3.3:70b-instruct-q4_K_M"),
        "local-mistral": local("mistral-small3.2:24b-instruct-2506-q4_K_M"),
      },
      routes: [
        {
          name: "background-and-small-models",
          match: { model: ["claude-haiku-*", "claude-3-5-haiku-*", "claude-instant-*"], tools: "mcp__*" },
          to: ["local-llama", "local-mistral/mistral-small3.2:24b-instruct-2506-q4_K_M"],
        },
        {
          to: [
            "local-qwen-coder-with-a-long-name",
            "local-llama/llama3.3:70b-instruct-q4_K_M",
            "local-mistral/mistral-small3.2:24b-instruct-2506-q4_K_M",
            "local-llama/llama3.1:405b-instruct-q2_K",
          ],
        },
      ],
    }),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
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
    cwd: root,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/tmp", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  try {
    while (!/export ANTHROPIC_BASE_URL=\S+\n/.test(out)) {
      const { done, value } = await reader.read();
      if (done) break;
      out += value;
    }
  } finally {
    child.kill("SIGTERM");
    await reader.cancel();
    await child.stderr.cancel();
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
  const lines = out.trimEnd().split("\n");
  assert.match(lines[0]!, /^relayx listening on http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(lines.at(-1)!, /^export ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(lines.filter((l) => l.startsWith("backend ")).length, 3);
  assert.deepEqual(lines.filter((l) => l.startsWith("route ")).map((l) => l.split(":")[0]), [
    "route background-and-small-models",
    "route routes[1]",
  ]);
  for (const line of lines) assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
  assert.match(out, /route routes\[1\]: every request -> local-qwen-coder-with-a-long-name, .*\+\d more/);
});
