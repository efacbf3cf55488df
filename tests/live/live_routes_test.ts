/**
 * The live page through relayx's app: the page and its headers, the JSON snapshot, the event stream over
 * a real socket (a summary per record, cleanup when the page goes, the end at shutdown), and the access
 * rules (Host, Origin, Sec-Fetch-Site, the key, the page's cookie).
 */
import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import type { LiveDeps, UsageFeed } from "../../src/live/live_routes.ts";
import { PAGE_COOKIE } from "../../src/live/page_access.ts";
import { createUsageRecorder } from "../../src/usage/usage_recorder.ts";
import { fakeBackend, textMessage } from "../support/fakes.ts";

const HOST = "127.0.0.1:8082";
const KEY = "relayx-test-secret-page-key";
const SETUP: LiveDeps["setup"] = {
  backends: [{
    name: "cloud",
    kind: "openai_compatible",
    where: "openai at api.openai.com",
    model: "gpt-4.1",
  }],
  routes: [{ name: "main", match: "every request", to: ["cloud"] }],
};

function setup(options: { apiKey?: string } = {}) {
  const logs: string[] = [];
  const backend = fakeBackend();
  backend.reply = textMessage("Hello");
  const recorder = createUsageRecorder({ priceOf: () => ({ input: 2, output: 8 }) });
  let listeners = 0;
  const feed: UsageFeed = {
    recent: recorder.recent,
    totals: recorder.totals,
    subscribe(listener) {
      listeners++;
      const off = recorder.subscribe(listener);
      return () => {
        listeners--;
        off();
      };
    },
  };
  const closing = new AbortController();
  const app = createApp({
    backend,
    apiKey: options.apiKey,
    log: (entry) => logs.push(JSON.stringify(entry)),
    usage: recorder.record,
    live: { usage: feed, setup: SETUP, closing: closing.signal, throttleMs: 10 },
  });
  const get = (path: string, headers: Record<string, string> = {}) =>
    app.request(`http://${HOST}${path}`, { headers: { host: HOST, ...headers } });
  const post = (headers: Record<string, string> = {}) =>
    app.request(`http://${HOST}/v1/messages`, {
      method: "POST",
      headers: { host: HOST, "content-type": "application/json", ...headers },
      body: JSON.stringify({
        model: "claude-sonnet-4-5",
        max_tokens: 10,
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
  return { app, recorder, closing, get, post, logs, listeners: () => listeners };
}

const HTML = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

Deno.test("GET / serves the live page to a browser and answers other clients as before", async (t) => {
  const s = setup();
  await t.step("a browser gets the page, with a CSP that allows its own nonce and nothing else", async () => {
    const res = await s.get("/", HTML);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe|https?:/);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    const html = await res.text();
    assert.ok(html.includes(`<script nonce="${nonce}">`));
    assert.ok(html.includes(`<style nonce="${nonce}">`));
    assert.doesNotMatch(html, /\bsrc=|href="(?!data:)/, "nothing is loaded from elsewhere");
    const again = await s.get("/", HTML);
    assert.notEqual(again.headers.get("content-security-policy"), csp, "a new nonce per page");
    await again.body?.cancel();
  });
  await t.step("curl and the SDKs get the same 404 as before", async () => {
    for (const accept of [undefined, "*/*", "application/json"]) {
      const res = await s.get("/", accept ? { accept } : {});
      assert.equal(res.status, 404);
      const body = await res.json();
      assert.deepEqual(body.error, { type: "not_found_error", message: "Not found: GET /" });
    }
  });
  await t.step("without live deps, a browser gets the 404 too", async () => {
    const app = createApp({ backend: fakeBackend() });
    const res = await app.request(`http://${HOST}/`, { headers: { host: HOST, ...HTML } });
    assert.equal(res.status, 404);
    await res.body?.cancel();
  });
});

Deno.test("GET /api/usage answers a snapshot of the recorded requests and the configuration", async () => {
  const s = setup();
  const answer = await s.post({ "x-claude-code-session-id": "sess-1" });
  assert.equal(answer.status, 200);
  await answer.text();
  const res = await s.get("/api/usage");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const body = await res.json();
  assert.deepEqual(body.setup, SETUP);
  assert.equal(body.summary.sinceStart.requests, 1);
  assert.equal(body.summary.recent[0].status, 200);
  assert.equal(body.summary.sessions[0].session, "sess-1");
});

// Reads SSE events from a response body until `stop` says so.
async function* events(res: Response): AsyncGenerator<{ event: string; data: unknown }> {
  let buffer = "";
  for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1] ?? "";
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      yield { event, data: data === undefined ? undefined : JSON.parse(data) };
    }
  }
}

Deno.test("GET /api/usage/events streams the setup, a summary, then a summary per request", async (t) => {
  const s = setup();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, s.app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    await t.step("a page that goes away leaves no listener behind", async () => {
      assert.equal(s.listeners(), 0);
      const res = await fetch(`${base}/api/usage/events`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
      const stream = events(res);
      const first = await stream.next();
      assert.equal(first.value?.event, "setup");
      assert.deepEqual(first.value?.data, SETUP);
      const second = await stream.next();
      assert.equal(second.value?.event, "summary");
      assert.equal((second.value?.data as { sinceStart: { requests: number } }).sinceStart.requests, 0);
      assert.equal(s.listeners(), 1);

      const answer = await s.post();
      await answer.text();
      const third = await stream.next();
      assert.equal(third.value?.event, "summary");
      assert.equal((third.value?.data as { sinceStart: { requests: number } }).sinceStart.requests, 1);

      await stream.return(undefined);
      for (let i = 0; i < 200 && s.listeners() > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(s.listeners(), 0);
    });

    await t.step("at shutdown every stream says bye and ends, so that the drain does not wait", async () => {
      const res = await fetch(`${base}/api/usage/events`);
      const seen: string[] = [];
      const read = (async () => {
        for await (const e of events(res)) {
          seen.push(e.event);
          if (seen.length === 2) s.closing.abort();
        }
      })();
      await read;
      assert.deepEqual(seen, ["setup", "summary", "bye"]);
      assert.equal(s.listeners(), 0);
      // With the stream ended, shutdown resolves (it would wait for the stream otherwise).
      await server.shutdown();
    });

    await t.step("after shutdown began, a new stream ends at once", async () => {
      const res = await s.app.request(`http://${HOST}/api/usage/events`, { headers: { host: HOST } });
      const seen: string[] = [];
      for await (const e of events(res)) seen.push(e.event);
      assert.deepEqual(seen, ["setup", "summary", "bye"]);
      assert.equal(s.listeners(), 0);
    });
  } finally {
    await server.shutdown();
    s.recorder.close();
  }
});

Deno.test("The live page is guarded like the API and answers relayx's own origin only", async (t) => {
  const s = setup();
  await t.step("a foreign Host is refused (DNS rebinding)", async () => {
    const res = await s.app.request("http://evil.example/", { headers: { host: "evil.example", ...HTML } });
    assert.equal(res.status, 403);
    await res.body?.cancel();
  });
  await t.step("a script of another web origin is refused, a loopback one of another port too", async () => {
    for (const origin of ["https://evil.example", "http://127.0.0.1:3000", "null"]) {
      for (const path of ["/api/usage", "/api/usage/events"]) {
        const res = await s.get(path, { origin });
        assert.equal(res.status, 403, `${origin} ${path}`);
        assert.equal((await res.json()).error.type, "permission_error");
      }
    }
  });
  await t.step("relayx's own origin is served, through a TLS proxy too", async () => {
    for (const origin of [`http://${HOST}`, `https://${HOST}`]) {
      const res = await s.get("/api/usage", { origin, "sec-fetch-site": "same-origin" });
      assert.equal(res.status, 200, origin);
      await res.body?.cancel();
    }
  });
  await t.step("a request another site makes (no Origin, Sec-Fetch-Site cross-site) is refused", async () => {
    const res = await s.get("/api/usage", { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" });
    assert.equal(res.status, 403);
    await res.body?.cancel();
  });
  await t.step("a link from another site still opens the page (navigation)", async () => {
    const res = await s.get("/", { ...HTML, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });
});

Deno.test("With RELAYX_API_KEY, the key posted once sets a cookie that opens the page and never the API", async (t) => {
  const s = setup({ apiKey: KEY });
  const own = { origin: `http://${HOST}`, "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors" };
  const session = (headers: Record<string, string>) =>
    s.app.request(`http://${HOST}/api/usage/session`, {
      method: "POST",
      headers: { host: HOST, ...headers },
    });
  await t.step("the page itself is static and served without the key; the data is refused", async () => {
    const page = await s.get("/", HTML);
    assert.equal(page.status, 200);
    const html = await page.text();
    for (const secret of [KEY, "api.openai.com", "gpt-4.1", "cloud"]) {
      assert.ok(!html.includes(secret), `the page embeds no key, configuration or usage (${secret})`);
    }
    for (const path of ["/api/usage", "/api/usage/events"]) {
      const res = await s.get(path, { ...HTML, ...own });
      assert.equal(res.status, 401, path);
      assert.equal(
        (await res.json()).error.message,
        "invalid x-api-key; a browser opens the live page once as /#key= followed by the key",
      );
    }
    const api = await s.get("/", {});
    assert.equal(api.status, 404, "curl on / gets the 404 it always got");
    await api.body?.cancel();
  });
  await t.step("the key in the query is refused, sets no cookie and is not logged", async () => {
    for (const query of [`?key=${KEY}`, "?key=wrong"]) {
      const res = await s.get(`/${query}`, HTML);
      assert.equal(res.status, 400);
      assert.equal(res.headers.get("set-cookie"), null);
      const body = await res.json();
      assert.equal(body.error.type, "invalid_request_error");
      assert.ok(!JSON.stringify(body).includes(KEY));
      const line = s.logs.at(-1) ?? "";
      assert.match(line, /"path":"\/"/);
      assert.ok(!line.includes("?key"), line);
      assert.ok(!line.includes(query.slice("?key=".length)), line);
    }
  });
  await t.step("a wrong or missing key gets no cookie", async () => {
    const attempts: Record<string, string>[] = [{ "x-api-key": "wrong" }, {}, {
      authorization: "Basic dXNlcjpwYXNz",
    }];
    for (const headers of attempts) {
      const res = await session({ ...own, ...headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.headers.get("set-cookie"), null);
      await res.body?.cancel();
    }
  });
  await t.step("another origin cannot post the key", async () => {
    const foreign: Record<string, string>[] = [{ origin: "http://127.0.0.1:3000" }, {
      "sec-fetch-site": "cross-site",
    }];
    for (const headers of foreign) {
      const res = await session({ "x-api-key": KEY, ...headers });
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.equal(res.headers.get("set-cookie"), null);
      await res.body?.cancel();
    }
  });
  let cookie = "";
  await t.step(
    "the key in x-api-key answers 204 with an HttpOnly SameSite=Strict cookie named by port",
    async () => {
      const res = await session({ ...own, "x-api-key": KEY });
      assert.equal(res.status, 204);
      const set = res.headers.get("set-cookie") ?? "";
      assert.match(
        set,
        new RegExp(`^${PAGE_COOKIE}_8082=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict; Max-Age=\\d+$`),
      );
      assert.ok(!set.includes(KEY), "the cookie is not the key");
      cookie = set.split(";")[0] ?? "";
      const line = s.logs.at(-1) ?? "";
      assert.match(line, /"path":"\/api\/usage\/session"/);
      assert.ok(!line.includes(KEY));
    },
  );
  await t.step("behind a TLS proxy the cookie is Secure", async () => {
    for (const headers of [{ ...own, origin: `https://${HOST}` }, { ...own, "x-forwarded-proto": "https" }]) {
      const res = await session({ ...headers, "x-api-key": KEY });
      assert.equal(res.status, 204);
      assert.match(res.headers.get("set-cookie") ?? "", /; Secure$/);
    }
  });
  await t.step("the cookie opens the snapshot and the events, with a Basic Authorization too", async () => {
    for (const path of ["/api/usage", "/api/usage/events"]) {
      for (const extra of [{}, { authorization: "Basic dXNlcjpwYXNz" }] as Record<string, string>[]) {
        const res = await s.get(path, { ...own, ...extra, cookie: `other=1; ${cookie}` });
        assert.equal(res.status, 200, path);
        await res.body?.cancel();
      }
    }
  });
  await t.step("the cookie of another port is another relayx's", async () => {
    const res = await s.app.request("http://127.0.0.1:8083/api/usage", {
      headers: { host: "127.0.0.1:8083", cookie },
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });
  await t.step("the cookie does not open the API, nor get another cookie", async () => {
    const models = await s.get("/v1/models", { cookie });
    assert.equal(models.status, 401);
    await models.body?.cancel();
    const messages = await s.post({ cookie });
    assert.equal(messages.status, 401);
    await messages.body?.cancel();
    const again = await session({ ...own, cookie });
    assert.equal(again.status, 401);
    await again.body?.cancel();
  });
  await t.step("a cookie of another key is refused", async () => {
    const other = setup({ apiKey: "another-relayx-key" });
    const res = await other.get("/api/usage", { cookie });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });
  await t.step("x-api-key and Bearer still open the page's data paths (curl)", async () => {
    for (
      const headers of [{ "x-api-key": KEY }, { authorization: `Bearer ${KEY}` }] as Record<string, string>[]
    ) {
      const res = await s.get("/api/usage", headers);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
  });
});
