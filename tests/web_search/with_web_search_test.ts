import assert from "node:assert/strict";
import type { StreamEvent } from "../../src/anthropic/types.ts";
import { createSearchProvider } from "../../src/web_search/create_provider.ts";
import {
  decodeResultContent,
  webSearchSpec,
  withoutSearchTool,
} from "../../src/web_search/web_search_tool.ts";
import { withWebSearch } from "../../src/web_search/with_web_search.ts";
import { startMockSearxng } from "../support/mock_searxng.ts";
import { isRecord } from "../../src/translate/_json.ts";
import {
  answer,
  assertGrammar,
  blocksOf,
  collect,
  finalText,
  roundUsage,
  scriptedBackend,
  searchCall,
  searchContext,
  searchRequest,
} from "./_scripted.ts";

Deno.test("withWebSearch() runs the model's searches and answers in Anthropic's blocks", async (t) => {
  await using searxng = startMockSearxng();
  const provider = createSearchProvider({ provider: "searxng", url: searxng.url });

  await t.step(
    "non-stream: server_tool_use, web_search_tool_result, then the text; usage summed",
    async () => {
      const inner = scriptedBackend([searchCall("relayx proxy"), finalText("relayx is a proxy.")]);
      const ctx = searchContext();
      const message = await withWebSearch(inner, { provider }).complete(searchRequest(), ctx);
      assert.deepEqual(searxng.queries, ["relayx proxy"]);
      assert.deepEqual(message.content.map((b) => b.type), [
        "text",
        "server_tool_use",
        "web_search_tool_result",
        "text",
      ]);
      const [, use, result] = message.content;
      assert.ok(use?.type === "server_tool_use" && result?.type === "web_search_tool_result");
      assert.match(use.id, /^srvtoolu_/);
      assert.deepEqual(use.input, { query: "relayx proxy" });
      assert.equal(result.tool_use_id, use.id);
      assert.ok(Array.isArray(result.content));
      assert.equal(result.content[0]?.url, "https://example.com/relayx");
      assert.equal(decodeResultContent(result.content[0]!.encrypted_content), searxng.results[0]?.content);
      assert.equal(message.stop_reason, "end_turn");
      assert.deepEqual(message.usage, {
        ...roundUsage(300, 30),
        server_tool_use: { web_search_requests: 1 },
      });
      assert.deepEqual(ctx.warnings, []);
      await t.assertSnapshot(message);
    },
  );

  await t.step(
    "the upstream gets a function tool, then its call and the results as a tool result",
    async () => {
      const inner = scriptedBackend([searchCall("relayx proxy"), finalText("done")]);
      await withWebSearch(inner, { provider }).complete(searchRequest(), searchContext());
      const [first, second] = inner.requests;
      assert.deepEqual(first?.tools?.map((t) => [t.type, t.name]), [[undefined, "web_search"]]);
      assert.ok(first?.tools?.[0] && "input_schema" in first.tools[0]);
      assert.equal(second?.messages.length, 3);
      assert.deepEqual(second?.messages[1]?.content[1], {
        type: "tool_use",
        id: "call_1",
        name: "web_search",
        input: { query: "relayx proxy" },
      });
      await t.assertSnapshot(second?.messages[2]);
    },
  );

  await t.step("a forced search holds for the first round only", async () => {
    const inner = scriptedBackend([searchCall("relayx proxy"), finalText("done")]);
    const request = { ...searchRequest(), tool_choice: { type: "any" as const } };
    await withWebSearch(inner, { provider }).complete(request, searchContext());
    assert.deepEqual(inner.requests.map((r) => r.tool_choice), [{ type: "any" }, { type: "auto" }]);
  });

  await t.step("stream: the same blocks in Anthropic's event grammar across both rounds", async () => {
    const inner = scriptedBackend([searchCall("relayx proxy"), finalText("relayx is a proxy.")]);
    const events = await collect(
      withWebSearch(inner, { provider }).stream(searchRequest("relayx", true), searchContext()),
    );
    assertGrammar(events);
    const blocks = blocksOf(events);
    assert.deepEqual(blocks.map((b) => b.type), [
      "text",
      "server_tool_use",
      "web_search_tool_result",
      "text",
    ]);
    assert.deepEqual(blocks[1]?.input, { query: "relayx proxy" });
    const delta = events.find((e) => e.type === "message_delta");
    assert.deepEqual(delta?.type === "message_delta" && delta.usage, {
      input_tokens: 300,
      output_tokens: 30,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      server_tool_use: { web_search_requests: 1 },
    });
    assert.equal(delta?.type === "message_delta" && delta.delta.stop_reason, "end_turn");
    await t.assertSnapshot(events);
  });

  await t.step("several searches in one answer, stream and not", async () => {
    for (const stream of [false, true]) {
      searxng.queries.length = 0;
      const inner = scriptedBackend([
        searchCall("first query"),
        searchCall("second query", "call_2", "One more."),
        finalText("Both found."),
      ]);
      const backend = withWebSearch(inner, { provider });
      const ctx = searchContext();
      const blocks = stream
        ? blocksOf(await collect(backend.stream(searchRequest("x", true), ctx)))
        : (await backend.complete(searchRequest(), ctx)).content;
      assert.deepEqual(searxng.queries, ["first query", "second query"]);
      assert.deepEqual(blocks.map((b) => b.type), [
        "text",
        "server_tool_use",
        "web_search_tool_result",
        "text",
        "server_tool_use",
        "web_search_tool_result",
        "text",
      ]);
      assert.equal(inner.requests.length, 3);
      assert.equal(inner.requests[2]?.messages.length, 5);
    }
  });
});

