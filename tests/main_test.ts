/**
 * The server as users start it: a subprocess with exactly the README's permission flags.
 */
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { completion, openAIError, startMockOpenAI, textStream } from "./support/mock_openai.ts";
import { message, startMockAnthropic } from "./support/mock_anthropic.ts";

const root = new URL("..", import.meta.url).pathname;

/** The text a stream's `text_delta` events carry, joined. */
function textOf(sse: string): string {
  return [...sse.matchAll(/"text_delta","text":"([^"]*)"/g)].map((m) => m[1]).join("");
}

/** Starts main.ts with the given flags and environment; resolves with the start-up line. */
async function startServer(flags: string[], env: Record<string, string>, args: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, "main.ts", ...args],
    cwd: root,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/tmp", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { done, value } = await lines.read();
    if (done) break;
    out += value;
  }
  const banner = out.split("\n")[0] ?? "";
  const url = banner.match(/listening on (http:\/\/\S+)/)?.[1];
  const logs: string[] = [];
  const drain = (async () => {
    for (;;) {
      const { done, value } = await lines.read();
      if (done) break;
      logs.push(value);
    }
  })();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await drain;
    await child.stderr.cancel();
  };
  return { banner, url, logs, stop };
}

Deno.test("main.ts serves the OpenAI-compatible backend with only --allow-net --allow-env", async () => {
  await using mock = await startMockOpenAI();
  mock.enqueue(textStream("Hi from the mock"));
  const server = await startServer(["--allow-net", "--allow-env"], {
    LLM_BACKEND: "openai_compatible",
    OPENAI_BASE_URL: mock.url,
    OPENAI_API_KEY: "sk-never-logged",
    OPENAI_MODEL: "gpt-4.1",
    OPENAI_PROVIDER: "openai",
    SERVER_PORT: "0",
  });
  try {
    assert.ok(server.url, `no start-up line: ${server.banner}`);
    assert.match(server.banner, /backend openai_compatible/);
    assert.match(server.banner, /gpt-4\.1/);
    assert.match(server.banner, /export ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:\d+/);
    assert.doesNotMatch(server.banner, /sk-never-logged/);
    const res = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "client-key-never-logged" },
      body: JSON.stringify({
        model: "claude-opus-5-5",
        max_tokens: 50,
        stream: true,
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.equal(textOf(text), "Hi from the mock");
    assert.match(text, /event: message_stop/);
    const health = await (await fetch(`${server.url}/health`)).json();
    assert.deepEqual(health, { status: "ok", backend: "openai_compatible" });
  } finally {
    await server.stop();
  }
  const logged = server.logs.join("");
  assert.match(logged, /"upstream_model":"gpt-4\.1"/);
  assert.doesNotMatch(logged, /never-logged/);
});

Deno.test("main.ts serves the backend of a configuration file, reading only that file", async (t) => {
  await using mock = await startMockOpenAI();
  const dir = await Deno.makeTempDir();
  const file = `${dir}/relayx.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      backends: {
        local: { type: "openai", baseUrl: mock.url, apiKey: "${LOCAL_KEY}", model: "qwen3-coder:30b" },
      },
      routes: [{ to: "local" }],
    }),
  );
  try {
    await t.step("with --allow-read of the file alone; the key comes from ${LOCAL_KEY}", async () => {
      mock.enqueue(textStream("from the file's backend"));
      const server = await startServer(
        ["--allow-net", "--allow-env", `--allow-read=${file}`],
        { LOCAL_KEY: "sk-from-env-never-logged" },
        ["--config", file, "--port", "0"],
      );
      try {
        assert.ok(server.url, `no start-up line: ${server.banner}`);
        assert.match(server.banner, /qwen3-coder:30b/);
        const res = await fetch(`${server.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            model: "claude-opus-5-5",
            max_tokens: 50,
            stream: true,
            messages: [{ role: "user", content: "Hi" }],
          }),
        });
        assert.equal(res.status, 200);
        const text = await res.text();
        assert.equal(textOf(text), "from the file's backend");
        assert.equal(mock.requests.at(-1)?.headers.authorization, "Bearer sk-from-env-never-logged");
      } finally {
        await server.stop();
      }
      assert.doesNotMatch(server.logs.join(""), /never-logged/);
    });

    await t.step("without read permission, one line says which flag grants the file", async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-net", "--allow-env", "main.ts", "--config", file],
        cwd: root,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 1);
      assert.equal(
        new TextDecoder().decode(out.stderr).trim(),
        `relayx: configuration error: --config: cannot read ${file}: run with --allow-read=${file}`,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts routes by model and falls back, through the official SDK", async () => {
  await using local = await startMockOpenAI();
  await using hosted = await startMockOpenAI();
  const dir = await Deno.makeTempDir();
  const file = `${dir}/relayx.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      backends: {
        local: { type: "openai", baseUrl: local.url, model: "qwen3-coder:30b", smallModel: "qwen3:4b" },
        hosted: { type: "openai", baseUrl: hosted.url, apiKey: "sk-hosted-never-logged", provider: "openai" },
      },
      routes: [
        { name: "background", match: { model: "claude-haiku-*" }, to: "local" },
        { to: ["hosted/gpt-4.1", "local"] },
      ],
    }),
  );
  const server = await startServer(["--allow-net", "--allow-env", `--allow-read=${file}`], {}, [
    "--config",
    file,
    "--port",
    "0",
  ]);
  try {
    assert.ok(server.url, `no start-up line: ${server.banner}`);
    const client = new Anthropic({ baseURL: server.url, apiKey: "dummy", maxRetries: 0 });
    const ask = (model: string) =>
      client.messages.create({ model, max_tokens: 50, messages: [{ role: "user", content: "Hi" }] });

    local.enqueue(completion({ text: "haiku from local" }));
    const small = await ask("claude-haiku-4-5");
    assert.deepEqual(small.content, [{ type: "text", text: "haiku from local" }]);
    assert.deepEqual([local.requests.length, hosted.requests.length], [1, 0]);
    assert.equal((local.requests[0]?.body as { model: string }).model, "qwen3:4b");

    const attempt = async (text: string) => {
      local.enqueue(completion({ text }));
      const before = [local.requests.length, hosted.requests.length];
      const main = await ask("claude-opus-4-5");
      assert.deepEqual(main.content, [{ type: "text", text }]);
      return [local.requests.length - before[0]!, hosted.requests.length - before[1]!];
    };
    // One attempt per target: relayx neither retries the failed target nor asks the fallback twice.
    hosted.enqueue(openAIError(503, "hosted is unavailable", { headers: { "retry-after": "1" } }));
    assert.deepEqual(await attempt("served after a 503"), [1, 1]);
    assert.equal((hosted.requests.at(-1)?.body as { model: string }).model, "gpt-4.1");
    assert.equal((local.requests.at(-1)?.body as { model: string }).model, "qwen3-coder:30b");
    // Within its retry-after, hosted is skipped: the request goes to local without trying it.
    assert.deepEqual(await attempt("hosted cooling down"), [1, 0]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    hosted.enqueue(openAIError(429, "Rate limit reached"));
    assert.deepEqual(await attempt("served after a 429"), [1, 1]);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const log = server.logs.join("");
  assert.match(log, /"route":"background","target":"local"/);
  assert.match(log, /"tried":\["hosted\/gpt-4\.1: 529 overloaded_error"\]/);
  assert.doesNotMatch(log, /never-logged/);
  assert.match(server.banner, /listening on/);
});

Deno.test("main.ts routes to an Anthropic-format upstream, its thinking signature echoed unchanged", async () => {
  await using local = await startMockOpenAI();
  await using glm = startMockAnthropic();
  const dir = await Deno.makeTempDir();
  const file = `${dir}/relayx.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      backends: {
        local: { type: "openai", baseUrl: local.url, model: "qwen3:4b" },
        glm: { type: "anthropic", baseUrl: glm.url, apiKey: "${GLM_KEY}" },
      },
      routes: [{ match: { model: "claude-haiku-*" }, to: "local" }, { to: "glm/glm-4.6" }],
    }),
  );
  const server = await startServer(
    ["--allow-net", "--allow-env", `--allow-read=${file}`],
    { GLM_KEY: "glm-key-never-logged" },
    ["--config", file, "--port", "0"],
  );
  try {
    assert.ok(server.url, `no start-up line: ${server.banner}`);
    const client = new Anthropic({ baseURL: server.url, apiKey: "dummy", maxRetries: 0 });
    const thinking = { type: "thinking", thinking: "Plan the answer.", signature: "glm-signature-1" };
    glm.enqueue(message([thinking, { type: "text", text: "Four." }]));
    const first = await client.messages.create({
      model: "claude-opus-4-5",
      max_tokens: 2000,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: "2+2?" }],
    });
    // With two backends the client holds it tagged with its backend; glm gets it back as it made it.
    assert.deepEqual(first.content[0], { ...thinking, signature: `relayx1.o.glm.${thinking.signature}` });
    glm.enqueue(message([{ type: "text", text: "Five." }]));
    await client.messages.create({
      model: "claude-opus-4-5",
      max_tokens: 2000,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [
        { role: "user", content: "2+2?" },
        { role: "assistant", content: first.content },
        { role: "user", content: "And 2+3?" },
      ],
    });
    // An upstream that quotes the file's key (of no well-known shape) in its error: redacted.
    glm.enqueue({
      kind: "error",
      status: 401,
      type: "authentication_error",
      message: "bad key glm-key-never-logged",
    });
    const refused = await client.messages.create({
      model: "claude-opus-4-5",
      max_tokens: 20,
      messages: [{ role: "user", content: "Hi" }],
    }).catch((e: unknown) => e);
    assert.ok(refused instanceof Anthropic.AuthenticationError, String(refused));
    assert.doesNotMatch(JSON.stringify(refused.error), /never-logged/);
    assert.match(JSON.stringify(refused.error), /bad key/);
    const sent = glm.requests.at(-2)!;
    assert.equal(sent.body?.model, "glm-4.6");
    assert.equal(sent.headers.get("x-api-key"), "glm-key-never-logged");
    const history = sent.body?.messages as { content: unknown[] }[];
    assert.deepEqual(history[1]?.content[0], thinking);
    assert.equal(local.requests.length, 0);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  assert.doesNotMatch(server.logs.join(""), /never-logged/);
});

