/**
 * The router over fake backends, through the app: route choice, fallback before the first byte only,
 * one attempt per target, cool-down, and the log line naming what was tried.
 */
import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import type { CountTokensRequest, StreamEvent } from "../../src/anthropic/types.ts";
import type { Backend, CallContext } from "../../src/backends/backend.ts";
import type { RouteConfig } from "../../src/config.ts";
import { RelayError } from "../../src/errors.ts";
import type { RequestLog } from "../../src/log.ts";
import { coolDownMs, createRouter } from "../../src/routing/router.ts";
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

Deno.test("router: a retry-after given as an HTTP-date is honoured; 0 cools down for a second only", async (t) => {
  await t.step("coolDownMs() reads both forms and bounds them", () => {
    const now = Date.parse("Sun, 06 Dec 2026 03:00:00 GMT");
    assert.equal(coolDownMs("20", now, 30_000), 20_000);
    assert.equal(coolDownMs("Sun, 06 Dec 2026 03:00:45 GMT", now, 30_000), 45_000);
    assert.equal(coolDownMs("0", now, 30_000), 1_000);
    assert.equal(coolDownMs("Sun, 06 Dec 2026 02:00:00 GMT", now, 30_000), 1_000, "a date already past");
    assert.equal(coolDownMs("86400", now, 30_000), 300_000, "at most five minutes");
    assert.equal(coolDownMs("soon", now, 30_000), 30_000, "unreadable: the default");
    assert.equal(coolDownMs(undefined, now, 30_000), 30_000);
  });

  await t.step("through the router, with its clock", async () => {
    const { backends, post, advance } = setup(FALLBACK);
    // The test clock starts at 1,000,000 ms after the epoch: 00:16:40 on 1 January 1970.
    backends.a!.reply = new RelayError("rate_limit_error", "slow down", {
      retryAfter: new Date(1_000_000 + 40_000).toUTCString(),
    });
    await post({ model: "claude-opus-4-5" });
    backends.a!.reply = textMessage("a is back");
    advance(30_000); // past the default cool-down (10 s here), within the date
    await post({ model: "claude-opus-4-5" });
    assert.deepEqual(
      [backends.a!.calls.length, backends.b!.calls.length],
      [1, 2],
      "a skipped until the date",
    );
    advance(11_000);
    assert.match((await post({ model: "claude-opus-4-5" })).text, /a is back/);

    backends.a!.reply = new RelayError("overloaded_error", "busy", { retryAfter: "0" });
    await post({ model: "claude-opus-4-5" });
    backends.a!.reply = textMessage("a again");
    advance(1_000);
    assert.match((await post({ model: "claude-opus-4-5" })).text, /a again/, "ready again after a second");
  });
});

Deno.test("router: relayx's own failure inside a target neither falls back nor cools the target down", async () => {
  for (const stream of [false, true]) {
    const { backends, post } = setup(FALLBACK);
    const bug = new TypeError("Cannot read properties of undefined (reading 'text')");
    backends.a!.reply = bug;
    backends.a!.events = [bug];
    const answer = await post({ model: "claude-opus-4-5", stream });
    assert.equal(answer.status, 500);
    assert.match(answer.text, /Internal error in relayx/);
    assert.equal(backends.b!.calls.length, 0, "the fallback is not tried");
    backends.a!.reply = textMessage("a serves");
    backends.a!.events = textEvents(["a serves"]);
    assert.match(
      (await post({ model: "claude-opus-4-5", stream })).text,
      /a serves/,
      "a is not cooling down",
    );
    assert.equal(backends.a!.calls.length, 2);
  }
});

