import assert from "node:assert/strict";
import OpenAI from "openai";
import { createChatSend, UpstreamHttpError } from "../../../src/backends/openai/client.ts";
import type { OpenAIConfig } from "../../../src/config.ts";

const config: OpenAIConfig = {
  kind: "openai_compatible",
  apiKey: "sk-test",
  baseUrl: "http://127.0.0.1:9/v1",
  model: "m",
  smallModel: "m",
  provider: "openai",
};

// A fetch that records what it was given and answers with `answer`.
function recording(answer: (init: RequestInit | undefined) => Promise<Response>) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init });
    return answer(init);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

Deno.test("createChatSend()", async (t) => {
  await t.step("sends the body to the SDK's URL with its headers, built once", async () => {
    const { fetch, calls } = recording(() => Promise.resolve(new Response("{}")));
    const send = createChatSend(config, fetch);
    for (const body of ['{"a":1}', new TextEncoder().encode('{"b":2}')]) {
      const res = await send(body, new AbortController().signal);
      assert.equal(res.status, 200);
    }
    assert.equal(calls.length, 2);
    for (const call of calls) {
      assert.equal(call.url, "http://127.0.0.1:9/v1/chat/completions");
      const headers = new Headers(call.init?.headers);
      assert.equal(headers.get("authorization"), "Bearer sk-test");
      assert.equal(headers.get("content-type"), "application/json");
      assert.match(headers.get("user-agent") ?? "", /^OpenAI\//);
      assert.equal(call.init?.method, "POST");
    }
  });

  await t.step("failures come out as the SDK reported them (map_error.ts maps those)", async () => {
    const cases: [string, () => Promise<Response>, AbortSignal, (err: unknown) => boolean][] = [
      [
        "a non-2xx answer keeps its body",
        () => Promise.resolve(new Response("nope", { status: 503 })),
        new AbortController().signal,
        (e) => e instanceof UpstreamHttpError && e.status === 503 && e.body === "nope",
      ],
      [
        "an aborted call",
        () => Promise.reject(new DOMException("aborted", "AbortError")),
        AbortSignal.abort(),
        (e) => e instanceof OpenAI.APIUserAbortError,
      ],
      [
        "a connect timeout",
        () =>
          Promise.reject(
            new TypeError("error sending request: tcp connect error: Operation timed out (os error 110)"),
          ),
        new AbortController().signal,
        (e) => e instanceof OpenAI.APIConnectionTimeoutError,
      ],
      [
        "another connection error, with its cause",
        () => Promise.reject(new TypeError("dns error: failed to lookup")),
        new AbortController().signal,
        (e) =>
          e instanceof OpenAI.APIConnectionError && !(e instanceof OpenAI.APIConnectionTimeoutError) &&
          e.cause instanceof TypeError,
      ],
    ];
    for (const [name, answer, signal, check] of cases) {
      const send = createChatSend(config, recording(answer).fetch);
      await assert.rejects(send("{}", signal), (err: unknown) => {
        assert.ok(check(err), `${name}: ${err}`);
        return true;
      });
    }
  });
});
