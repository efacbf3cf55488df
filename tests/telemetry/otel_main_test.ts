/**
 * OpenTelemetry as a team meets it: main.ts under `--allow-net --allow-env` with OTEL_DENO=true and the
 * standard OTEL_* variables sends, to a local OTLP/HTTP receiver, one span per model call with the GenAI
 * conventions' attributes under Deno's server span, and the token, cost, error and latency metrics by
 * backend and model; never the prompt, the completion or a key.
 */
import assert from "node:assert/strict";
import { completion, openAIError, startMockOpenAI, textStream, usage } from "../support/mock_openai.ts";
import { type OtlpPoint, type OtlpSpan, startOtlpReceiver } from "../support/otlp_receiver.ts";

const root = new URL("../..", import.meta.url).pathname;
const PROMPT = "Summarise the quarterly plan for zebra-otel-prompt";
const SYSTEM = "You are the system prompt marlin-otel-system";
const ANSWER = "The plan is pelican-otel-answer";
const UPSTREAM_KEY = "sk-otel-upstream-key-0123456789";
const RELAYX_KEY = "relayx-otel-client-key-987";

async function startRelayx(env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    // The permissions of a bare `deno run`: the export to the collector needs nothing more.
    args: ["run", "--allow-net", "--allow-env", "main.ts"],
    cwd: root,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1", SERVER_PORT: "0", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!/listening on http:\/\/\S+/.test(out)) {
    const { done, value } = await reader.read();
    if (done) break;
    out += value;
  }
  // Keeps reading, so that the log lines never fill the pipe.
  const drained = (async () => {
    for (;;) if ((await reader.read()).done) return;
  })();
  const stop = async () => {
    child.kill("SIGTERM");
    await child.status;
    await drained;
    await child.stderr.cancel();
  };
  return { url: out.match(/listening on (http:\/\/\S+)/)?.[1], out, stop };
}

function ask(url: string, stream: boolean, session: string): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-api-key": RELAYX_KEY,
      "x-claude-code-session-id": session,
      "user-agent": "claude-cli/2.1.3 (external, cli)",
    },
    body: JSON.stringify({
      model: "claude-sonnet-4-5",
      max_tokens: 64,
      stream,
      system: SYSTEM,
      messages: [{ role: "user", content: PROMPT }],
    }),
  });
}

function point(points: OtlpPoint[], metric: string, attrs: Record<string, unknown>): OtlpPoint | undefined {
  return points.find((p) =>
    p.scope === "relayx" && p.metric === metric &&
    Object.entries(attrs).every(([k, v]) => p.attributes[k] === v)
  );
}

