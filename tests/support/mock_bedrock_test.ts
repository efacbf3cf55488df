import assert from "node:assert/strict";
import {
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
  BedrockRuntimeServiceException,
  type ContentBlock,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type Message,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import {
  BedrockClient,
  GetInferenceProfileCommand,
  ListInferenceProfilesCommand,
} from "@aws-sdk/client-bedrock";
import {
  anthropicEvents,
  bedrockError,
  bedrockUsage,
  converseOutput,
  converseStream,
  countTokensReply,
  inferenceProfile,
  invokeMessage,
  invokeStream,
  type MockBedrock,
  startMockBedrock,
} from "./mock_bedrock.ts";

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "x" };
const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const HI: Message[] = [{ role: "user", content: [{ text: "hi" }] }];
const decoder = new TextDecoder();

/**
 * The SDK's default user agent calls `os.release()`, which needs `--allow-sys=osRelease`; without
 * that permission the tests swap in a fixed user agent (transport and signing stay the defaults).
 */
const USER_AGENT: { defaultUserAgentProvider?: () => Promise<[string, string][]> } =
  Deno.permissions.querySync({ name: "sys", kind: "osRelease" }).state === "granted"
    ? {}
    : { defaultUserAgentProvider: () => Promise.resolve([["aws-sdk-js", "test"]]) };