Deno.test("withWebSearch() stream: the next round gets each thinking block's last signature", async () => {
  await using searxng = startMockSearxng();
  const provider = createSearchProvider({ provider: "searxng", url: searxng.url });
  const inner = scriptedBackend([searchCall("relayx"), finalText("ok")]);
  const scripted = inner.stream.bind(inner);
  // The first round thinks before it searches: one block whose signature comes in two signature_deltas
  // (each replaces the last), one whose signature comes with its start.
  inner.stream = async function* (request, ctx) {
    if (inner.requests.length > 0) return yield* scripted(request, ctx);
    const events: StreamEvent[] = [];
    for await (const batch of scripted(request, ctx)) events.push(...batch);
    const shifted = events.map((e) => "index" in e ? { ...e, index: e.index + 2 } : e);
    yield [
      shifted[0]!,
      {
        type: "content_block_start",
        index: 0,
        content_block: { type: "thinking", thinking: "", signature: "" },
      },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Search." } },
      { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "EqOld" } },
      { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "EqWhole" } },
      { type: "content_block_stop", index: 0 },
      {
        type: "content_block_start",
        index: 1,
        content_block: { type: "thinking", thinking: "", signature: "EqStart" },
      },
      { type: "content_block_delta", index: 1, delta: { type: "thinking_delta", thinking: "Now." } },
      { type: "content_block_stop", index: 1 },
      ...shifted.slice(1),
    ];
  };
  const events = await collect(
    withWebSearch(inner, { provider }).stream(searchRequest("x", true), searchContext()),
  );
  assertGrammar(events);
  assert.deepEqual(inner.requests[1]?.messages[1]?.content.slice(0, 2), [
    { type: "thinking", thinking: "Search.", signature: "EqWhole" },
    { type: "thinking", thinking: "Now.", signature: "EqStart" },
  ]);
});