Deno.test("main.ts with OTEL_DENO=true exports a GenAI span per model call and the usage metrics", async (t) => {
  await using mock = await startMockOpenAI();
  await using otlp = await startOtlpReceiver();
  const relayx = await startRelayx({
    LLM_BACKEND: "openai_compatible",
    OPENAI_BASE_URL: mock.url,
    OPENAI_API_KEY: UPSTREAM_KEY,
    OPENAI_MODEL: "gpt-4.1",
    OPENAI_PROVIDER: "openai",
    RELAYX_API_KEY: RELAYX_KEY,
    // Nowhere to write: the records stay in memory (this test is about the export).
    RELAYX_DATA_DIR: "/nonexistent/relayx-otel-test",
    OTEL_DENO: "true",
    OTEL_SERVICE_NAME: "relayx",
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_METRIC_EXPORT_INTERVAL: "200",
    OTEL_BSP_SCHEDULE_DELAY: "100",
    OTEL_BLRP_SCHEDULE_DELAY: "100",
  });
  try {
    assert.ok(relayx.url, relayx.out);
    mock.enqueue(textStream(ANSWER, { usage: usage(1200, 30, { cached: 1000 }) }));
    const streamed = await ask(relayx.url, true, "session-stream");
    assert.equal(streamed.status, 200);
    assert.match(await streamed.text(), /message_stop/);
    mock.enqueue(completion({ text: ANSWER, usage: usage(100, 7) }));
    const plain = await ask(relayx.url, false, "session-plain");
    assert.equal(plain.status, 200);
    await plain.json();
    mock.enqueue(
      openAIError(429, "Rate limit reached for organization org-otel", { code: "rate_limit_exceeded" }),
    );
    const limited = await ask(relayx.url, false, "session-limited");
    assert.equal(limited.status, 429);
    await limited.body?.cancel();

    const chats = (await otlp.waitFor(
      () => otlp.spans().filter((s) => s.scope === "relayx"),
      3,
    )).sort((a, b) => a.startTimeUnixNano.localeCompare(b.startTimeUnixNano));
    const bySession = (id: string): OtlpSpan => {
      const span = chats.find((s) => s.attributes["session.id"] === id);
      assert.ok(span, `a span for ${id}: ${JSON.stringify(chats.map((s) => s.attributes))}`);
      return span;
    };

    await t.step("the span carries the GenAI conventions' attributes and relayx's", () => {
      const span = bySession("session-stream");
      assert.equal(span.name, "chat claude-sonnet-4-5");
      assert.equal(span.kind, 3, "client");
      assert.equal(span.resource["service.name"], "relayx");
      const a = span.attributes;
      assert.equal(a["gen_ai.operation.name"], "chat");
      assert.equal(a["gen_ai.system"], "openai");
      assert.equal(a["gen_ai.request.model"], "claude-sonnet-4-5");
      assert.equal(a["gen_ai.response.model"], "gpt-4.1");
      // The conventions count cached input as input: 200 uncached + 1000 cached.
      assert.equal(a["gen_ai.usage.input_tokens"], 1200);
      assert.equal(a["gen_ai.usage.cache_read.input_tokens"], 1000);
      assert.equal(a["gen_ai.usage.output_tokens"], 30);
      assert.equal(a["relayx.backend"], "openai_compatible");
      assert.equal(a["relayx.stream"], true);
      assert.equal(a["http.response.status_code"], 200);
      assert.equal(a["relayx.client"], "claude-cli/2.1.3");
      assert.equal(typeof a["relayx.ttfb_ms"], "number");
      // gpt-4.1 at the catalogue's $2 in, $0.5 cached, $8 out per million tokens.
      assert.ok(
        typeof a["relayx.cost_usd"] === "number" && a["relayx.cost_usd"] > 0,
        String(a["relayx.cost_usd"]),
      );
      assert.equal(a["error.type"], undefined);
      assert.equal(span.statusCode, 0);
      assert.equal(bySession("session-plain").attributes["relayx.stream"], false);
    });

    await t.step("the span is a child of Deno's server span for the request", () => {
      const span = bySession("session-plain");
      const parent = otlp.spans().find((s) => s.spanId === span.parentSpanId);
      assert.ok(parent, "the parent span arrived");
      assert.equal(parent.scope, "deno");
      assert.equal(parent.kind, 2, "server");
      assert.equal(parent.attributes["url.path"], "/v1/messages");
    });

    await t.step("a failed call has error.type and an error status, without the error's message", () => {
      const span = bySession("session-limited");
      assert.equal(span.attributes["error.type"], "rate_limit_error");
      assert.equal(span.attributes["http.response.status_code"], 429);
      assert.equal(span.statusCode, 2);
    });

    await t.step("the metrics count tokens, cost, errors and latency by backend and model", async () => {
      const model = { "gen_ai.response.model": "gpt-4.1", "relayx.backend": "openai_compatible" };
      const points = await otlp.waitFor(() => {
        const p = otlp.points();
        return point(p, "relayx.requests", { "error.type": "rate_limit_error" }) ? p : [];
      }, 1);
      // The model a client asks for is any string: on spans only; a refused request names no model.
      assert.ok(points.every((p) => p.scope !== "relayx" || !("gen_ai.request.model" in p.attributes)));
      const refused = point(points, "relayx.requests", { "error.type": "rate_limit_error" });
      assert.equal(refused?.attributes["gen_ai.response.model"], undefined);
      const input = point(points, "gen_ai.client.token.usage", { ...model, "gen_ai.token.type": "input" });
      assert.deepEqual([input?.type, input?.count, input?.sum, input?.unit], [
        "histogram",
        2,
        1300,
        "{token}",
      ]);
      const output = point(points, "gen_ai.client.token.usage", { ...model, "gen_ai.token.type": "output" });
      assert.deepEqual([output?.count, output?.sum], [2, 37]);
      assert.equal(point(points, "relayx.tokens", { ...model, "relayx.token.type": "input" })?.value, 300);
      assert.equal(
        point(points, "relayx.tokens", { ...model, "relayx.token.type": "cache_read" })?.value,
        1000,
      );
      assert.equal(point(points, "relayx.tokens", { ...model, "relayx.token.type": "output" })?.value, 37);
      const cost = point(points, "relayx.cost", model);
      assert.ok(cost?.value && cost.value > 0, JSON.stringify(cost));
      assert.equal(cost.unit, "USD");
      const ok = point(points, "relayx.requests", { ...model, "http.response.status_code": 200 });
      assert.equal(ok?.value, 2);
      assert.equal(ok.attributes["gen_ai.system"], "openai");
      assert.equal(point(points, "relayx.errors", { "error.type": "rate_limit_error" })?.value, 1);
      const duration = point(points, "gen_ai.client.operation.duration", {
        "http.response.status_code": 200,
      });
      assert.deepEqual([duration?.count, duration?.unit], [2, "s"]);
      const ttfb = point(points, "relayx.client.time_to_first_byte", model);
      assert.equal(ttfb?.count, 1, "streams only");
      // Sessions would make the metrics' series unbounded: they stay on the spans.
      assert.ok(points.every((p) => !("session.id" in p.attributes)));
    });

    await t.step("no prompt, completion, error message or key is in anything exported", async () => {
      // Deno exports console output as logs: relayx's log line goes out too.
      await otlp.waitFor(
        () => otlp.bodies.filter((b) => b.path === "/v1/logs" && b.text.includes("rate_limit")),
        1,
      );
      for (const { path, text } of otlp.bodies) {
        for (
          const secret of [
            "zebra-otel-prompt",
            "marlin-otel-system",
            "pelican-otel-answer",
            UPSTREAM_KEY,
            RELAYX_KEY,
          ]
        ) {
          assert.ok(!text.includes(secret), `${path} carries ${secret}`);
        }
        // The log line has the upstream's error message (redacted); spans and metrics have its type only.
        if (path !== "/v1/logs") assert.ok(!text.includes("org-otel"), `${path} carries the error message`);
      }
    });
  } finally {
    await relayx.stop();
  }
});