/** Runs `fn` with a runtime client on the mock (SDK defaults: HTTP/2 handler), destroying it after. */
async function withRuntime<T>(
  mock: MockBedrock,
  fn: (client: BedrockRuntimeClient) => Promise<T>,
  config: Partial<BedrockRuntimeClientConfig> = {},
): Promise<T> {
  const client = new BedrockRuntimeClient({
    endpoint: mock.url,
    region: "us-east-1",
    credentials: CREDENTIALS,
    maxAttempts: 1, // the SDK retries 429/5xx 3 times by default; each retry would consume a reply
    ...USER_AGENT,
    ...config,
  });
  try {
    return await fn(client);
  } finally {
    client.destroy();
  }
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

async function collect(
  stream: AsyncIterable<ConverseStreamOutput> | undefined,
): Promise<ConverseStreamOutput[]> {
  const out: ConverseStreamOutput[] = [];
  for await (const e of stream ?? []) out.push(e);
  return out;
}

/**
 * A TCP relay in front of the mock that records the first bytes of each connection, to see which
 * protocol a client really speaks.
 */
function prefaceRelay(target: number): { port: number; prefaces: string[]; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const prefaces: string[] = [];
  const pipes: Promise<unknown>[] = [];
  const relay = async (conn: Deno.TcpConn): Promise<void> => {
    const upstream = await Deno.connect({ hostname: "127.0.0.1", port: target });
    const reader = conn.readable.getReader();
    const first = await reader.read();
    if (first.value) prefaces.push(decoder.decode(first.value.subarray(0, 24)));
    const writer = upstream.writable.getWriter();
    if (first.value) await writer.write(first.value);
    writer.releaseLock();
    const rest = new ReadableStream<Uint8Array>({
      async pull(c) {
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    await Promise.allSettled([rest.pipeTo(upstream.writable), upstream.readable.pipeTo(conn.writable)]);
  };
  const accepting = (async () => {
    for await (const conn of listener) pipes.push(relay(conn).catch(() => {}));
  })().catch(() => {});
  return {
    port: listener.addr.port,
    prefaces,
    async close() {
      listener.close();
      await accepting;
      await Promise.allSettled(pipes);
    },
  };
}

Deno.test("the Bedrock Runtime SDK talks h2c to the mock by default, and HTTP/1.1 clients work too", async (t) => {
  await using mock = await startMockBedrock();

  await t.step("the connection starts with the HTTP/2 preface", async () => {
    const relay = prefaceRelay(mock.port);
    try {
      const client = new BedrockRuntimeClient({
        endpoint: `http://127.0.0.1:${relay.port}`,
        region: "us-east-1",
        credentials: CREDENTIALS,
        ...USER_AGENT,
      });
      try {
        const out = await client.send(new ConverseCommand({ modelId: MODEL, messages: HI }));
        assert.deepEqual(out.output?.message?.content, [{ text: "ok" }]);
      } finally {
        client.destroy();
      }
    } finally {
      await relay.close();
    }
    assert.deepEqual(relay.prefaces, ["PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"]);
    assert.equal(mock.requests.at(-1)?.protocol, "h2");
  });

  await t.step("plain fetch (HTTP/1.1) gets the same answers", async () => {
    const res = await fetch(`${mock.url}/model/${encodeURIComponent(MODEL)}/converse`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/bedrock/aws4_request, " +
          `SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`,
      },
      body: JSON.stringify({ messages: HI }),
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(body.output.message.content, [{ text: "ok" }]);
    const rec = mock.requests.at(-1)!;
    assert.equal(rec.protocol, "http/1.1");
    assert.equal(rec.operation, "converse");
    assert.equal(rec.modelId, MODEL);
  });

  await t.step("a request without credentials is refused like AWS does", async () => {
    const res = await fetch(`${mock.url}/model/${MODEL}/converse`, { method: "POST", body: "{}" });
    assert.equal(res.status, 403);
    assert.equal(
      res.headers.get("x-amzn-errortype"),
      "MissingAuthenticationTokenException:http://internal.amazon.com/coral/com.amazon.coral.service/",
    );
    assert.deepEqual(await res.json(), { message: "Missing Authentication Token" });
  });
});

Deno.test("ConverseCommand gets the scripted output and the mock records a SigV4-signed request", async () => {
  await using mock = await startMockBedrock({ accessKeyId: "AKIDEXAMPLE" });
  const arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123";
  mock.enqueue(converseOutput("Hello", { usage: bedrockUsage(12, 3, { cacheRead: 900, cacheWrite: 40 }) }));
  const out = await withRuntime(mock, (c) =>
    c.send(
      new ConverseCommand({
        modelId: arn,
        messages: HI,
        system: [{ text: "be brief" }, { cachePoint: { type: "default" } }],
        inferenceConfig: { maxTokens: 100 },
      }),
    ));
  assert.deepEqual(out.output?.message, { role: "assistant", content: [{ text: "Hello" }] });
  assert.equal(out.stopReason, "end_turn");
  assert.deepEqual(out.usage, {
    inputTokens: 12,
    outputTokens: 3,
    totalTokens: 955,
    cacheReadInputTokens: 900,
    cacheWriteInputTokens: 40,
  });
  const rec = mock.requests[0]!;
  assert.equal(rec.path, `/model/${encodeURIComponent(arn)}/converse`);
  assert.equal(rec.modelId, arn);
  assert.equal(rec.protocol, "h2");
  assert.equal(rec.auth.kind, "sigv4");
  if (rec.auth.kind === "sigv4") {
    assert.equal(rec.auth.accessKeyId, "AKIDEXAMPLE");
    assert.equal(rec.auth.region, "us-east-1");
    assert.equal(rec.auth.service, "bedrock");
  }
  assert.deepEqual(rec.body, {
    messages: HI,
    system: [{ text: "be brief" }, { cachePoint: { type: "default" } }],
    inferenceConfig: { maxTokens: 100 },
  });

  const e = await rejects(
    () =>
      withRuntime(
        mock,
        (c) => c.send(new ConverseCommand({ modelId: MODEL, messages: HI })),
        { credentials: { accessKeyId: "AKIDOTHER", secretAccessKey: "x" } },
      ),
    BedrockRuntimeServiceException,
  );
  assert.equal(e.name, "UnrecognizedClientException");
  assert.equal(e.message, "The security token included in the request is invalid.");
});

Deno.test("a Bedrock API key is sent as a Bearer token and checked", async () => {
  await using mock = await startMockBedrock({ bearerToken: "bedrock-api-key-abc" });
  const bearer = (token: string): Partial<BedrockRuntimeClientConfig> => ({
    token: { token },
    authSchemePreference: ["httpBearerAuth"],
  });
  await withRuntime(
    mock,
    (c) => c.send(new ConverseCommand({ modelId: MODEL, messages: HI })),
    bearer("bedrock-api-key-abc"),
  );
  assert.deepEqual(mock.requests[0]?.auth, { kind: "bearer", token: "bedrock-api-key-abc" });
  const e = await rejects(
    () =>
      withRuntime(
        mock,
        (c) => c.send(new ConverseCommand({ modelId: MODEL, messages: HI })),
        bearer("wrong"),
      ),
    BedrockRuntimeServiceException,
  );
  assert.equal(e.$metadata.httpStatusCode, 403);
  assert.equal(e.name, "UnrecognizedClientException");
});

Deno.test("ConverseStreamCommand yields the scripted events in Bedrock's order", async (t) => {
  await using mock = await startMockBedrock();

  await t.step("reasoning, text and a tool use; the padding field is dropped by the SDK", async () => {
    mock.enqueue(converseStream("Let me look.", {
      reasoning: "Need the file",
      signature: "sig1",
      toolUses: [{ toolUseId: "tooluse_1", name: "Read", input: { path: "a.ts" } }],
      usage: bedrockUsage(20, 9, { cacheRead: 100 }),
    }));
    const events = await withRuntime(mock, async (c) => {
      const res = await c.send(new ConverseStreamCommand({ modelId: MODEL, messages: HI }));
      return await collect(res.stream);
    });
    assert.deepEqual(events[0], { messageStart: { role: "assistant" } });
    const reasoning = events.flatMap((e) =>
      e.contentBlockDelta?.contentBlockIndex === 0 ? [e.contentBlockDelta.delta?.reasoningContent] : []
    );
    assert.deepEqual(reasoning.at(-1), { signature: "sig1" });
    const text = events.map((e) =>
      e.contentBlockDelta?.contentBlockIndex === 1 ? e.contentBlockDelta.delta?.text : ""
    )
      .join("");
    assert.equal(text, "Let me look.");
    const start = events.find((e) => e.contentBlockStart)?.contentBlockStart;
    assert.deepEqual(start, {
      contentBlockIndex: 2,
      start: { toolUse: { toolUseId: "tooluse_1", name: "Read" } },
    });
    const input = events.map((e) =>
      e.contentBlockDelta?.contentBlockIndex === 2 ? e.contentBlockDelta.delta?.toolUse?.input : ""
    ).join("");
    assert.equal(input, '{"path":"a.ts"}');
    assert.deepEqual(events.at(-2), { messageStop: { stopReason: "tool_use" } });
    assert.deepEqual(events.at(-1), {
      metadata: {
        usage: { inputTokens: 20, outputTokens: 9, totalTokens: 129, cacheReadInputTokens: 100 },
        metrics: { latencyMs: 123 },
      },
    });
  });

  await t.step(
    "events paced like real token output all arrive (the SDK closes its session after the headers)",
    async () => {
      mock.enqueue({ ...converseStream("one two three four"), delayMs: 15 });
      mock.enqueue({ ...invokeStream(anthropicEvents("five six")), delayMs: 15 });
      await withRuntime(mock, async (c) => {
        const res = await c.send(new ConverseStreamCommand({ modelId: MODEL, messages: HI }));
        const events = await collect(res.stream);
        assert.equal(
          events.map((e) => e.contentBlockDelta?.delta?.text ?? "").join(""),
          "one two three four",
        );
        assert.ok(events.at(-1)?.metadata);
        const body = JSON.stringify({
          anthropic_version: "bedrock-2023-05-31",
          max_tokens: 5,
          messages: [{ role: "user", content: "hi" }],
        });
        const inv = await c.send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body }));
        let parts = 0;
        for await (const _ of inv.body ?? []) parts++;
        assert.equal(parts, 7);
      });
    },
  );

  await t.step("frames cut into single bytes still decode", async () => {
    mock.enqueue({ ...converseStream("héllo 日本 🎉", { pieces: 3 }), split: "every-byte" });
    const events = await withRuntime(mock, async (c) => {
      const res = await c.send(new ConverseStreamCommand({ modelId: MODEL, messages: HI }));
      return await collect(res.stream);
    });
    assert.equal(events.map((e) => e.contentBlockDelta?.delta?.text ?? "").join(""), "héllo 日本 🎉");
  });

  await t.step("a mid-stream throttlingException is thrown as ThrottlingException", async () => {
    const reply = converseStream("one two three");
    mock.enqueue({
      ...reply,
      events: [...reply.events.slice(0, 3), { throttlingException: { message: "Slow down" } }],
    });
    const seen: ConverseStreamOutput[] = [];
    const e = await rejects(
      () =>
        withRuntime(mock, async (c) => {
          const res = await c.send(new ConverseStreamCommand({ modelId: MODEL, messages: HI }));
          for await (const ev of res.stream ?? []) seen.push(ev);
        }),
      ThrottlingException,
    );
    assert.equal(seen.length, 3);
    assert.equal(e.name, "ThrottlingException");
    assert.equal(e.message, "Slow down");
  });

  await t.step("a connection cut mid-stream is an error, not a clean end", async () => {
    mock.enqueue({ ...converseStream("one two three"), failAfter: 2 });
    const seen: ConverseStreamOutput[] = [];
    await rejects(() =>
      withRuntime(mock, async (c) => {
        const res = await c.send(new ConverseStreamCommand({ modelId: MODEL, messages: HI }));
        for await (const ev of res.stream ?? []) seen.push(ev);
      })
    );
    assert.equal(seen.length, 2);
  });
});

Deno.test("HTTP exceptions surface from the SDK with their name, status and message", async () => {
  await using mock = await startMockBedrock();
  const cases: [string, number, string][] = [
    ["ThrottlingException", 429, "Too many requests, please wait before trying again."],
    ["AccessDeniedException", 403, "You don't have access to the model with the specified model ID."],
    ["ValidationException", 400, "Input is too long for requested model."],
    ["ServiceUnavailableException", 503, "Bedrock is unable to process your request."],
    ["ModelTimeoutException", 408, "Model has timed out in processing the request. Try your request again."],
    [
      "ResourceNotFoundException",
      404,
      "Could not resolve the foundation model from the provided model identifier.",
    ],
    ["UnrecognizedClientException", 403, "The security token included in the request is invalid."],
    ["ExpiredTokenException", 403, "The security token included in the request is expired"],
  ];
  await withRuntime(mock, async (client) => {
    for (const [name, status, message] of cases) {
      mock.enqueue(bedrockError(name));
      const e = await rejects(
        () => client.send(new ConverseCommand({ modelId: MODEL, messages: HI })),
        BedrockRuntimeServiceException,
      );
      assert.equal(e.name, name);
      assert.equal(e.$metadata.httpStatusCode, status);
      assert.equal(e.message, message);
    }
    mock.enqueue(bedrockError("ValidationException", "prompt is too long: 210000 tokens > 200000 maximum"));
    const e = await rejects(
      () => client.send(new ConverseStreamCommand({ modelId: MODEL, messages: HI })),
      ValidationException,
    );
    assert.equal(e.message, "prompt is too long: 210000 tokens > 200000 maximum");
  });
});

Deno.test("the mock rejects Converse requests the way Bedrock validates them", async (t) => {
  await using mock = await startMockBedrock();
  const tools = { tools: [{ toolSpec: { name: "Read", inputSchema: { json: { type: "object" } } } }] };
  const use: ContentBlock = { toolUse: { toolUseId: "t1", name: "Read", input: {} } };
  const result: ContentBlock = { toolResult: { toolUseId: "t1", content: [{ text: "x" }] } };
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "first message not from the user",
      { messages: [{ role: "assistant", content: [{ text: "x" }] }] },
      "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
    ],
    [
      "roles not alternating",
      { messages: [...HI, ...HI] },
      "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between " +
      "user and assistant roles and try again.",
    ],
    [
      "blank text",
      { messages: [{ role: "user", content: [{ text: "a" }, { text: " " }] }] },
      "The text field in the ContentBlock object at messages.0.content.1 is blank. Add text to the text field, and try again.",
    ],
    [
      "empty content",
      { messages: [{ role: "user", content: [] }] },
      "The content field in the Message object at messages.0 is empty. Add a ContentBlock object to the content field " +
      "and try again.",
    ],
    [
      "tool blocks without toolConfig",
      { messages: [...HI, { role: "assistant", content: [use] }, { role: "user", content: [result] }] },
      "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
    ],
    [
      "a toolResult that answers no toolUse",
      {
        messages: [...HI, { role: "assistant", content: [{ text: "x" }] }, {
          role: "user",
          content: [result],
        }],
        toolConfig: tools,
      },
      "The model returned the following errors: messages.2.content.0: unexpected `tool_use_id` found in `tool_result` " +
      "blocks: t1. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
    ],
    [
      "more than 4 cache points",
      {
        system: [{ text: "s" }, { cachePoint: { type: "default" } }, { cachePoint: { type: "default" } }],
        messages: [{
          role: "user",
          content: [{ text: "a" }, { cachePoint: { type: "default" } }, { cachePoint: { type: "default" } }, {
            cachePoint: { type: "default" },
          }],
        }],
      },
      "The model returned the following errors: A maximum of 4 blocks with cache_control may be provided. Found 5.",
    ],
    [
      "a document without text",
      {
        messages: [{
          role: "user",
          content: [{
            document: { format: "txt", name: "notes", source: { bytes: new TextEncoder().encode("x") } },
          }],
        }],
      },
      "A text block must be included when using documents.",
    ],
    [
      "a tool name outside [a-zA-Z0-9_-]",
      {
        messages: HI,
        toolConfig: {
          tools: [tools.tools[0], { toolSpec: { name: "mcp.read", inputSchema: { json: {} } } }],
        },
      },
      "1 validation error detected: Value 'mcp.read' at 'toolConfig.tools.2.member.toolSpec.name' failed to satisfy " +
      "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
    ],
  ];
  await withRuntime(mock, async (client) => {
    for (const [name, input, message] of cases) {
      await t.step(name, async () => {
        const e = await rejects(
          () =>
            client.send(
              new ConverseCommand(
                { modelId: MODEL, ...input } as ConstructorParameters<typeof ConverseCommand>[0],
              ),
            ),
          ValidationException,
        );
        assert.equal(e.message, message);
        assert.equal(e.$metadata.httpStatusCode, 400);
      });
    }
    await t.step("a valid tool round trip passes", async () => {
      const out = await client.send(
        new ConverseCommand({
          modelId: MODEL,
          messages: [...HI, { role: "assistant", content: [use] }, { role: "user", content: [result] }],
          toolConfig: tools,
        }),
      );
      assert.equal(out.stopReason, "end_turn");
    });
  });
  assert.equal(mock.pending(), 0);
});

