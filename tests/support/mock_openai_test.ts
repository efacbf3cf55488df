import assert from "node:assert/strict";
import OpenAI from "openai";
import {
  completion,
  geminiError,
  type MockOpenAI,
  openAIError,
  startMockOpenAI,
  textStream,
  toolCallStream,
  usage,
} from "./mock_openai.ts";

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;
type Params = OpenAI.Chat.Completions.ChatCompletionCreateParams;

const HI: Params["messages"] = [{ role: "user", content: "hi" }];

/** An openai client on the mock that counts the body reads the HTTP client delivers. */
function clientFor(mock: MockOpenAI, baseURL = mock.url): { client: OpenAI; reads: () => number } {
  let reads = 0;
  const countingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (!res.body) return res;
    const counted = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          reads++;
          ctl.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  return {
    client: new OpenAI({ baseURL, apiKey: "sk-test", maxRetries: 0, fetch: countingFetch }),
    reads: () => reads,
  };
}

/** Awaits a rejection, checks its class, and returns the error. */
async function rejects<E extends Error>(
  fn: () => Promise<unknown>,
  cls: abstract new (...args: never[]) => E = Error as unknown as abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    return e;
  }
  throw new assert.AssertionError({ message: `expected a rejection with ${cls.name}` });
}

function includes(actual: string, expected: string): void {
  assert.ok(
    actual.includes(expected),
    `${JSON.stringify(actual)} does not include ${JSON.stringify(expected)}`,
  );
}

