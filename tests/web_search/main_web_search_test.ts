/**
 * Web search as users start relayx: main.ts in a subprocess with only --allow-net --allow-env (the search
 * service's network access is the only permission it needs), Brave Search configured by WEB_SEARCH_*
 * and pointed at a local stand-in; the key never reaches the output.
 */
import assert from "node:assert/strict";
import { completion, startMockOpenAI } from "../support/mock_openai.ts";

const root = new URL("../..", import.meta.url).pathname;
const KEY = "brave-key-never-logged";

Deno.test("main.ts runs web searches with WEB_SEARCH_* and only --allow-net --allow-env", async () => {
  await using mock = await startMockOpenAI();
  mock.enqueue(
    completion({ toolCalls: [{ id: "call_1", name: "web_search", args: { query: "deno 2.9" } }] }),
    completion({ text: "Deno 2.9 is out." }),
  );
  const seen: { query: string | null; token: string | null }[] = [];
  await using brave = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    seen.push({ query: url.searchParams.get("q"), token: req.headers.get("x-subscription-token") });
    return Response.json({
      web: { results: [{ url: "https://deno.com/blog/v2.9", title: "Deno 2.9", description: "Released." }] },
    });
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "main.ts"],
    cwd: root,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      NO_COLOR: "1",
      LLM_BACKEND: "openai_compatible",
      OPENAI_BASE_URL: mock.url,
      OPENAI_API_KEY: "sk-test",
      OPENAI_MODEL: "gpt-4.1",
      OPENAI_PROVIDER: "openai",
      SERVER_PORT: "0",
      WEB_SEARCH_PROVIDER: "brave",
      WEB_SEARCH_URL: `http://127.0.0.1:${brave.addr.port}`,
      WEB_SEARCH_API_KEY: KEY,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    out += value;
  }
  try {
    const banner = out.split("\n")[0] ?? "";
    assert.match(banner, /web search brave/);
    const url = banner.match(/listening on (http:\/\/\S+)/)?.[1];
    assert.ok(url, banner);
    const res = await fetch(`${url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k" },
      body: JSON.stringify({
        model: "claude-opus-5-5",
        max_tokens: 1000,
        tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 8 }],
        messages: [{ role: "user", content: "Perform a web search for the query: deno 2.9" }],
      }),
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(seen, [{ query: "deno 2.9", token: KEY }]);
    assert.equal(body.content[1].content[0].url, "https://deno.com/blog/v2.9");
    assert.deepEqual(body.usage.server_tool_use, { web_search_requests: 1 });
  } finally {
    child.kill("SIGTERM");
    await child.status;
    let rest = out;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += value;
    }
    const err = await new Response(child.stderr).text();
    assert.doesNotMatch(rest + err, new RegExp(KEY));
  }
});