Deno.test("InvokeModel and InvokeModelWithResponseStream carry native Anthropic bodies", async () => {
  await using mock = await startMockBedrock();
  const body = JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: 50,
    messages: [{ role: "user", content: "hi" }],
  });
  await withRuntime(mock, async (client) => {
    mock.enqueue(invokeMessage("Hi there", { usage: { input_tokens: 7, output_tokens: 3 } }));
    const res = await client.send(
      new InvokeModelCommand({ modelId: MODEL, body, contentType: "application/json" }),
    );
    const message = JSON.parse(decoder.decode(res.body));
    assert.deepEqual(message.content, [{ type: "text", text: "Hi there" }]);
    assert.deepEqual(message.usage, { input_tokens: 7, output_tokens: 3 });

    mock.enqueue(
      invokeStream(anthropicEvents("Hello world", { usage: { input_tokens: 9, output_tokens: 2 } })),
    );
    const stream = await client.send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body }));
    const events: Record<string, unknown>[] = [];
    for await (const part of stream.body ?? []) {
      assert.ok(part.chunk?.bytes instanceof Uint8Array);
      events.push(JSON.parse(decoder.decode(part.chunk.bytes)));
    }
    assert.deepEqual(events.map((e) => e.type), [
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    assert.deepEqual(events.at(-1)?.["amazon-bedrock-invocationMetrics"], {
      inputTokenCount: 9,
      outputTokenCount: 2,
      invocationLatency: 321,
      firstByteLatency: 123,
    });

    const e = await rejects(
      () =>
        client.send(
          new InvokeModelCommand({
            modelId: MODEL,
            body: JSON.stringify({ ...JSON.parse(body), model: "claude" }),
          }),
        ),
      ValidationException,
    );
    assert.equal(
      e.message,
      "Malformed input request: #: extraneous key [model] is not permitted, please reformat your input and try again.",
    );
  });
});