Deno.test("main.ts stops at start with one line naming a bad variable", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "main.ts"],
    cwd: root,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      NO_COLOR: "1",
      LLM_BACKEND: "openai_compatible",
      OPENAI_BASE_URL: "x",
    },
  }).output();
  assert.equal(out.code, 1);
  const stderr = new TextDecoder().decode(out.stderr);
  // main.ts has no default export, so Deno does not suggest running it with `deno serve`.
  assert.doesNotMatch(stderr, /deno serve/, stderr);
  const err = stderr.split("\n").filter((l) => l && !l.startsWith("warning:")).join("\n");
  assert.equal(err.split("\n").length, 1, err);
  assert.match(err, /^relayx: configuration error: OPENAI_BASE_URL: /);
});

/** Runs `deno serve --parallel` on serve.ts with a free port; `stop` ends it and returns its output. */
function startDenoServe(flags: string[], env: Record<string, string>, args: string[] = []) {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      "--parallel",
      ...flags,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "serve.ts",
      ...args,
    ],
    cwd: root,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/tmp", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Read its output from the start, so that a full pipe can never block it.
  const output = child.output();
  const url = `http://127.0.0.1:${port}`;
  const ready = async () => {
    let health: unknown;
    for (let i = 0; i < 100 && health === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = await fetch(`${url}/health`, { headers: { connection: "close" } })
        .then((r) => r.json(), () => undefined);
    }
    return health;
  };
  const stop = async () => {
    child.kill("SIGTERM");
    // deno serve drains before it exits; a server that does not stop in time is killed, not waited on.
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 5000);
    const out = await output;
    clearTimeout(timer);
    return { stdout: new TextDecoder().decode(out.stdout), stderr: new TextDecoder().decode(out.stderr) };
  };
  return { url, ready, stop };
}

