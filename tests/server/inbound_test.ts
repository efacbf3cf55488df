/**
 * The checks every request passes before a route: Host (DNS rebinding), Origin, content type, CORS.
 */
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createApp } from "../../src/app.ts";
import type { Limits } from "../../src/limits.ts";
import { fakeBackend } from "../support/fakes.ts";
import claudeCodeHeaders from "../testdata/claude_code/headers_basic.json" with { type: "json" };

const body = JSON.stringify({
  model: "claude-opus-5-5",
  max_tokens: 10,
  messages: [{ role: "user", content: "Hi" }],
});

function setup(limits: Partial<Limits> = {}) {
  const backend = fakeBackend();
  const app = createApp({ backend, limits });
  const get = (path: string, headers: Record<string, string> = {}) =>
    Promise.resolve(app.request(path, { headers }));
  const post = (path: string, headers: Record<string, string>) =>
    Promise.resolve(app.request(path, { method: "POST", headers, body }));
  return { app, backend, get, post };
}

async function errorOf(res: Response): Promise<{ type: string; message: string }> {
  const json = await res.json();
  assert.equal(json.type, "error");
  return json.error;
}

Deno.test("Host must name loopback or a configured name", async (t) => {
  await t.step("GET /v1/models with Host: evil.example is refused without the model mapping", async () => {
    const { get } = setup();
    const res = await get("/v1/models", { host: "evil.example" });
    assert.equal(res.status, 403);
    const err = await errorOf(res);
    assert.equal(err.type, "permission_error");
    assert.match(err.message, /Host "evil\.example" is not allowed.*RELAYX_ALLOWED_HOSTS/);
  });

  await t.step("look-alikes of loopback are refused", async () => {
    const { get } = setup();
    for (
      const host of [
        "127.attacker.example",
        "localhost.evil.example",
        "127.0.0.1.nip.io",
        "0.0.0.0:8082",
        "[::2]",
      ]
    ) {
      const res = await get("/health", { host });
      assert.equal(res.status, 403, host);
      await res.body?.cancel();
    }
  });

  await t.step("loopback names and addresses pass, with any port", async () => {
    const { get } = setup();
    for (
      const host of ["localhost", "localhost:8082", "127.0.0.1:8082", "127.1.2.3", "[::1]:8082", "LOCALHOST"]
    ) {
      const res = await get("/v1/models", { host });
      assert.equal(res.status, 200, host);
      await res.body?.cancel();
    }
  });

  await t.step("names in RELAYX_ALLOWED_HOSTS pass, and * passes any", async () => {
    const { get } = setup({ allowedHosts: ["relay.lan", "fd00::1"] });
    for (const host of ["relay.lan", "relay.lan:8082", "[fd00::1]:8082"]) {
      const res = await get("/health", { host });
      assert.equal(res.status, 200, host);
      await res.body?.cancel();
    }
    assert.equal((await setup({ allowedHosts: ["*"] }).get("/health", { host: "any.example" })).status, 200);
  });

  await t.step("the Host header a real socket delivers is the one checked", async () => {
    const { app } = setup();
    await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await conn.write(
      new TextEncoder().encode("GET /v1/models HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"),
    );
    const text = await new Response(conn.readable).text();
    assert.match(text, /^HTTP\/1\.1 403 /);
    assert.doesNotMatch(text, /claude-opus-5-5/);
  });
});

Deno.test("POST bodies must be declared application/json", async (t) => {
  await t.step("text/plain, a form and no content type are 415s naming content-type", async () => {
    const { post, backend } = setup();
    for (const type of ["text/plain", "application/x-www-form-urlencoded", undefined]) {
      const res = await post("/v1/messages", type ? { "content-type": type } : {});
      assert.equal(res.status, 415, type);
      const err = await errorOf(res);
      assert.equal(err.type, "invalid_request_error");
      assert.match(err.message, /^content-type: expected application\/json, got /);
    }
    const counted = await post("/v1/messages/count_tokens", { "content-type": "text/plain" });
    assert.equal(counted.status, 415);
    await counted.body?.cancel();
    assert.equal(backend.calls.length, 0);
  });

  await t.step("charset parameters, other cases and +json types pass", async () => {
    const { post } = setup();
    for (
      const type of [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        "application/vnd.api+json",
      ]
    ) {
      const res = await post("/v1/messages", { "content-type": type });
      assert.equal(res.status, 200, type);
      await res.body?.cancel();
    }
  });

  await t.step("Claude Code's and the Anthropic SDK's own headers pass", async () => {
    const { app, backend } = setup();
    const headers: Record<string, string> = { ...claudeCodeHeaders };
    delete headers["content-length"];
    const res = await app.request("/v1/messages?beta=true", { method: "POST", headers, body });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const sdk = new Anthropic({
      apiKey: "dummy",
      baseURL: "http://localhost:8082",
      maxRetries: 0,
      fetch: (url: string | URL | Request, init?: RequestInit) =>
        Promise.resolve(app.fetch(new Request(url, init))),
    });
    await sdk.messages.create({
      model: "claude-opus-5-5",
      max_tokens: 5,
      messages: [{ role: "user", content: "Hi" }],
    });
    await sdk.messages.countTokens({ model: "claude-opus-5-5", messages: [{ role: "user", content: "Hi" }] });
    assert.equal(backend.calls.length, 2);
  });
});

Deno.test("CORS headers only for configured origins", async (t) => {
  const preflight = {
    origin: "https://app.example",
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type, x-api-key, x-stainless-os",
  };

  await t.step("by default no response carries a CORS header, not even for loopback pages", async () => {
    const { app } = setup();
    const options = await app.request("/v1/messages", {
      method: "OPTIONS",
      headers: { ...preflight, origin: "http://localhost:3000" },
    });
    const res = await app.request("/v1/messages", {
      method: "POST",
      headers: { origin: "http://localhost:3000", "content-type": "application/json" },
      body,
    });
    for (const r of [options, res]) {
      assert.deepEqual([...r.headers.keys()].filter((k) => k.startsWith("access-control-")), []);
      await r.body?.cancel();
    }
    assert.equal(res.status, 200);
  });

  await t.step(
    "a configured origin gets its preflight answered and may read answers and errors",
    async () => {
      const { app } = setup({ corsOrigins: ["https://app.example"] });
      const options = await app.request("/v1/messages", { method: "OPTIONS", headers: preflight });
      assert.equal(options.status, 204);
      assert.equal(options.headers.get("access-control-allow-origin"), "https://app.example");
      assert.equal(
        options.headers.get("access-control-allow-headers"),
        "content-type, x-api-key, x-stainless-os",
      );
      const res = await app.request("/v1/messages", {
        method: "POST",
        headers: { origin: "https://app.example", "content-type": "application/json" },
        body,
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("access-control-allow-origin"), "https://app.example");
      await res.body?.cancel();
      const missing = await app.request("/v1/nope", { headers: { origin: "https://app.example" } });
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get("access-control-allow-origin"), "https://app.example");
      await missing.body?.cancel();
    },
  );

  await t.step("other origins stay refused, preflight included", async () => {
    const { app, backend } = setup({ corsOrigins: ["https://app.example"] });
    const options = await app.request("/v1/messages", {
      method: "OPTIONS",
      headers: { ...preflight, origin: "https://evil.example" },
    });
    assert.equal(options.status, 403);
    assert.equal(options.headers.get("access-control-allow-origin"), null);
    await options.body?.cancel();
    const res = await app.request("/v1/messages", {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json" },
      body,
    });
    assert.equal(res.status, 403);
    await res.body?.cancel();
    assert.equal(backend.calls.length, 0);
  });
});