Deno.test("CountTokensCommand counts for bare model ids and refuses inference profiles", async () => {
  await using mock = await startMockBedrock();
  await withRuntime(mock, async (client) => {
    mock.enqueue(countTokensReply(1234));
    // a queued count-tokens reply is not consumed by another operation
    await client.send(new ConverseCommand({ modelId: MODEL, messages: HI }));
    const out = await client.send(
      new CountTokensCommand({
        modelId: "anthropic.claude-sonnet-4-5-20250929-v1:0",
        input: { converse: { messages: HI } },
      }),
    );
    assert.equal(out.inputTokens, 1234);
    const e = await rejects(
      () => client.send(new CountTokensCommand({ modelId: MODEL, input: { converse: { messages: HI } } })),
      ValidationException,
    );
    assert.equal(e.message, "The provided model doesn't support counting tokens.");
  });
  assert.deepEqual(mock.requests.map((r) => r.operation), ["converse", "count-tokens", "count-tokens"]);
});

Deno.test("ListInferenceProfilesCommand pages through the configured profiles", async () => {
  await using mock = await startMockBedrock();
  mock.profiles.push(
    inferenceProfile("eu.anthropic.claude-haiku-4-5-20251001-v1:0", { region: "eu-central-1" }),
  );
  const client = new BedrockClient({
    endpoint: mock.url,
    region: "us-east-1",
    credentials: CREDENTIALS,
    ...USER_AGENT,
  });
  try {
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListInferenceProfilesCommand({ typeEquals: "SYSTEM_DEFINED", maxResults: 4, nextToken }),
      );
      for (const p of page.inferenceProfileSummaries ?? []) {
        assert.equal(p.status, "ACTIVE");
        assert.ok(p.createdAt instanceof Date);
        assert.ok(p.models?.[0]?.modelArn?.startsWith("arn:aws:bedrock:"));
        ids.push(p.inferenceProfileId ?? "");
      }
      nextToken = page.nextToken;
    } while (nextToken);
    assert.equal(ids.length, 6);
    assert.ok(ids.includes("us.anthropic.claude-sonnet-4-5-20250929-v1:0"));
    assert.ok(ids.includes("eu.anthropic.claude-haiku-4-5-20251001-v1:0"));
    const one = await client.send(new GetInferenceProfileCommand({ inferenceProfileIdentifier: ids[0] }));
    assert.equal(one.inferenceProfileArn, mock.profiles[0]?.inferenceProfileArn);
  } finally {
    client.destroy();
  }
  assert.deepEqual(mock.requests[0]?.query, { type: "SYSTEM_DEFINED", maxResults: "4" });
  // the control-plane client uses the HTTP/1.1 handler
  assert.equal(mock.requests[0]?.protocol, "http/1.1");
});