Deno.test("withWebSearch() reports failed searches with Anthropic's error codes and lets the model answer", async (t) => {
  await using searxng = startMockSearxng();
  const provider = createSearchProvider({ provider: "searxng", url: searxng.url });

  async function errorOf(options: Parameters<typeof withWebSearch>[1], ctx = searchContext()) {
    const inner = scriptedBackend([searchCall("q"), finalText("Answered without results.")]);
    const message = await withWebSearch(inner, options).complete(searchRequest(), ctx);
    const result = message.content.find((b) => b.type === "web_search_tool_result");
    assert.equal(message.content.at(-1)?.type, "text", "the model still answers");
    const toolResult = inner.requests[1]?.messages[2]?.content[0];
    return {
      content: result?.type === "web_search_tool_result" ? result.content : undefined,
      usage: message.usage,
      told: toolResult?.type === "tool_result" ? String(toolResult.content) : "",
    };
  }

  await t.step("a 429 is too_many_requests", async () => {
    searxng.fail = { status: 429 };
    const { content, usage, told } = await errorOf({ provider });
    assert.deepEqual(content, { type: "web_search_tool_result_error", error_code: "too_many_requests" });
    assert.deepEqual(usage.server_tool_use, { web_search_requests: 0 });
    assert.match(told, /failed \(too_many_requests\)/);
  });

  await t.step("a 500 is unavailable", async () => {
    searxng.fail = { status: 500 };
    const ctx = searchContext();
    const { content } = await errorOf({ provider }, ctx);
    assert.deepEqual(content, { type: "web_search_tool_result_error", error_code: "unavailable" });
    assert.match(ctx.warnings.join("\n"), /SearXNG answered 500/);
  });

  await t.step("a service that is down is unavailable", async () => {
    const down = startMockSearxng();
    await down.close();
    const { content } = await errorOf({
      provider: createSearchProvider({ provider: "searxng", url: down.url }),
    });
    assert.deepEqual(content, { type: "web_search_tool_result_error", error_code: "unavailable" });
  });

  await t.step("no provider: unavailable, and the log names the setting that enables search", async () => {
    const ctx = searchContext();
    const { content, told } = await errorOf({}, ctx);
    assert.deepEqual(content, { type: "web_search_tool_result_error", error_code: "unavailable" });
    assert.match(ctx.warnings.join("\n"), /WEB_SEARCH_PROVIDER/);
    assert.match(told, /Answer with what you know/);
  });

  await t.step("an empty query is invalid_input, a long one query_too_long, without a search", async () => {
    searxng.fail = undefined;
    searxng.queries.length = 0;
    for (const [query, code] of [["  ", "invalid_input"], ["x".repeat(401), "query_too_long"]] as const) {
      const inner = scriptedBackend([searchCall(query), finalText("ok")]);
      const message = await withWebSearch(inner, { provider }).complete(searchRequest(), searchContext());
      const result = message.content.find((b) => b.type === "web_search_tool_result");
      assert.deepEqual(result?.type === "web_search_tool_result" && result.content, {
        type: "web_search_tool_result_error",
        error_code: code,
      });
    }
    assert.deepEqual(searxng.queries, []);
  });

  await t.step("a search past max_uses is max_uses_exceeded and never reaches the service", async () => {
    searxng.queries.length = 0;
    const inner = scriptedBackend([searchCall("one"), searchCall("two", "call_2"), finalText("ok")]);
    const ctx = searchContext({ type: "web_search_20250305", name: "web_search", max_uses: 1 });
    const message = await withWebSearch(inner, { provider }).complete(searchRequest(), ctx);
    assert.deepEqual(searxng.queries, ["one"]);
    const results = message.content.filter((b) => b.type === "web_search_tool_result");
    assert.equal(results.length, 2);
    assert.deepEqual(results[1]?.type === "web_search_tool_result" && results[1].content, {
      type: "web_search_tool_result_error",
      error_code: "max_uses_exceeded",
    });
    assert.deepEqual(message.usage.server_tool_use, { web_search_requests: 1 });
  });

  await t.step("without max_uses, more searches in one round than the default are cut at 8", async () => {
    for (const stream of [false, true]) {
      searxng.queries.length = 0;
      const calls = Array.from(
        { length: 11 },
        (_, i) => ({
          type: "tool_use" as const,
          id: `call_${i}`,
          name: "web_search",
          input: { query: `q${i}` },
        }),
      );
      const inner = scriptedBackend([answer(calls, "tool_use"), finalText("ok")]);
      const ctx = searchContext({ type: "web_search_20250305", name: "web_search" });
      const backend = withWebSearch(inner, { provider });
      const blocks = stream
        ? blocksOf(await collect(backend.stream(searchRequest("x", true), ctx)))
        : (await backend.complete(searchRequest(), ctx)).content;
      assert.deepEqual(searxng.queries, Array.from({ length: 8 }, (_, i) => `q${i}`));
      const errors = blocks.filter((b) => b.type === "web_search_tool_result").map((b) => {
        const content: unknown = "content" in b ? b.content : undefined;
        return isRecord(content) ? content.error_code : "results";
      });
      assert.deepEqual(errors, [...Array(8).fill("results"), ...Array(3).fill("max_uses_exceeded")]);
    }
  });

  await t.step("a model that keeps searching is stopped after max_uses + 2 rounds", async () => {
    const rounds = Array.from({ length: 10 }, (_, i) => searchCall(`q${i}`, `call_${i}`));
    const inner = scriptedBackend(rounds);
    const ctx = searchContext({ type: "web_search_20250305", name: "web_search", max_uses: 2 });
    const message = await withWebSearch(inner, { provider }).complete(searchRequest(), ctx);
    assert.equal(inner.requests.length, 4);
    assert.equal(message.stop_reason, "end_turn");
  });
});

