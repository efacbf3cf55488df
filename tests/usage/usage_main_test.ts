/**
 * Usage as users meet it: main.ts started with exactly `deno task start`'s permission flags records to the
 * data directory, and `main.ts usage --json` with `deno task usage`'s (read permission only) reads the
 * records back while relayx runs.
 */
import assert from "node:assert/strict";
import deno from "../../deno.json" with { type: "json" };
import { startMockOpenAI, textStream, usage } from "../support/mock_openai.ts";

const root = new URL("../..", import.meta.url).pathname;

/** A task's permission flags, with `$HOME` as the shell would expand it. */
function taskFlags(task: string, home: string): string[] {
  const flags = task.split(/\s+/).filter((w) => /^--(allow|no-prompt)/.test(w));
  return flags.map((f) => f.replaceAll("$HOME", home));
}

// The test moves HOME; Deno's cache stays where it is (it defaults to a directory under HOME).
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`}/deno`;

function run(args: string[], env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...args],
    cwd: root,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1", DENO_DIR, ...env },
    stdout: "piped",
    stderr: "piped",
  });
}

async function startRelayx(flags: string[], env: Record<string, string>) {
  const child = run([...flags, "main.ts"], { SERVER_PORT: "0", LOG_FORMAT: "off", ...env }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  // The listening line, then the usage line.
  while (out.split("\n").length < 3) {
    const { done, value } = await reader.read();
    if (done) break;
    out += value;
  }
  const stop = async () => {
    child.kill("SIGTERM");
    await child.status;
    await reader.cancel();
    await child.stderr.cancel();
  };
  return { out, url: out.match(/listening on (http:\/\/\S+)/)?.[1], stop };
}

async function usageJson(flags: string[], env: Record<string, string>): Promise<Record<string, unknown>[]> {
  const out = await run([...flags, "main.ts", "usage", "--by", "session", "--json"], env).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("main.ts with deno task start's flags records usage that main.ts usage reads back", async () => {
  await using mock = await startMockOpenAI();
  const home = await Deno.makeTempDir();
  const dir = `${home}/.local/share/relayx`;
  const env = {
    HOME: home,
    LLM_BACKEND: "openai_compatible",
    OPENAI_BASE_URL: mock.url,
    OPENAI_API_KEY: "sk-test",
    OPENAI_MODEL: "gpt-4.1",
    OPENAI_PROVIDER: "openai",
  };
  const flags = taskFlags(deno.tasks.start, home);
  assert.ok(flags.includes(`--allow-write=${dir}`), deno.tasks.start);
  const server = await startRelayx(flags, env);
  try {
    assert.ok(server.url, server.out);
    assert.match(
      server.out,
      new RegExp(`^relayx: usage records in ${dir}/usage\\.db \\(report: relayx usage\\)$`, "m"),
    );
    for (const tokens of [100, 250]) {
      mock.enqueue(textStream("Hi", { usage: usage(tokens, 7) }));
      const res: Response = await fetch(`${server.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-claude-code-session-id": "session-one" },
        body: JSON.stringify({
          model: "claude-sonnet-4-5",
          max_tokens: 20,
          stream: true,
          messages: [{ role: "user", content: "Hi" }],
        }),
      });
      assert.equal(res.status, 200);
      await res.text();
    }
    // Read while relayx runs (WAL), with `deno task usage`'s flags (read permission alone), once the batch
    // is written.
    assert.deepEqual(taskFlags(deno.tasks.usage, home), [`--allow-read=${dir}`, "--allow-env"]);
    let rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      rows = await usageJson(taskFlags(deno.tasks.usage, home), { HOME: home });
      if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.deepEqual(rows, [{
      session: "session-one",
      requests: 2,
      input_tokens: 350,
      output_tokens: 14,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
      // gpt-4.1's price from the model registry's catalogue: $2 in, $8 out per million tokens.
      cost: (350 * 2 + 14 * 8) / 1e6,
      unpriced_requests: 0,
    }]);
  } finally {
    await server.stop();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("main.ts under --allow-net --allow-env alone keeps usage in memory and says so", async () => {
  await using mock = await startMockOpenAI();
  const dir = await Deno.makeTempDir();
  const server = await startRelayx(["--allow-net", "--allow-env"], {
    RELAYX_DATA_DIR: dir,
    LLM_BACKEND: "openai_compatible",
    OPENAI_BASE_URL: mock.url,
    OPENAI_API_KEY: "sk-test",
    OPENAI_MODEL: "gpt-4.1",
  });
  try {
    assert.match(
      server.out,
      new RegExp(
        `^relayx: usage records kept in memory only: no permission to ${dir}\n` +
          `relayx: to keep them, run with -R=${dir} -W=${dir}$`,
        "m",
      ),
    );
  } finally {
    await server.stop();
  }
  assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
  await Deno.remove(dir);
});

Deno.test("deno task start and start:aws grant read and write to the same data directory", () => {
  for (const task of [deno.tasks.start, deno.tasks["start:aws"]]) {
    const granted = (flag: string) =>
      taskFlags(task, "/home/ada").filter((f) => f.startsWith(`${flag}=`))
        .flatMap((f) => f.slice(flag.length + 1).split(","));
    assert.ok(granted("--allow-read").includes("/home/ada/.local/share/relayx"), task);
    assert.ok(granted("--allow-write").includes("/home/ada/.local/share/relayx"), task);
  }
});