Deno.test("an aborted ConverseStream over HTTP/2 is seen by nextAbort()", async () => {
  await using mock = await startMockBedrock();
  mock.enqueue({ ...converseStream("never finishes"), hang: true });
  await withRuntime(mock, async (client) => {
    const ac = new AbortController();
    const res = await client.send(new ConverseStreamCommand({ modelId: MODEL, messages: HI }), {
      abortSignal: ac.signal,
    });
    const seen: ConverseStreamOutput[] = [];
    try {
      for await (const ev of res.stream ?? []) {
        seen.push(ev);
        ac.abort();
      }
    } catch {
      // how the SDK ends the iteration on abort is not what this test is about
    }
    assert.equal(seen.length, 1);
    await mock.nextAbort(); // before client.destroy(): the RST_STREAM alone is enough
  });
  assert.equal(mock.aborted, 1);
});

Deno.test("over HTTP/1.1 a client abort is seen, and close() ends a stream that still hangs", async () => {
  const mock = await startMockBedrock();
  const url = `${mock.url}/model/${encodeURIComponent(MODEL)}/converse-stream`;
  const init = (signal?: AbortSignal): RequestInit => ({
    method: "POST",
    signal,
    headers: { authorization: "Bearer k", "content-type": "application/json" },
    body: JSON.stringify({ messages: HI }),
  });
  try {
    mock.enqueue({ ...converseStream("x"), hang: true });
    const ac = new AbortController();
    const res = await fetch(url, init(ac.signal));
    const reader = res.body!.getReader();
    assert.ok((await reader.read()).value instanceof Uint8Array);
    ac.abort();
    await reader.read().catch(() => {});
    await mock.nextAbort();
    assert.equal(mock.aborted, 1);

    mock.enqueue({ ...converseStream("y"), hang: true });
    const res2 = await fetch(url, init());
    const reader2 = res2.body!.getReader();
    assert.ok((await reader2.read()).value instanceof Uint8Array);
    const closing = mock.close();
    await rejects(() => reader2.read());
    await closing;
    assert.equal(mock.aborted, 1);
  } finally {
    await mock.close();
  }
});
