/**
 * The router on a context overflow: the next target whose model has a larger window serves, without a
 * cool-down for the one that overflowed; targets with a window no larger are skipped, unknown ones tried.
 */
import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import { guardContext } from "../../src/backends/context_guard.ts";
import type { RouteConfig } from "../../src/config.ts";
import { contextOverflowError } from "../../src/errors.ts";
import type { RequestLog } from "../../src/log.ts";
import { createRouter } from "../../src/routing/router.ts";
import { type FakeBackend, fakeBackend, textEvents, textMessage } from "../support/fakes.ts";

function withWindows(fake: FakeBackend, windows: Record<string, number>): FakeBackend {
  fake.modelSpec = (model) => (model in windows ? { contextWindow: windows[model] } : {});
  return fake;
}

function setup(routes: RouteConfig[], windows: Record<string, number>) {
  const fakes = { a: withWindows(fakeBackend(), windows), b: withWindows(fakeBackend(), windows) };
  const router = createRouter({
    backends: { a: guardContext(fakes.a), b: guardContext(fakes.b) },
    routes,
    coolDownMs: 60_000,
    now: () => 1_000_000,
  });
  const logs: RequestLog[] = [];
  const app = createApp({ backend: router, log: (l) => logs.push(l) });
  const post = async (text: string, stream = false) => {
    const res = await app.request("/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-opus-4-5",
        max_tokens: 50,
        stream,
        messages: [{ role: "user", content: text }],
      }),
    });
    return { status: res.status, text: await res.text() };
  };
  return { fakes, logs, post };
}

const ROUTES: RouteConfig[] = [{
  name: "main",
  match: {},
  to: [{ backend: "a", model: "m8k" }, { backend: "a", model: "m4k" }, { backend: "b", model: "m100k" }],
}];

Deno.test("router: a preflight overflow moves to the next target with a larger window (JSON and stream)", async () => {
  for (const stream of [false, true]) {
    const { fakes, logs, post } = setup(ROUTES, { m8k: 8000, m4k: 4000, m100k: 100_000 });
    fakes.b.reply = textMessage("from b");
    fakes.b.events = textEvents(["from ", "b"]);
    const answer = await post("word ".repeat(9000), stream);
    assert.equal(answer.status, 200, answer.text);
    // The preflight answered for m8k and m4k was skipped: neither fake saw the request.
    assert.equal(fakes.a.calls.length, 0);
    assert.equal(fakes.b.calls.length, 1);
    assert.equal(logs.at(-1)?.target, "b/m100k");
    assert.deepEqual(logs.at(-1)?.tried, [
      "a/m8k: 400 invalid_request_error (context window 8000)",
      "a/m4k: skipped, context window 4000 not larger than 8000",
    ]);
  }
});

Deno.test("router: an upstream's own overflow moves on the same way, with no cool-down", async () => {
  const { fakes, post } = setup(ROUTES, { m8k: 8000, m4k: 4000 });
  fakes.a.reply = contextOverflowError("prompt is too long: 9100 tokens > 8000 maximum", 0, 8000);
  fakes.b.reply = textMessage("from b");
  const answer = await post("short enough for the estimate");
  assert.equal(answer.status, 200, answer.text);
  // m100k's window is unknown here: it is tried, since it may be larger.
  assert.deepEqual([fakes.a.calls.length, fakes.b.calls.length], [1, 1]);
  fakes.a.reply = textMessage("from a");
  assert.match((await post("again")).text, /from a/, "no cool-down for the target that overflowed");
});

Deno.test("router: when no target has a larger window the client gets the overflow error", async () => {
  const { fakes, post } = setup(ROUTES, { m8k: 8000, m4k: 4000, m100k: 6000 });
  const answer = await post("word ".repeat(9000));
  assert.equal(answer.status, 400);
  assert.match(answer.text, /prompt is too long: \d+ tokens > 8000 maximum/);
  assert.deepEqual([fakes.a.calls.length, fakes.b.calls.length], [0, 0]);
});

Deno.test("the preflight of a backend that prepares itself estimates what its upstream reads", async () => {
  // An Anthropic-format backend with a 5,000-token window gets the request as sent, with 40,000
  // characters of a deferred tool never loaded (about 9,000 tokens): its upstream never reads that schema.
  const base = withWindows(fakeBackend(), { "upstream-model": 5000 });
  const pass = guardContext({ ...base, kind: "anthropic" });
  const app = createApp({ backend: pass });
  const res = await app.request("/v1/messages", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "claude-opus-4-5",
      max_tokens: 50,
      messages: [{ role: "user", content: "Hi" }],
      tools: [{
        name: "mcp__files__search",
        description: "x".repeat(40_000),
        input_schema: { type: "object", properties: {} },
        defer_loading: true,
      }],
    }),
  });
  assert.equal(res.status, 200, await res.text());
  // The schema still reaches the backend, which passes it on for the upstream's own tool search.
  assert.equal(base.calls[0]?.request.tools?.length, 1);
});
