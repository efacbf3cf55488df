import assert from "node:assert/strict";
import { checkWebSearch, ConfigError, parseConfig } from "../../src/config.ts";
import { parseConfigFile } from "../../src/config_file.ts";
import { createSearchProvider } from "../../src/web_search/create_provider.ts";
import { filterHits } from "../../src/web_search/search_provider.ts";
import { startMockSearxng } from "../support/mock_searxng.ts";

/** A search service on 127.0.0.1 that records each request and answers what the test sets. */
function service(answer: (req: Request, body: string) => Response) {
  const seen: { url: URL; headers: Headers; body: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.text();
    seen.push({ url: new URL(req.url), headers: req.headers, body });
    return answer(req, body);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const signal = () => new AbortController().signal;

Deno.test("Brave Search: GET /res/v1/web/search with the subscription token; web.results as hits", async (t) => {
  let status = 200;
  await using brave = service(() =>
    status !== 200 ? new Response("{}", { status }) : Response.json({
      type: "search",
      query: { original: "deno" },
      web: {
        type: "search",
        results: [
          {
            title: "Deno, the <strong>next-generation</strong> runtime",
            url: "https://deno.com/",
            description: "Deno is <strong>secure</strong> &amp; fast.",
            page_age: "2026-11-01T10:00:00",
            age: "1 month ago",
            extra_snippets: ["TypeScript out of the box."],
          },
          { title: "Blocked", url: "https://blocked.example/", description: "no" },
        ],
      },
    })
  );
  const provider = createSearchProvider({ provider: "brave", apiKey: "brave-test-key", url: brave.url });

  await t.step("the request and the parsed hits", async () => {
    const outcome = await provider.search("deno", {
      count: 5,
      blockedDomains: ["blocked.example"],
      userLocation: { country: "de", city: "Berlin" },
      signal: signal(),
    });
    const req = brave.seen[0]!;
    assert.equal(req.url.pathname, "/res/v1/web/search");
    assert.equal(req.url.searchParams.get("q"), "deno");
    assert.equal(req.url.searchParams.get("count"), "5");
    assert.equal(req.url.searchParams.get("country"), "DE");
    assert.equal(req.headers.get("x-subscription-token"), "brave-test-key");
    assert.deepEqual(outcome, {
      ok: true,
      hits: [{
        url: "https://deno.com/",
        title: "Deno, the next-generation runtime",
        text: "Deno is secure & fast.\nTypeScript out of the box.",
        pageAge: "2026-11-01T10:00:00",
      }],
    });
  });

  await t.step("429 is too_many_requests, 401 unavailable", async () => {
    for (
      const [s, code] of [[429, "too_many_requests"], [401, "unavailable"], [422, "invalid_input"]] as const
    ) {
      status = s;
      const outcome = await provider.search("deno", { count: 5, signal: signal() });
      assert.deepEqual(outcome, { ok: false, code, detail: `Brave Search answered ${s}` });
    }
  });
});

Deno.test("Tavily: POST /search with a Bearer key, the domain filters in the body; results as hits", async (t) => {
  let status = 200;
  await using tavily = service(() =>
    status !== 200 ? new Response("{}", { status }) : Response.json({
      query: "deno",
      answer: null,
      images: [],
      results: [
        {
          title: "Deno <b>docs</b> &amp; guides",
          url: "https://docs.deno.com/runtime/",
          content: "The <em>Deno</em> runtime docs &#39;n&#x27; &lt;examples&gt;.  ",
          score: 0.9,
          published_date: "Mon, 01 Dec 2026",
        },
        { title: "Other", url: "https://other.example/", content: "not allowed", score: 0.5 },
      ],
      response_time: 0.5,
    })
  );
  const provider = createSearchProvider({ provider: "tavily", apiKey: "tvly-test-key", url: tavily.url });

  await t.step("the request and the parsed hits (filtered again by relayx)", async () => {
    const outcome = await provider.search("deno", {
      count: 3,
      allowedDomains: ["deno.com"],
      signal: signal(),
    });
    const req = tavily.seen[0]!;
    assert.equal(req.url.pathname, "/search");
    assert.equal(req.headers.get("authorization"), "Bearer tvly-test-key");
    assert.deepEqual(JSON.parse(req.body), { query: "deno", max_results: 3, include_domains: ["deno.com"] });
    assert.deepEqual(outcome, {
      ok: true,
      hits: [{
        url: "https://docs.deno.com/runtime/",
        title: "Deno docs & guides",
        text: "The Deno runtime docs 'n' <examples>.",
        pageAge: "Mon, 01 Dec 2026",
      }],
    });
  });

  await t.step("Tavily's plan limit (432) is too_many_requests", async () => {
    status = 432;
    const outcome = await provider.search("deno", { count: 3, signal: signal() });
    assert.equal(outcome.ok ? undefined : outcome.code, "too_many_requests");
  });
});

Deno.test("SearXNG: format=json, and a 403 (JSON not enabled) is unavailable", async () => {
  await using searxng = startMockSearxng();
  const provider = createSearchProvider({ provider: "searxng", url: `${searxng.url}/` });
  const outcome = await provider.search("relayx", { count: 1, signal: signal() });
  assert.ok(outcome.ok);
  assert.equal(outcome.hits[0]?.pageAge, "2026-11-30T00:00:00");
  searxng.fail = { status: 403 };
  assert.deepEqual(await provider.search("relayx", { count: 1, signal: signal() }), {
    ok: false,
    code: "unavailable",
    detail: "SearXNG answered 403",
  });
});

Deno.test("SearXNG and Brave: one allowed domain scopes the query with site:", async () => {
  await using searxng = startMockSearxng();
  searxng.results = [{ url: "https://docs.deno.com/a", title: "Deno docs", content: "a" }];
  const provider = createSearchProvider({ provider: "searxng", url: searxng.url });
  const outcome = await provider.search("deno", { count: 5, allowedDomains: ["deno.com"], signal: signal() });
  assert.deepEqual(searxng.queries, ["deno site:deno.com"]);
  assert.equal(outcome.ok && outcome.hits.length, 1);
  await using brave = service(() => Response.json({ web: { results: [] } }));
  await createSearchProvider({ provider: "brave", apiKey: "k", url: brave.url })
    .search("deno", { count: 5, allowedDomains: ["https://deno.com/"], signal: signal() });
  assert.equal(brave.seen[0]?.url.searchParams.get("q"), "deno site:deno.com");
});

Deno.test("a search whose signal aborts rejects with the reason, not an outcome", async () => {
  await using searxng = startMockSearxng();
  searxng.fail = "hang";
  const provider = createSearchProvider({ provider: "searxng", url: searxng.url });
  const abort = new AbortController();
  const pending = provider.search("slow", { count: 1, signal: abort.signal });
  while (searxng.queries.length === 0) await new Promise((r) => setTimeout(r, 5));
  abort.abort(new Error("client left"));
  await assert.rejects(pending, /client left/);
});

Deno.test("filterHits() matches domains and their subdomains, not look-alikes", () => {
  const hits = [
    "https://deno.com/",
    "https://www.deno.com/x",
    "https://docs.deno.com/",
    "https://notdeno.com/",
  ]
    .map((url) => ({ url, title: url, text: "" }));
  assert.deepEqual(
    filterHits(hits, { allowedDomains: ["deno.com"] }).map((h) => h.url),
    hits.slice(0, 3).map((h) => h.url),
  );
  assert.deepEqual(filterHits(hits, { blockedDomains: ["https://docs.deno.com/"] }).length, 3);
});

Deno.test("web search settings: the environment, the configuration file, and their errors", async (t) => {
  const base = { LLM_BACKEND: "openai_compatible", OPENAI_BASE_URL: "http://localhost:11434/v1" };

  await t.step("WEB_SEARCH_* from the environment", () => {
    const config = parseConfig({
      ...base,
      WEB_SEARCH_PROVIDER: "searxng",
      WEB_SEARCH_URL: "http://127.0.0.1:8888",
    });
    assert.deepEqual(config.webSearch, { provider: "searxng", url: "http://127.0.0.1:8888" });
    assert.equal(parseConfig(base).webSearch, undefined);
  });

  await t.step("each error names the variable", () => {
    const cases: [Record<string, string>, string][] = [
      [
        { WEB_SEARCH_PROVIDER: "google" },
        'WEB_SEARCH_PROVIDER: expected searxng, brave, tavily, got "google"',
      ],
      [{ WEB_SEARCH_PROVIDER: "searxng" }, "WEB_SEARCH_URL: required for searxng (the instance's base URL)"],
      [{ WEB_SEARCH_PROVIDER: "brave" }, "WEB_SEARCH_API_KEY: required for brave"],
      [
        { WEB_SEARCH_PROVIDER: "tavily", WEB_SEARCH_API_KEY: "k", WEB_SEARCH_URL: "nope" },
        'WEB_SEARCH_URL: not a URL: "nope"',
      ],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => parseConfig({ ...base, ...env }), new ConfigError(message));
    }
  });

  await t.step('"webSearch" in the file, with ${VAR}; an anthropic backend\'s own setting', () => {
    const text = JSON.stringify({
      backends: {
        glm: { type: "anthropic", baseUrl: "https://api.z.ai/api/anthropic", webSearch: "relayx" },
      },
      webSearch: { provider: "brave", apiKey: "${BRAVE_KEY}" },
    });
    const settings = parseConfigFile(text, { BRAVE_KEY: "brave-secret" });
    assert.deepEqual(settings.webSearch, { provider: "brave", apiKey: "brave-secret" });
    assert.equal(settings.backends.glm?.kind === "anthropic" && settings.backends.glm.webSearch, "relayx");
    assert.equal(
      "webSearch" in
        parseConfigFile(
          JSON.stringify({ backends: { glm: { type: "anthropic", baseUrl: "https://x.test" } } }),
          {},
        ),
      false,
    );
  });

  await t.step("the file's errors name the path", () => {
    const file = (webSearch: unknown) =>
      JSON.stringify({ backends: { a: { type: "anthropic", baseUrl: "https://x.test" } }, webSearch });
    assert.throws(
      () => parseConfigFile(file({ provider: "searxng" }), {}),
      new ConfigError("webSearch.url: required for searxng (the instance's base URL)"),
    );
    assert.throws(
      () => parseConfigFile(file({ provider: "tavily" }), {}),
      new ConfigError("webSearch.apiKey: required for tavily"),
    );
    assert.throws(
      () => parseConfigFile(file({ provider: "brave", key: "x" }), {}),
      /webSearch: unknown key "key"/,
    );
  });

  await t.step('"upstream" only where the upstream runs server tools (Anthropic itself)', () => {
    const backends = (baseUrl: string) =>
      JSON.stringify({ backends: { glm: { type: "anthropic", baseUrl, webSearch: "upstream" } } });
    for (
      const baseUrl of [
        "https://api.z.ai/api/anthropic",
        "https://api.deepseek.com/anthropic",
        "http://localhost:11434",
      ]
    ) {
      assert.throws(
        () => parseConfigFile(backends(baseUrl), {}),
        new ConfigError(
          'backends.glm.webSearch: "upstream" needs an upstream that runs server tools (api.anthropic.com)',
        ),
        baseUrl,
      );
    }
    const ok = parseConfigFile(backends("https://api.anthropic.com"), {}).backends.glm;
    assert.equal(ok?.kind === "anthropic" && ok.webSearch, "upstream");
  });

  await t.step("checkWebSearch() passes a complete setting through", () => {
    const ok = { provider: "tavily" as const, apiKey: "k" };
    assert.equal(checkWebSearch(ok, { url: "u", apiKey: "k" }), ok);
  });
});