Deno.test("router: only the serving target's warnings reach x-relayx-warnings", async () => {
  for (const stream of [false, true]) {
    const backends = { a: fakeBackend(), b: fakeBackend() };
    const failing = backends.a;
    const fail = new RelayError("api_error", "a down", { status: 503 });
    failing.complete = (_request, ctx) => {
      ctx.warn("a: image omitted");
      return Promise.reject(fail);
    };
    failing.stream = async function* (_request, ctx) {
      ctx.warn("a: image omitted");
      yield* [];
      throw fail;
    };
    const served = backends.b;
    const complete = served.complete;
    served.complete = (request, ctx) => {
      ctx.warn("b: top_k dropped");
      return complete(request, ctx);
    };
    const streamB = served.stream;
    served.stream = (request, ctx) => {
      ctx.warn("b: top_k dropped");
      return streamB(request, ctx);
    };
    const router = createRouter({
      backends,
      routes: [{ name: "main", match: {}, to: [{ backend: "a" }, { backend: "b" }] }],
    });
    const logs: RequestLog[] = [];
    const app = createApp({ backend: router, log: (l) => logs.push(l) });
    const res = await app.request("/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "m",
        max_tokens: 5,
        stream,
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    await res.text();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-relayx-warnings"), "b: top_k dropped");
    assert.deepEqual(logs.at(-1)?.warnings, ["b: top_k dropped"]);
    assert.deepEqual(logs.at(-1)?.tried, ["a: 503 api_error"]);
  }
});

/** A router over three fakes behind an app whose streams commit after 10 ms of upstream silence. */
function lateSetup() {
  const backends = { a: fakeBackend(), b: fakeBackend(), c: fakeBackend() };
  const router = createRouter({
    backends,
    routes: [{ name: "main", match: {}, to: [{ backend: "a" }, { backend: "b" }, { backend: "c" }] }],
  });
  // Settles when the router's own call has ended, whatever the client saw.
  let settled: Promise<unknown> = Promise.resolve();
  const watched: Backend = {
    ...router,
    complete(request, ctx) {
      const call = router.complete(request, ctx);
      settled = call.catch(() => {});
      return call;
    },
    stream(request, ctx) {
      const done = Promise.withResolvers<void>();
      settled = done.promise;
      return (async function* () {
        try {
          yield* router.stream(request, ctx);
        } finally {
          done.resolve();
        }
      })();
    },
  };
  const logs: RequestLog[] = [];
  const app = createApp({ backend: watched, log: (l) => logs.push(l), limits: { pingMs: 10 } });
  const post = (stream: boolean, signal?: AbortSignal) =>
    Promise.resolve(app.request("/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "m",
        max_tokens: 5,
        stream,
        messages: [{ role: "user", content: "Hi" }],
      }),
      signal,
    }));
  return { backends, logs, post, settled: () => settled };
}

/** A stream that sends nothing until `gate` opens, then fails with `err`. */
function failsWhenReleased(gate: Promise<void>, err: Error) {
  return async function* (): AsyncGenerator<StreamEvent[]> {
    await gate;
    yield* [];
    throw err;
  };
}

