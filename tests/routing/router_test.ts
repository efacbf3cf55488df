/**
 * The router over fake backends, through the app: route choice, fallback before the first byte only,
 * one attempt per target, cool-down, and the log line naming what was tried.
 */
import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import type { RouteConfig } from "../../src/config.ts";
import { RelayError } from "../../src/errors.ts";
import type { RequestLog } from "../../src/log.ts";
import { createRouter } from "../../src/routing/router.ts";
import { fakeBackend, textEvents, textMessage } from "../support/fakes.ts";

function setup(routes: RouteConfig[], names = ["a", "b", "c"]) {
  const backends = Object.fromEntries(names.map((n) => [n, fakeBackend()]));
  let clock = 1_000_000;
  const router = createRouter({ backends, routes, coolDownMs: 10_000, now: () => clock });
  const logs: RequestLog[] = [];
  const app = createApp({ backend: router, log: (l) => logs.push(l) });
  const post = async (body: Record<string, unknown>) => {
    const res = await app.request("/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ max_tokens: 50, messages: [{ role: "user", content: "Hi" }], ...body }),
    });
    return { status: res.status, text: await res.text() };
  };
  return { backends, router, logs, post, advance: (ms: number) => (clock += ms) };
}

const FALLBACK: RouteConfig[] = [
  { name: "small", match: { model: ["claude-haiku-*"] }, to: [{ backend: "c" }] },
  { name: "main", match: {}, to: [{ backend: "a" }, { backend: "b", model: "fallback-model" }] },
];

Deno.test("router: haiku to one route, the rest to another", async () => {
  const { backends, post, logs } = setup(FALLBACK);
  assert.equal((await post({ model: "claude-haiku-4-5" })).status, 200);
  assert.equal((await post({ model: "claude-opus-4-5" })).status, 200);
  assert.equal(backends.c!.calls.length, 1);
  assert.equal(backends.a!.calls.length, 1);
  assert.equal(backends.b!.calls.length, 0);
  assert.equal(backends.a!.calls[0]!.ctx.model, "upstream-model", "the backend maps a bare target's model");
  assert.deepEqual(logs.map((l) => [l.route, l.target, l.tried]), [["small", "c", undefined], [
    "main",
    "a",
    undefined,
  ]]);
});

for (
  const [status, type] of [[503, "api_error"], [529, "overloaded_error"], [429, "rate_limit_error"]] as const
) {
  Deno.test(`router: ${status} from the first target falls back to the next, once each (JSON and stream)`, async () => {
    for (const stream of [false, true]) {
      const { backends, post, logs } = setup(FALLBACK);
      const failure = new RelayError(type, "upstream says no", { status, retryAfter: "3" });
      backends.a!.reply = failure;
      backends.a!.events = [failure];
      backends.b!.reply = textMessage("from b");
      backends.b!.events = textEvents(["from ", "b"]);
      const answer = await post({ model: "claude-opus-4-5", stream });
      assert.equal(answer.status, 200, answer.text);
      assert.match(answer.text, stream ? /"text":"b"/ : /from b/);
      assert.equal(backends.a!.calls.length, 1);
      assert.equal(backends.b!.calls.length, 1);
      assert.equal(backends.b!.calls[0]!.ctx.model, "fallback-model");
      const log = logs.at(-1)!;
      assert.equal(log.target, "b/fallback-model");
      assert.equal(log.upstream_model, "fallback-model");
      assert.deepEqual(log.tried, [`a: ${status} ${type}`]);
    }
  });
}

Deno.test("router: a client error is not retried elsewhere; when every target fails the last error is the answer", async () => {
  const { backends, post } = setup(FALLBACK);
  backends.a!.reply = new RelayError("invalid_request_error", "bad field");
  assert.equal((await post({ model: "claude-opus-4-5" })).status, 400);
  assert.equal(backends.b!.calls.length, 0);

  backends.a!.reply = new RelayError("api_error", "a down", { status: 503 });
  backends.b!.reply = new RelayError("rate_limit_error", "b busy", { retryAfter: "7" });
  const answer = await post({ model: "claude-opus-4-5" });
  assert.equal(answer.status, 429);
  assert.match(answer.text, /b busy/);
});

Deno.test("router: a stream that failed after its first batch is not replayed elsewhere", async () => {
  const { backends, post } = setup(FALLBACK);
  backends.a!.events = [
    ...textEvents(["half"]).slice(0, 3),
    new RelayError("api_error", "cut", { status: 503 }),
  ];
  const answer = await post({ model: "claude-opus-4-5", stream: true });
  assert.equal(answer.status, 200);
  assert.match(answer.text, /event: error/);
  assert.equal(backends.b!.calls.length, 0);
});

Deno.test("router: a target that just failed is skipped for its cool-down while others remain", async () => {
  const { backends, post, advance } = setup(FALLBACK);
  backends.a!.reply = new RelayError("rate_limit_error", "slow down", { retryAfter: "20" });
  await post({ model: "claude-opus-4-5" });
  assert.deepEqual([backends.a!.calls.length, backends.b!.calls.length], [1, 1]);
  backends.a!.reply = textMessage("a is back");
  advance(19_000);
  await post({ model: "claude-opus-4-5" });
  assert.deepEqual(
    [backends.a!.calls.length, backends.b!.calls.length],
    [1, 2],
    "a skipped within retry-after",
  );
  advance(2_000);
  assert.match((await post({ model: "claude-opus-4-5" })).text, /a is back/);
  assert.deepEqual([backends.a!.calls.length, backends.b!.calls.length], [2, 2]);
});

Deno.test("router: with every target cooling down, they are tried anyway", async () => {
  const { backends, post } = setup([{ name: "only", match: {}, to: [{ backend: "a" }] }]);
  backends.a!.reply = new RelayError("overloaded_error", "busy");
  assert.equal((await post({ model: "x" })).status, 529);
  backends.a!.reply = textMessage("ok");
  assert.equal((await post({ model: "x" })).status, 200);
});

Deno.test("router: a cooling target is still tried, last, when the ready ones fail", async () => {
  const { backends, post } = setup(FALLBACK);
  backends.a!.reply = new RelayError("api_error", "a down", { status: 503 });
  backends.b!.reply = textMessage("b serves");
  await post({ model: "claude-opus-4-5" }); // a fails and cools down; b serves
  backends.b!.reply = new RelayError("api_error", "b down", { status: 502 });
  backends.a!.reply = textMessage("a is back");
  const answer = await post({ model: "claude-opus-4-5" });
  assert.match(answer.text, /a is back/);
  assert.deepEqual(
    [backends.a!.calls.length, backends.b!.calls.length],
    [2, 2],
    "b first, then the cooling a",
  );
});

Deno.test("router: no matching route is a 400 naming the model; models and description cover every route", async () => {
  const { post, router } = setup([{
    name: "small",
    match: { model: ["claude-haiku-*"] },
    to: [{ backend: "a" }, { backend: "b", model: "qwen3:4b" }],
  }]);
  const answer = await post({ model: "gpt-4.1" });
  assert.equal(answer.status, 400);
  assert.match(answer.text, /model: no route serves \\"gpt-4.1\\"/);
  assert.deepEqual((await router.listModels()).map((m) => m.id), ["claude-opus-5-5", "qwen3:4b"]);
  const described = await router.describe();
  assert.match(described, /^route small: model=\["claude-haiku-\*"\] -> a, b\/qwen3:4b$/m);
  assert.match(described, /^backend a: openai_compatible, fake$/m);
});
