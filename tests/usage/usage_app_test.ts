/**
 * Usage records from real requests: relayx built as `main.ts` builds it (a configuration file with two
 * backends and prices) over mock OpenAI upstreams, its records read back from the SQLite file.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { createRelay } from "../../main.ts";
import { parseServerConfig } from "../../src/config.ts";
import { parseConfigFile } from "../../src/config_file.ts";
import { completion, openAIError, startMockOpenAI, textStream, usage } from "../support/mock_openai.ts";

const SESSION = "8b0e5c3a-7f4e-4a0e-9c55-2f1d8f0b6a11";
const SECRET_PROMPT = "my password is hunter2-XYZZY-PROMPT and sk-ant-api03-PROMPTSECRETPROMPTSECRET";
const COMPLETION = "the completion says PLUGH-COMPLETION";

async function setup() {
  const local = await startMockOpenAI();
  const cloud = await startMockOpenAI();
  const dir = await Deno.makeTempDir();
  const env = { RELAYX_DATA_DIR: dir, LOG_FORMAT: "off", CLOUD_KEY: "sk-test-cloud-key-never-stored" };
  const file = JSON.stringify({
    backends: {
      local: { type: "openai", baseUrl: local.url, model: "house-finetune:7b", provider: "ollama" },
      cloud: {
        type: "openai",
        baseUrl: cloud.url,
        apiKey: "${CLOUD_KEY}",
        model: "gpt-4.1",
        provider: "openai",
      },
    },
    routes: [{ name: "main", to: ["local", "cloud"] }],
    models: { "gpt-4.1": { price: { input: 2, output: 8, cacheRead: 0.5 } } },
  });
  const relay = await createRelay(env, { ...parseServerConfig(env), ...parseConfigFile(file, env) });
  const post = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    relay.fetch(
      new Request("http://127.0.0.1/v1/messages", {
        method: "POST",
        headers: { "content-type": "application/json", host: "127.0.0.1", ...headers },
        body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 100, ...body }),
      }),
    );
  const rows = () => {
    relay.usage.recorder.flush();
    const db = new DatabaseSync(`${dir}/usage.db`, { readOnly: true });
    try {
      return db.prepare("SELECT * FROM requests ORDER BY id").all().map((r) => ({ ...r }));
    } finally {
      db.close();
    }
  };
  const close = async () => {
    relay.usage.recorder.close();
    await local[Symbol.asyncDispose]();
    await cloud[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  };
  return { relay, local, cloud, dir, post, rows, close };
}

Deno.test("relayx records each model call in the usage database: tokens, cost, session, fallbacks", async (t) => {
  const s = await setup();
  try {
    assert.deepEqual(s.relay.usage.storage, { kind: "database", path: `${s.dir}/usage.db` });

    await t.step("a stream served by the fallback after the first target's 503", async () => {
      s.local.enqueue(openAIError(503, "overloaded"));
      s.cloud.enqueue(textStream("Hello there", { usage: usage(1200, 80, { cached: 1000 }) }));
      const res = await s.post({ stream: true, messages: [{ role: "user", content: "Hi" }] }, {
        "x-claude-code-session-id": SESSION,
        "user-agent": "claude-cli/2.1.3 (external, cli)",
      });
      assert.equal(res.status, 200);
      await res.text();
      const [row] = s.rows();
      assert.ok(row);
      assert.equal(typeof row.time, "number");
      assert.match(String(row.request_id), /^req_/);
      const { id: _id, time: _time, request_id: _rid, ttfb_ms, total_ms, ...rest } = row;
      assert.ok(typeof ttfb_ms === "number" && typeof total_ms === "number" && ttfb_ms <= total_ms);
      assert.deepEqual(rest, {
        session: SESSION,
        client: "claude-cli/2.1.3",
        route: "main",
        backend: "router",
        target: "cloud",
        tried: '["local: 529 overloaded_error"]',
        fallbacks: 1,
        model: "claude-sonnet-4-5",
        upstream_model: "gpt-4.1",
        stream: 1,
        // OpenAI counts cached tokens inside prompt_tokens; Anthropic's input_tokens leaves them out.
        input_tokens: 200,
        output_tokens: 80,
        cache_read_tokens: 1000,
        cache_write_tokens: 0,
        // (200 * 2 + 80 * 8 + 1000 * 0.5) / 1e6
        cost: 0.00154,
        status: 200,
        error_type: null,
      });
    });

    await t.step("a JSON answer, without a session header", async () => {
      s.cloud.enqueue(completion({ text: "ok", usage: usage(500, 20) }));
      // The local target is cooling down after its 503: the cloud serves at once.
      const res = await s.post({ messages: [{ role: "user", content: "Hi" }] });
      assert.equal(res.status, 200);
      await res.json();
      const row = s.rows()[1];
      assert.deepEqual(
        [
          row?.session,
          row?.target,
          row?.fallbacks,
          row?.stream,
          row?.input_tokens,
          row?.output_tokens,
          row?.cost,
        ],
        [null, "cloud", 0, 0, 500, 20, (500 * 2 + 20 * 8) / 1e6],
      );
    });

    await t.step(
      "an upstream model the registry has no price for: cost unknown (NULL), not zero",
      async () => {
        s.local.enqueue(completion({ text: "ok", usage: usage(300, 10) }));
        // The local target is still cooling down: the cloud goes first, fails, and the local model serves.
        s.cloud.enqueue(openAIError(500, "down"));
        const first = await s.post({ messages: [{ role: "user", content: "Hi" }] });
        await first.body?.cancel();
        const row = s.rows()[2];
        assert.equal(row?.target, "local");
        assert.equal(row?.fallbacks, 1);
        assert.equal(row?.upstream_model, "house-finetune:7b");
        assert.equal(row?.input_tokens, 300);
        assert.equal(row?.cost, null);
      },
    );

    await t.step("a request refused before any upstream call: its status and error type", async () => {
      const res = await s.post({ max_tokens: "many", messages: [] });
      assert.equal(res.status, 400);
      await res.body?.cancel();
      const row = s.rows()[3];
      assert.deepEqual([row?.status, row?.error_type, row?.input_tokens, row?.cost], [
        400,
        "invalid_request_error",
        0,
        0,
      ]);
    });

    await t.step("health checks and model lists are not usage", async () => {
      const count = s.rows().length;
      await (await s.relay.fetch(new Request("http://127.0.0.1/health", { headers: { host: "127.0.0.1" } })))
        .body?.cancel();
      assert.equal(s.rows().length, count);
    });
  } finally {
    await s.close();
  }
});

Deno.test("a prompt, a completion and keys leave no trace in the usage database", async () => {
  const s = await setup();
  try {
    s.local.enqueue(completion({ text: COMPLETION, usage: usage(40, 8) }));
    s.local.enqueue(textStream(COMPLETION, { usage: usage(40, 8) }));
    s.local.enqueue(completion({ text: "ok", usage: usage(1, 1) }));
    for (const stream of [false, true]) {
      const res = await s.post({
        stream,
        system: SECRET_PROMPT,
        messages: [{ role: "user", content: SECRET_PROMPT }],
      }, { "x-api-key": "sk-ant-api03-CLIENTKEYCLIENTKEYCLIENTKEY", "x-claude-code-session-id": SESSION });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /PLUGH-COMPLETION/);
    }
    // A key sent as the model name (it passes through to the upstream) is redacted like in the log.
    const keyed = await s.post({
      model: "sk-ant-api03-MODELKEYMODELKEYMODELKEY-abc",
      messages: [{ role: "user", content: "Hi" }],
    });
    assert.equal(keyed.status, 200);
    await keyed.body?.cancel();
    assert.equal(s.rows()[2]?.model, "[redacted]");
    assert.equal(s.rows().length, 3);
    s.relay.usage.recorder.close();
    // The database and its write-ahead log, byte for byte.
    let bytes = "";
    for await (const entry of Deno.readDir(s.dir)) {
      bytes += new TextDecoder("latin1").decode(await Deno.readFile(`${s.dir}/${entry.name}`));
    }
    assert.match(bytes, new RegExp(SESSION), "the check reads the records' text");
    const secrets = [
      "hunter2",
      "XYZZY",
      "PROMPTSECRET",
      "PLUGH",
      "CLIENTKEY",
      "sk-test-cloud-key",
      "MODELKEY",
    ];
    for (const secret of secrets) {
      assert.ok(!bytes.includes(secret), `the usage database holds "${secret}"`);
    }
  } finally {
    await s.close();
  }
});