Deno.test("router: after a late commit (pings sent), fallback still happens before the first real batch", async (t) => {
  await t.step("the next target serves: one message, after the pings", async () => {
    const { backends, logs, post } = lateSetup();
    const gate = Promise.withResolvers<void>();
    backends.a.stream = failsWhenReleased(
      gate.promise,
      new RelayError("api_error", "a down", { status: 503 }),
    );
    backends.b.events = textEvents(["from ", "b"]);
    // The answer comes only once the route has given up waiting and committed the 200.
    const res = await post(true);
    assert.equal(res.status, 200);
    gate.resolve();
    const text = await res.text();
    assert.ok(text.startsWith("event: ping\n"), text.slice(0, 40));
    assert.equal(text.match(/event: message_start/g)?.length, 1);
    assert.doesNotMatch(text, /event: error/);
    assert.match(text, /"text":"b"/);
    assert.ok(text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
    assert.deepEqual([backends.b.calls.length, backends.c.calls.length], [1, 0]);
    assert.equal(logs.at(-1)?.target, "b");
    assert.deepEqual(logs.at(-1)?.tried, ["a: 503 api_error"]);
  });

  await t.step(
    "every target fails: an error event ends the committed stream, never a second message",
    async () => {
      const { backends, logs, post } = lateSetup();
      const gate = Promise.withResolvers<void>();
      for (const [name, status] of [["a", 503], ["b", 502], ["c", 529]] as const) {
        const type = status === 529 ? "overloaded_error" : "api_error";
        backends[name].stream = failsWhenReleased(
          gate.promise,
          new RelayError(type, `${name} down`, { status }),
        );
      }
      const res = await post(true);
      assert.equal(res.status, 200);
      gate.resolve();
      const text = await res.text();
      assert.doesNotMatch(text, /message_start/);
      assert.ok(
        text.endsWith(
          'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"c down"}}\n\n',
        ),
        text,
      );
      assert.deepEqual(logs.at(-1)?.tried, [
        "a: 503 api_error",
        "b: 502 api_error",
        "c: 529 overloaded_error",
      ]);
    },
  );

  await t.step("a target that fails after its first batch ends the stream with an error event", async () => {
    const { backends, post } = lateSetup();
    const gate = Promise.withResolvers<void>();
    const first = textEvents(["half"]).slice(0, 3);
    backends.a.stream = async function* () {
      await gate.promise;
      for (const event of first) yield [event];
      throw new RelayError("api_error", "a cut", { status: 503 });
    };
    const res = await post(true);
    gate.resolve();
    const text = await res.text();
    assert.equal(text.match(/event: message_start/g)?.length, 1);
    assert.match(text, /event: error\ndata: .*"a cut"/);
    assert.equal(backends.b.calls.length, 0, "no second message from the next target");
  });
});

Deno.test("router: a client that leaves during fallback aborts the target in flight; no next target is tried", async () => {
  for (const stream of [false, true]) {
    const { backends, logs, post, settled } = lateSetup();
    backends.a.reply = new RelayError("api_error", "a down", { status: 503 });
    backends.a.events = [backends.a.reply];
    const reached = Promise.withResolvers<AbortSignal>();
    // b hangs until relayx aborts its call, and then fails the way that would otherwise fall back (a
    // connection torn down mid-call maps to a 5xx).
    const hang = (ctx: CallContext) => {
      reached.resolve(ctx.signal);
      const reset = new RelayError("api_error", "connection reset", { status: 502 });
      return new Promise<never>((_, reject) =>
        ctx.signal.addEventListener("abort", () => reject(reset), { once: true })
      );
    };
    backends.b.complete = (_request, ctx) => hang(ctx);
    backends.b.stream = async function* (_request, ctx) {
      yield* [];
      await hang(ctx);
    };
    const client = new AbortController();
    const answer = post(stream, client.signal).then((res) => res.text()).catch((err: unknown) => err);
    const upstreamSignal = await reached.promise;
    client.abort();
    await answer;
    await settled();
    assert.equal(upstreamSignal.aborted, true, "b's call was aborted");
    assert.deepEqual([backends.a.calls.length, backends.c.calls.length], [1, 0], `stream: ${stream}`);
    assert.equal(logs.at(-1)?.status, 499);
  }
});

Deno.test("router: each target gets the request as it takes it, prepared or as the client sent it", async () => {
  const { default: toolSearch } = await import("../testdata/claude_code/request_tool_search.json", {
    with: { type: "json" },
  });
  // "pass" stands for the Anthropic pass-through, which prepares requests itself; "chat" for the others.
  const busy = fakeBackend();
  busy.reply = new RelayError("overloaded_error", "busy");
  const pass = { ...busy, kind: "anthropic" as const };
  const chat = fakeBackend();
  const router = createRouter({
    backends: { pass, chat },
    routes: [{ name: "main", match: {}, to: [{ backend: "pass" }, { backend: "chat" }] }],
  });
  const app = createApp({ backend: router });
  const res = await app.request("/v1/messages", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...toolSearch, stream: false }),
  });
  assert.equal(res.status, 200, await res.text());
  assert.equal(pass.calls.length, 1);
  assert.equal(chat.calls.length, 1);
  const [asSent] = pass.calls.map((c) => JSON.stringify(c.request));
  const [prepared] = chat.calls.map((c) => JSON.stringify(c.request));
  assert.match(asSent ?? "", /"type":"tool_reference"/);
  assert.match(asSent ?? "", /DeferredToolPlaceholder/);
  assert.doesNotMatch(prepared ?? "", /"type":"tool_reference"/);
  assert.doesNotMatch(prepared ?? "", /DeferredToolPlaceholder/);
  assert.match(prepared ?? "", /Tool NotebookEdit is now available/);
});

// A Claude Code request whose MCP tool is deferred and was never loaded: the upstream never sees it.
function withUnloadedMcpTool(): Record<string, unknown> {
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 50,
    messages: [{ role: "user", content: "Hi" }],
    tools: [
      { name: "Read", description: "reads", input_schema: { type: "object", properties: {} } },
      {
        name: "mcp__files__search",
        description: "x".repeat(40_000),
        input_schema: { type: "object", properties: {} },
        defer_loading: true,
      },
    ],
  };
}

Deno.test("router: route conditions and counts read the request as the upstream would get it", async (t) => {
  await t.step("a deferred tool never loaded matches no tools condition", async () => {
    const s = setup([
      { name: "mcp", match: { tools: "mcp__*" }, to: [{ backend: "a" }] },
      { name: "rest", match: {}, to: [{ backend: "b" }] },
    ]);
    const res = await s.post(withUnloadedMcpTool());
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([s.backends.a!.calls.length, s.backends.b!.calls.length], [0, 1]);
    assert.equal(s.logs.at(-1)?.route, "rest");
  });

  await t.step("count_tokens reaches a backend that runs custom tools alone prepared", async () => {
    const chat = fakeBackend();
    let counted: CountTokensRequest | undefined;
    chat.countTokens = (request) => {
      counted = request;
      return Promise.resolve(42);
    };
    const app = createApp({
      backend: createRouter({
        backends: { chat },
        routes: [{ name: "all", match: {}, to: [{ backend: "chat" }] }],
      }),
    });
    const res = await app.request("/v1/messages/count_tokens", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(withUnloadedMcpTool()),
    });
    assert.deepEqual(await res.json(), { input_tokens: 42 });
    assert.deepEqual(counted?.tools?.map((tool) => tool.name), ["Read"]);
  });
});