Deno.test("withWebSearch() domain filters and user location reach the search", async () => {
  await using searxng = startMockSearxng();
  searxng.results = [
    { url: "https://docs.deno.com/a", title: "Deno docs", content: "a" },
    { url: "https://blocked.example/b", title: "Blocked", content: "b" },
  ];
  const provider = createSearchProvider({ provider: "searxng", url: searxng.url });
  const tool = {
    type: "web_search_20250305",
    name: "web_search",
    allowed_domains: ["deno.com", "blocked.example"],
    blocked_domains: ["blocked.example"],
  };
  const inner = scriptedBackend([searchCall("deno"), finalText("ok")]);
  const message = await withWebSearch(inner, { provider }).complete(searchRequest(), searchContext(tool));
  const result = message.content.find((b) => b.type === "web_search_tool_result");
  assert.deepEqual(
    result?.type === "web_search_tool_result" && Array.isArray(result.content) &&
      result.content.map((r) => r.url),
    ["https://docs.deno.com/a"],
  );
});

Deno.test("withWebSearch() cancels the search and the upstream call when the client leaves mid-search", async () => {
  await using searxng = startMockSearxng();
  searxng.fail = "hang";
  const provider = createSearchProvider({ provider: "searxng", url: searxng.url });
  const inner = scriptedBackend([searchCall("slow"), finalText("never")]);
  const client = new AbortController();
  const ctx = searchContext(undefined, client.signal);
  const events: StreamEvent[] = [];
  const reading = (async () => {
    for await (const batch of withWebSearch(inner, { provider }).stream(searchRequest("x", true), ctx)) {
      events.push(...batch);
    }
  })();
  // The search is under way once the service has the query.
  while (searxng.queries.length === 0) await new Promise((r) => setTimeout(r, 5));
  client.abort(new Error("client left"));
  await assert.rejects(reading, /client left/);
  await searxng.abandoned.promise;
  assert.equal(inner.requests.length, 1, "no second upstream round");
  assert.ok(!events.some((e) => e.type === "message_stop"));
});