Deno.test("deno serve --parallel serve.ts serves the default export without a second listener", async () => {
  await using mock = await startMockOpenAI();
  const server = startDenoServe(["--allow-net", "--allow-env"], {
    LLM_BACKEND: "openai_compatible",
    OPENAI_BASE_URL: mock.url,
    OPENAI_API_KEY: "sk-test",
    OPENAI_PROVIDER: "openai",
  });
  try {
    assert.deepEqual(await server.ready(), { status: "ok", backend: "openai_compatible" });
    const res = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", connection: "close" },
      body: JSON.stringify({
        model: "claude-opus-5-5",
        max_tokens: 20,
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).type, "message");
  } finally {
    const { stdout, stderr } = await server.stop();
    assert.doesNotMatch(stderr, /AddrInUse|Uncaught/, stderr);
    // relayx's own start-up line belongs to `deno run`; under `deno serve` the runtime listens.
    assert.doesNotMatch(stdout, /relayx listening/);
  }
});

Deno.test("deno serve serve.ts reads the configuration file named after the module", async () => {
  await using mock = await startMockOpenAI();
  const dir = await Deno.makeTempDir();
  const file = `${dir}/relayx.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      backends: {
        local: { type: "openai", baseUrl: mock.url, apiKey: "${LOCAL_KEY}", model: "from-the-file" },
      },
      routes: [{ to: "local" }],
    }),
  );
  const server = startDenoServe(
    ["--allow-net", "--allow-env", `--allow-read=${file}`],
    { LOCAL_KEY: "sk-file-key" },
    ["--config", file],
  );
  try {
    assert.deepEqual(await server.ready(), { status: "ok", backend: "openai_compatible" });
    mock.enqueue(completion({ text: "served by the file's backend" }));
    const res = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", connection: "close" },
      body: JSON.stringify({
        model: "claude-opus-5-5",
        max_tokens: 20,
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).content[0].text, "served by the file's backend");
    const sent = mock.requests.at(-1);
    assert.equal(sent?.headers.authorization, "Bearer sk-file-key");
    assert.equal((sent?.body as { model?: string }).model, "from-the-file");
  } finally {
    const { stderr } = await server.stop();
    await Deno.remove(dir, { recursive: true });
    assert.doesNotMatch(stderr, /Uncaught|configuration error/, stderr);
  }
});