async function collect(stream: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

function textOf(chunks: Chunk[]): string {
  return chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
}

Deno.test("startMockOpenAI() answers non-stream create() with a scripted completion and records it", async () => {
  await using mock = await startMockOpenAI();
  const { client } = clientFor(mock);
  mock.enqueue(completion({ text: "Hello there", usage: usage(120, 3, { cached: 100 }) }));
  const res = await client.chat.completions.create({ model: "gpt-test", messages: HI, max_tokens: 5 });
  assert.deepEqual(res.choices[0]?.message.content, "Hello there");
  assert.deepEqual(res.choices[0]?.finish_reason, "stop");
  assert.deepEqual(res.model, "gpt-test");
  assert.deepEqual(res.usage?.prompt_tokens_details?.cached_tokens, 100);
  assert.deepEqual(res.usage?.total_tokens, 123);
  assert.deepEqual(mock.requests.length, 1);
  const rec = mock.requests[0]!;
  assert.deepEqual(rec.method, "POST");
  assert.deepEqual(rec.path, "/v1/chat/completions");
  assert.deepEqual(rec.headers["authorization"], "Bearer sk-test");
  assert.deepEqual(rec.body, { model: "gpt-test", messages: HI, max_tokens: 5 });
  assert.deepEqual(mock.pending(), 0);
});

Deno.test("startMockOpenAI() answers with an 'ok' completion or stream when nothing is queued", async () => {
  await using mock = await startMockOpenAI();
  const { client } = clientFor(mock);
  const res = await client.chat.completions.create({ model: "m", messages: HI });
  assert.deepEqual(res.choices[0]?.message.content, "ok");
  assert.ok((res.usage?.prompt_tokens ?? 0) > 0);
  const chunks = await collect(
    await client.chat.completions.create({ model: "m", messages: HI, stream: true }),
  );
  assert.deepEqual(textOf(chunks), "ok");
  assert.deepEqual(chunks.at(-1)?.choices[0]?.finish_reason, "stop");
});

Deno.test("textStream() streams like the real API and the mock appends the include_usage chunk", async (t) => {
  await using mock = await startMockOpenAI();
  const { client } = clientFor(mock);

  await t.step("with include_usage: usage null on every chunk, then a choices:[] usage chunk", async () => {
    mock.enqueue(textStream("Hello brave new world", { usage: usage(42, 4, { cached: 40 }) }));
    const chunks = await collect(
      await client.chat.completions.create({
        model: "gpt-test",
        messages: HI,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    assert.deepEqual(chunks[0]?.choices[0]?.delta.role, "assistant");
    assert.deepEqual(textOf(chunks), "Hello brave new world");
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.deepEqual(last.usage?.prompt_tokens, 42);
    assert.deepEqual(last.usage?.prompt_tokens_details?.cached_tokens, 40);
    assert.deepEqual(last.model, "gpt-test");
    for (const c of chunks.slice(0, -1)) {
      assert.deepEqual(c.usage, null);
      assert.deepEqual(c.model, "gpt-test");
      assert.deepEqual(c.object, "chat.completion.chunk");
    }
    assert.deepEqual(chunks.at(-2)?.choices[0]?.finish_reason, "stop");
  });

  await t.step("without include_usage: no usage chunk", async () => {
    mock.enqueue(textStream("Hi", { usage: usage(1, 1) }));
    const chunks = await collect(
      await client.chat.completions.create({ model: "m", messages: HI, stream: true }),
    );
    assert.ok(chunks.every((c) => c.choices.length === 1 && c.usage === undefined));
  });

  await t.step("reasoning deltas come first in the chosen field", async () => {
    mock.enqueue(textStream("Answer", { reasoning: "Let me think", reasoningField: "reasoning" }));
    const chunks = await collect(
      await client.chat.completions.create({ model: "m", messages: HI, stream: true }),
    );
    const reasoning = chunks.map((c) =>
      (c.choices[0]?.delta as Record<string, unknown> | undefined)?.reasoning ?? ""
    )
      .join("");
    assert.deepEqual(reasoning, "Let me think");
    assert.deepEqual(textOf(chunks), "Answer");
  });
});

Deno.test("split modes cut the SSE bytes into many network reads, inside UTF-8 characters too", async (t) => {
  await using mock = await startMockOpenAI();
  const text = "héllo wörld — 日本語 🎉 done";
  for (const split of ["every-byte", "bytes", "none"] as const) {
    await t.step(split, async () => {
      const { client, reads } = clientFor(mock);
      mock.enqueue({ ...textStream(text, { pieces: 5 }), split, splitSize: 3 });
      const chunks = await collect(
        await client.chat.completions.create({
          model: "m",
          messages: HI,
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
      assert.deepEqual(textOf(chunks), text);
      assert.deepEqual(chunks.length, 8); // role + 5 pieces + finish + usage
      if (split === "none") assert.deepEqual(reads(), 1);
      else assert.ok(reads() > 100, `only ${reads()} reads`);
    });
  }
});

Deno.test("toolCallStream() fragments arguments by index with id and name on the first fragment only", async () => {
  await using mock = await startMockOpenAI();
  const { client } = clientFor(mock);
  mock.enqueue(toolCallStream([
    { id: "call_a", name: "Read", args: { path: "src/main.ts" } },
    { id: "call_b", name: "Bash", args: '{"command":"ls -la"}' },
  ], { argPieces: 4, text: "Let me look." }));
  const chunks = await collect(
    await client.chat.completions.create({ model: "m", messages: HI, stream: true }),
  );
  const calls = new Map<number, { id?: string; name?: string; args: string; fragments: number }>();
  for (const c of chunks) {
    for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
      const entry = calls.get(tc.index) ?? { args: "", fragments: 0 };
      if (tc.id) {
        assert.deepEqual(entry.id, undefined);
        entry.id = tc.id;
        entry.name = tc.function?.name;
      }
      entry.args += tc.function?.arguments ?? "";
      entry.fragments++;
      calls.set(tc.index, entry);
    }
  }
  assert.deepEqual(textOf(chunks), "Let me look.");
  assert.deepEqual(calls.get(0), {
    id: "call_a",
    name: "Read",
    args: '{"path":"src/main.ts"}',
    fragments: 5,
  });
  assert.deepEqual(calls.get(1), { id: "call_b", name: "Bash", args: '{"command":"ls -la"}', fragments: 5 });
  assert.deepEqual(chunks.at(-1)?.choices[0]?.finish_reason, "tool_calls");
});

Deno.test("scripted HTTP errors surface as the openai SDK's APIError subclasses", async (t) => {
  await using mock = await startMockOpenAI();
  const { client } = clientFor(mock);
  const create = () => client.chat.completions.create({ model: "m", messages: HI });

  await t.step("429 with retry-after", async () => {
    mock.enqueue(
      openAIError(429, "Rate limit reached", {
        code: "rate_limit_exceeded",
        headers: { "retry-after": "7" },
      }),
    );
    const e = await rejects(create, OpenAI.RateLimitError);
    assert.deepEqual(e.status, 429);
    assert.deepEqual(e.headers?.get("retry-after"), "7");
    assert.deepEqual(e.code, "rate_limit_exceeded");
  });

  await t.step("400 context_length_exceeded", async () => {
    mock.enqueue(
      openAIError(400, "This model's maximum context length is 128000 tokens.", {
        code: "context_length_exceeded",
        param: "messages",
      }),
    );
    const e = await rejects(create, OpenAI.BadRequestError);
    assert.deepEqual(e.code, "context_length_exceeded");
    includes(e.message, "maximum context length");
  });

  await t.step("401 and 503", async () => {
    mock.enqueue(openAIError(401, "Incorrect API key provided", { code: "invalid_api_key" }));
    await rejects(create, OpenAI.AuthenticationError);
    mock.enqueue(openAIError(503, "The server is overloaded"));
    const e = await rejects(create, OpenAI.InternalServerError);
    assert.deepEqual(e.status, 503);
  });

  await t.step(
    "Gemini's array-shaped error: the SDK keeps only the status and the raw body text",
    async () => {
      mock.enqueue(geminiError(400, "Request contains an invalid argument."));
      const e = await rejects(create, OpenAI.BadRequestError);
      assert.deepEqual(e.code, undefined);
      includes(e.message, "Request contains an invalid argument.");
    },
  );

  await t.step("a plain-text 502", async () => {
    mock.enqueue({ kind: "text", status: 502, body: "<html>Bad Gateway</html>" });
    const e = await rejects(create, OpenAI.InternalServerError);
    assert.deepEqual(e.status, 502);
  });
});

Deno.test("stream failures: an in-stream error line, a cut connection, a missing [DONE]", async (t) => {
  await using mock = await startMockOpenAI();
  const { client } = clientFor(mock);
  const stream = () => client.chat.completions.create({ model: "m", messages: HI, stream: true });

  await t.step("errorAfter throws APIError carrying the error object", async () => {
    mock.enqueue({
      ...textStream("one two three"),
      errorAfter: { after: 2, error: { message: "Upstream overloaded", type: "server_error", code: 529 } },
    });
    const seen: Chunk[] = [];
    const e = await rejects(async () => {
      for await (const c of await stream()) seen.push(c);
    }, OpenAI.APIError);
    assert.deepEqual(seen.length, 2);
    includes(e.message, "Upstream overloaded");
  });

  await t.step("failAfter cuts the connection mid-stream", async () => {
    mock.enqueue({ ...textStream("one two three four"), failAfter: 3 });
    const seen: Chunk[] = [];
    await rejects(async () => {
      for await (const c of await stream()) seen.push(c);
    });
    assert.deepEqual(seen.length, 3);
  });

  await t.step("done:false just ends the iteration", async () => {
    mock.enqueue({ ...textStream("a b"), done: false });
    assert.deepEqual(textOf(await collect(await stream())), "a b");
  });

  await t.step("raw SSE comment lines are written verbatim and skipped by the SDK", async () => {
    const reply = textStream("x y");
    mock.enqueue({ ...reply, chunks: [": OPENROUTER PROCESSING\n\n", ...reply.chunks] });
    assert.deepEqual(textOf(await collect(await stream())), "x y");
  });
});

Deno.test("a client abort of a hanging stream or a delayed reply is seen by nextAbort()", async (t) => {
  await using mock = await startMockOpenAI();
  const { client } = clientFor(mock);

  await t.step("hanging stream", async () => {
    mock.enqueue({ ...textStream("never finishes"), hang: true });
    const ac = new AbortController();
    const s = await client.chat.completions.create({ model: "m", messages: HI, stream: true }, {
      signal: ac.signal,
    });
    const seen: Chunk[] = [];
    // openai's iterator treats an abort of its own signal as the end of the stream, not an error.
    for await (const c of s) {
      seen.push(c);
      ac.abort();
    }
    assert.deepEqual(seen.length, 1);
    await mock.nextAbort();
    assert.deepEqual(mock.aborted, 1);
  });

  await t.step("delayed non-stream reply", async () => {
    mock.enqueue({ ...completion(), delayMs: 10_000 });
    const ac = new AbortController();
    const pending = client.chat.completions.create({ model: "m", messages: HI }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await rejects(() => pending, OpenAI.APIUserAbortError);
    await mock.nextAbort();
    assert.deepEqual(mock.aborted, 2);
  });
});

Deno.test("startMockOpenAI() validates requests like OpenAI", async (t) => {
  await using mock = await startMockOpenAI();
  const { client } = clientFor(mock);
  const create = (body: Record<string, unknown>) => client.chat.completions.create(body as unknown as Params);

  await t.step("missing model, missing or empty messages", async () => {
    let e = await rejects(() => create({ messages: HI }), OpenAI.BadRequestError);
    includes(e.message, "you must provide a model parameter");
    e = await rejects(() => create({ model: "m" }), OpenAI.BadRequestError);
    assert.deepEqual(e.code, "missing_required_parameter");
    e = await rejects(() => create({ model: "m", messages: [] }), OpenAI.BadRequestError);
    assert.deepEqual(e.code, "empty_array");
  });

  await t.step("a tool message must answer a preceding tool_call id", async () => {
    let e = await rejects(
      () => create({ model: "m", messages: [...HI, { role: "tool", tool_call_id: "call_1", content: "x" }] }),
      OpenAI.BadRequestError,
    );
    assert.deepEqual(e.param, "messages.[1].role");
    const call = { id: "call_1", type: "function", function: { name: "f", arguments: "{}" } };
    e = await rejects(
      () =>
        create({
          model: "m",
          messages: [...HI, { role: "assistant", tool_calls: [call] }, {
            role: "tool",
            tool_call_id: "call_2",
            content: "x",
          }],
        }),
      OpenAI.BadRequestError,
    );
    includes(e.message, "'call_2' not found");
    e = await rejects(
      () => create({ model: "m", messages: [...HI, { role: "assistant", tool_calls: [call] }, ...HI] }),
      OpenAI.BadRequestError,
    );
    includes(e.message, "did not have response messages: call_1");
    const ok = await create({
      model: "m",
      messages: [...HI, { role: "assistant", tool_calls: [call] }, {
        role: "tool",
        tool_call_id: "call_1",
        content: "x",
      }],
    }) as OpenAI.Chat.Completions.ChatCompletion;
    assert.deepEqual(ok.choices[0]?.message.content, "ok");
  });
});

Deno.test("strictGemini rejects unknown fields and non-Gemini schema keywords with the array-shaped error", async (t) => {
  await using mock = await startMockOpenAI({ strictGemini: true });
  const { client } = clientFor(mock, mock.geminiUrl);
  const tool = (parameters: Record<string, unknown>) => ({
    type: "function" as const,
    function: { name: "Edit", parameters },
  });
  const raw = async (body: Record<string, unknown>): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${mock.geminiUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer g" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  await t.step("a minimal request passes on the /v1beta/openai path", async () => {
    const res = await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: HI,
      tools: [tool({ type: "object", properties: { path: { type: "string", description: "p" } } })],
    });
    assert.deepEqual(res.choices[0]?.message.content, "ok");
    assert.deepEqual(mock.requests.at(-1)?.path, "/v1beta/openai/chat/completions");
  });

  await t.step("top_k is an unknown name", async () => {
    const res = await raw({ model: "g", messages: HI, top_k: 40 });
    assert.deepEqual(res.status, 400);
    assert.deepEqual(res.body, [{
      error: {
        code: 400,
        message: 'Invalid JSON payload received. Unknown name "top_k": Cannot find field.',
        status: "INVALID_ARGUMENT",
      },
    }]);
  });

  await t.step("$schema, additionalProperties, const and exclusiveMinimum name their path", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ $schema: "x", type: "object" }, `"$schema" at 'tools[0].function_declarations[0].parameters'`],
      [
        { type: "object", properties: { a: { type: "object", additionalProperties: false } } },
        `"additionalProperties" at 'tools[0].function_declarations[0].parameters.properties[0].value'`,
      ],
      [
        { type: "object", properties: { a: { type: "string" }, b: { const: "x" } } },
        `"const" at 'tools[0].function_declarations[0].parameters.properties[1].value'`,
      ],
      [
        { type: "array", items: { type: "number", exclusiveMinimum: 0 } },
        `"exclusiveMinimum" at 'tools[0].function_declarations[0].parameters.items'`,
      ],
    ];
    for (const [parameters, expected] of cases) {
      const res = await raw({ model: "g", messages: HI, tools: [tool(parameters)] });
      assert.deepEqual(res.status, 400);
      includes(JSON.stringify(res.body), expected.replaceAll('"', '\\"'));
    }
  });

  await t.step("the openai SDK surfaces it as a BadRequestError", async () => {
    const e = await rejects(
      () => client.chat.completions.create({ model: "g", messages: HI, user: "u1" }),
      OpenAI.BadRequestError,
    );
    includes(e.message, 'Unknown name \\"user\\"');
  });
});

Deno.test("GET /v1/models lists the configured models", async () => {
  await using mock = await startMockOpenAI({ models: ["a", "b"] });
  const { client } = clientFor(mock);
  const ids: string[] = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, ["a", "b"]);
});

Deno.test("close() ends a stream that is still hanging", async () => {
  const mock = await startMockOpenAI();
  mock.enqueue({ ...textStream("x"), hang: true });
  const res = await fetch(`${mock.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: HI, stream: true }),
  });
  const reader = res.body!.getReader();
  assert.ok((await reader.read()).value instanceof Uint8Array);
  const closed = mock.close();
  await rejects(() => reader.read());
  await closed;
  assert.deepEqual(mock.aborted, 0);
});