Deno.test("withWebSearch() turns searches in the history into text, and leaves them to an upstream that searches", async (t) => {
  const history = searchRequest();
  history.messages.push(
    {
      role: "assistant",
      content: [
        { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "relayx" } },
        {
          type: "web_search_tool_result",
          tool_use_id: "srvtoolu_1",
          content: [{
            type: "web_search_result",
            url: "https://example.com/relayx",
            title: "relayx",
            encrypted_content: "rxws1.eyJ0IjoicmVsYXl4IHRyYW5zbGF0ZXMgdGhlIEFQSSJ9",
            page_age: "2 days ago",
          }],
        },
        { type: "text", text: "relayx translates." },
      ],
    },
    { role: "user", content: [{ type: "text", text: "Thanks" }] },
  );

  await t.step("relayx: the query, then title, URL and page text", async () => {
    const inner = scriptedBackend([finalText("ok")]);
    const ctx = { ...searchContext(), webSearch: undefined };
    await withWebSearch(inner, {}).complete(history, ctx);
    await t.assertSnapshot(inner.requests[0]?.messages[1]);
    assert.match(JSON.stringify(inner.requests[0]?.messages[1]), /relayx translates the API/);
  });

  await t.step("count_tokens counts the searches as that text", async () => {
    const inner = scriptedBackend([]);
    let counted = "";
    inner.countTokens = (request) => {
      counted = JSON.stringify(request.messages);
      return Promise.resolve(7);
    };
    const { max_tokens: _, ...count } = history;
    assert.equal(await withWebSearch(inner, {}).countTokens(count, searchContext()), 7);
    assert.match(counted, /relayx translates the API/);
    assert.doesNotMatch(counted, /server_tool_use/);
  });

  await t.step("upstream: its own searches go as they are, relayx's as text; the tool as sent", async () => {
    // An earlier turn searched on Anthropic itself: its encrypted_content is Anthropic's own.
    const own = structuredClone(history);
    own.messages.push(
      {
        role: "assistant",
        content: [
          { type: "server_tool_use", id: "srvtoolu_up", name: "web_search", input: { query: "deno" } },
          {
            type: "web_search_tool_result",
            tool_use_id: "srvtoolu_up",
            content: [{
              type: "web_search_result",
              url: "https://deno.com",
              title: "Deno",
              encrypted_content: "EqcBCkgIBxgCIkBvb3",
              page_age: null,
            }],
          },
          { type: "text", text: "Deno is a runtime." },
        ],
      },
      { role: "user", content: [{ type: "text", text: "More?" }] },
    );
    const inner = scriptedBackend([finalText("ok")]);
    await withWebSearch(inner, { mode: "upstream" }).complete(own, searchContext());
    const sent = inner.requests[0]?.messages;
    assert.deepEqual(sent?.slice(3), own.messages.slice(3), "Anthropic's own search as it was");
    assert.deepEqual(sent?.[1]?.content.map((b) => b.type), ["text", "text", "text"]);
    assert.match(JSON.stringify(sent?.[1]), /\[Web search: \\"relayx\\"\][^]*relayx translates the API/);
    assert.doesNotMatch(JSON.stringify(sent), /rxws1\./);
    assert.deepEqual(inner.requests[0]?.tools, [{
      type: "web_search_20250305",
      name: "web_search",
      max_uses: 8,
    }]);
  });

  await t.step("upstream: a tool_choice that named the tool goes back as sent", async () => {
    const tool = { type: "web_search_20250305", name: "web_search" };
    const choice = { type: "tool" as const, name: "web_search" };
    const ctx = { ...searchContext(tool), webSearch: webSearchSpec([tool], choice) };
    const request = withoutSearchTool(
      { ...searchRequest(), tools: [tool], tool_choice: choice },
      ctx.webSearch!,
    );
    assert.deepEqual(request.tool_choice, { type: "any" }, "relayx's stand-in is forced as any");
    for (const stream of [false, true]) {
      const inner = scriptedBackend([finalText("ok")]);
      const backend = withWebSearch(inner, { mode: "upstream" });
      if (stream) await collect(backend.stream({ ...request, stream }, ctx));
      else await backend.complete(request, ctx);
      assert.deepEqual(inner.requests[0]?.tool_choice, choice);
      assert.deepEqual(inner.requests[0]?.tools, [tool]);
    }
  });
});
