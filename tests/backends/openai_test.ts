import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createOpenAIBackend } from "../../src/backends/openai.ts";
import type { OpenAIConfig } from "../../src/config.ts";
import type { ProviderName } from "../../src/translate/openai/providers.ts";
import {
  completion,
  geminiError,
  openAIError,
  startMockOpenAI,
  textStream,
  toolCallStream,
  usage,
} from "../support/mock_openai.ts";
import { startRelay } from "../support/relay.ts";
import basic from "../testdata/claude_code/request_basic.json" with { type: "json" };

type Mock = Awaited<ReturnType<typeof startMockOpenAI>>;

function config(
  url: string,
  provider: ProviderName = "openai",
  extra: Partial<OpenAIConfig> = {},
): OpenAIConfig {
  return {
    kind: "openai_compatible",
    apiKey: "sk-test-secret",
    baseUrl: url,
    model: "gpt-4.1",
    smallModel: "gpt-4.1-mini",
    provider,
    ...extra,
  };
}

async function withRelay(
  fn: (mock: Mock, relay: ReturnType<typeof startRelay>) => Promise<void>,
  provider: ProviderName = "openai",
  strictGemini = false,
): Promise<void> {
  await using mock = await startMockOpenAI({ strictGemini });
  await using relay = startRelay(createOpenAIBackend(config(mock.url, provider)));
  await fn(mock, relay);
}

const user = (
  content: Anthropic.MessageParam["content"],
): Anthropic.MessageParam[] => [{ role: "user", content }];

// deno-lint-ignore no-explicit-any
const lastBody = (mock: Mock): any => mock.requests.at(-1)?.body;

Deno.test("OpenAI-compatible backend, end to end with the Anthropic SDK", async (t) => {
  await t.step("non-stream text with cached usage", () =>
    withRelay(async (mock, relay) => {
      mock.enqueue(completion({ text: "Hello there", usage: usage(120, 7, { cached: 100 }) }));
      const msg = await relay.client.messages.create({
        model: "claude-opus-5-5",
        max_tokens: 100,
        messages: user("Hi"),
      });
      assert.deepEqual(msg.content.map((b) => b.type === "text" && b.text), ["Hello there"]);
      assert.equal(msg.model, "claude-opus-5-5");
      assert.equal(msg.stop_reason, "end_turn");
      assert.equal(msg.usage.input_tokens, 20);
      assert.equal(msg.usage.cache_read_input_tokens, 100);
      assert.equal(msg.usage.output_tokens, 7);
      const body = lastBody(mock);
      assert.equal(body.model, "gpt-4.1");
      assert.equal(mock.requests.at(-1)?.headers.authorization, "Bearer sk-test-secret");
      assert.ok(relay.logs.every((l) => !JSON.stringify(l).includes("sk-test-secret")));
    }));

  await t.step(
    "a stream split at every byte keeps emoji and CJK intact",
    () =>
      withRelay(async (mock, relay) => {
        const text = "Grüße 👋🏽 你好世界, ok";
        mock.enqueue({
          ...textStream(text, { pieces: 6, usage: usage(50, 9, { cached: 10 }) }),
          split: "every-byte",
        });
        const stream = relay.client.messages.stream({
          model: "claude-opus-5-5",
          max_tokens: 100,
          messages: user("Hi"),
        });
        let started = 0;
        stream.on("streamEvent", (e) => {
          if (e.type === "message_start") started = e.message.usage.input_tokens;
        });
        const msg = await stream.finalMessage();
        assert.equal(msg.content[0]?.type === "text" && msg.content[0].text, text);
        assert.ok(started > 0, "message_start carries an input estimate");
        assert.equal(msg.usage.input_tokens, 40);
        assert.equal(msg.usage.cache_read_input_tokens, 10);
        assert.equal(msg.usage.output_tokens, 9);
        assert.equal(lastBody(mock).stream_options?.include_usage, true);
      }),
  );

  await t.step("parallel tool calls with fragmented arguments", () =>
    withRelay(async (mock, relay) => {
      mock.enqueue(toolCallStream([
        { id: "call_a", name: "Bash", args: { command: "ls -la" } },
        { id: "call_b", name: "Write", args: { file_path: "/tmp/x.txt", content: "héllo ✓" } },
      ], { argPieces: 5, text: "Doing both." }));
      const msg = await relay.client.messages.stream({
        model: "claude-opus-5-5",
        max_tokens: 100,
        messages: user("go"),
        tools: [
          { name: "Bash", input_schema: { type: "object", properties: { command: { type: "string" } } } },
          { name: "Write", input_schema: { type: "object" } },
        ],
      }).finalMessage();
      assert.equal(msg.stop_reason, "tool_use");
      const tools = msg.content.filter((b) => b.type === "tool_use");
      assert.deepEqual(tools.map((b) => [b.id, b.name, b.input]), [
        ["call_a", "Bash", { command: "ls -la" }],
        ["call_b", "Write", { file_path: "/tmp/x.txt", content: "héllo ✓" }],
      ]);
      assert.equal(msg.content[0]?.type, "text");
    }));

  await t.step(
    "tool results and images go upstream in OpenAI's shape",
    () =>
      withRelay(async (mock, relay) => {
        await relay.client.messages.create({
          model: "claude-opus-5-5",
          max_tokens: 100,
          tools: [{ name: "Read", input_schema: { type: "object" } }],
          messages: [
            { role: "user", content: "read it" },
            {
              role: "assistant",
              content: [{ type: "tool_use", id: "toolu_1", name: "Read", input: { p: "a.png" } }],
            },
            {
              role: "user",
              content: [{
                type: "tool_result",
                tool_use_id: "toolu_1",
                content: [
                  { type: "text", text: "image:" },
                  {
                    type: "image",
                    source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
                  },
                ],
              }],
            },
          ],
        });
        const msgs = lastBody(mock).messages;
        assert.deepEqual(msgs.map((m: { role: string }) => m.role), ["user", "assistant", "tool", "user"]);
        assert.equal(msgs[1].tool_calls[0].id, "toolu_1");
        assert.equal(msgs[2].tool_call_id, "toolu_1");
        assert.match(JSON.stringify(msgs[3]), /data:image\/png;base64,iVBORw0KGgo=/);
      }),
  );

  await t.step(
    "DeepSeek reasoning becomes thinking and comes back on the tool turn",
    () =>
      withRelay(async (mock, relay) => {
        mock.enqueue({
          ...toolCallStream([{ id: "call_1", name: "Bash", args: { command: "pwd" } }]),
          chunks: [
            {
              choices: [{
                index: 0,
                delta: { role: "assistant", reasoning_content: "Need the " },
                finish_reason: null,
              }],
            },
            { choices: [{ index: 0, delta: { reasoning_content: "directory." }, finish_reason: null }] },
            ...toolCallStream([{ id: "call_1", name: "Bash", args: { command: "pwd" } }]).chunks,
          ],
        });
        const tools: Anthropic.Tool[] = [{ name: "Bash", input_schema: { type: "object" } }];
        const first = await relay.client.messages.stream({
          model: "claude-opus-5-5",
          max_tokens: 100,
          thinking: { type: "enabled", budget_tokens: 2000 },
          tools,
          messages: user("where am I"),
        }).finalMessage();
        const thinking = first.content[0];
        assert.equal(thinking?.type, "thinking");
        assert.equal(thinking?.type === "thinking" && thinking.thinking, "Need the directory.");
        assert.match(thinking?.type === "thinking" ? thinking.signature : "", /^relayx1\./);
        await relay.client.messages.create({
          model: "claude-opus-5-5",
          max_tokens: 100,
          thinking: { type: "enabled", budget_tokens: 2000 },
          tools,
          messages: [
            ...user("where am I"),
            { role: "assistant", content: first.content },
            { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "/home" }] },
          ],
        });
        const assistant = lastBody(mock).messages.find((m: { role: string }) => m.role === "assistant");
        assert.equal(assistant.reasoning_content, "Need the directory.");
      }, "deepseek"),
  );

  await t.step(
    "a real Claude Code request passes Gemini's schema rules",
    () =>
      withRelay(
        async (mock, relay) => {
          const res = await fetch(`${relay.url}/v1/messages?beta=true`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "anthropic-beta": "claude-code-20250219,brand-new-2030-01-01",
            },
            body: JSON.stringify(basic),
          });
          assert.equal(res.status, 200, await res.clone().text());
          const events = await res.text();
          assert.ok(events.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
          const body = lastBody(mock);
          const names = body.tools.map((x: { function: { name: string } }) => x.function.name);
          assert.ok(!names.includes("DeferredToolPlaceholder"));
          assert.ok(body.max_tokens <= 65536, `max_tokens clamped, got ${body.max_tokens}`);
          assert.equal(body.messages.filter((m: { role: string }) => m.role === "system").length, 1);
        },
        "gemini",
        true,
      ),
  );

  await t.step(
    "count_tokens counts with a tokenizer and grows with the prompt",
    () =>
      withRelay(async (_mock, relay) => {
        const small = await relay.client.messages.countTokens({
          model: "claude-opus-5-5",
          messages: user("Hi"),
        });
        const big = await relay.client.messages.countTokens({
          model: "claude-opus-5-5",
          messages: user("The quick brown fox jumps over the lazy dog. ".repeat(100)),
        });
        assert.ok(small.input_tokens > 0 && small.input_tokens < 20, String(small.input_tokens));
        assert.ok(big.input_tokens > 900 && big.input_tokens < 1200, String(big.input_tokens));
      }),
  );
});

Deno.test("OpenAI-compatible backend maps upstream failures", async (t) => {
  const create = (relay: ReturnType<typeof startRelay>) =>
    relay.client.messages.create({ model: "claude-opus-5-5", max_tokens: 10, messages: user("Hi") });

  async function expectError(
    reply: Parameters<Mock["enqueue"]>[0],
    status: number,
    type: string,
    message?: RegExp,
    headers: Record<string, string> = {},
  ) {
    await withRelay(async (mock, relay) => {
      mock.enqueue(reply);
      const err = await create(relay).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof Anthropic.APIError, String(err));
      assert.equal(err.status, status);
      const body = err.error as { error?: { type?: string; message?: string } };
      assert.equal(body.error?.type, type);
      if (message) assert.match(body.error?.message ?? "", message);
      for (const [k, v] of Object.entries(headers)) assert.equal(err.headers?.get(k), v);
      assert.ok(!JSON.stringify(body).includes("sk-test-secret"));
    });
  }

  await t.step(
    "429 keeps retry-after",
    () =>
      expectError(
        {
          ...openAIError(429, "Rate limit reached", { code: "rate_limit_exceeded" }),
          headers: { "retry-after": "3" },
        },
        429,
        "rate_limit_error",
        /Rate limit/,
        { "retry-after": "3" },
      ),
  );
  await t.step("context overflow becomes Claude Code's prompt-too-long", () =>
    expectError(
      openAIError(
        400,
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130532 tokens.",
        { code: "context_length_exceeded" },
      ),
      400,
      "invalid_request_error",
      /^prompt is too long: 130532 tokens > 128000 maximum$/,
    ));
  await t.step(
    "Gemini's array-shaped error keeps its message",
    () =>
      expectError(
        geminiError(400, 'Invalid JSON payload received. Unknown name "foo"'),
        400,
        "invalid_request_error",
        /Unknown name/,
      ),
  );
  await t.step(
    "an upstream 401 is a 500 that does not blame the client's key",
    () =>
      expectError(
        openAIError(401, "Incorrect API key provided: sk-***", { code: "invalid_api_key" }),
        500,
        "api_error",
        /authentication/i,
        { "x-should-retry": "false" },
      ),
  );
  await t.step(
    "503 becomes 529 overloaded",
    () => expectError(openAIError(503, "The server is overloaded"), 529, "overloaded_error"),
  );
  await t.step(
    "a gateway's HTML 502 becomes 529",
    () =>
      expectError({ kind: "text", status: 502, body: "<html>Bad gateway</html>" }, 529, "overloaded_error"),
  );

  await t.step("an upstream that is not running says so", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    await using relay = startRelay(createOpenAIBackend(config(`http://127.0.0.1:${port}/v1`, "ollama")));
    const err = await create(relay).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof Anthropic.APIError);
    assert.equal(err.status, 500);
    assert.match(JSON.stringify(err.error), /127\.0\.0\.1:\d+/);
  });

  await t.step("a failure mid-stream ends with an error event", () =>
    withRelay(async (mock, relay) => {
      mock.enqueue({
        ...textStream("partial answer", { pieces: 4 }),
        errorAfter: { after: 2, error: { message: "boom", type: "server_error" } },
      });
      const stream = relay.client.messages.stream({
        model: "claude-opus-5-5",
        max_tokens: 10,
        messages: user("Hi"),
      });
      const err = await stream.finalMessage().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof Anthropic.APIError, String(err));
    }));

  await t.step(
    "an upstream that drops the connection ends the stream with an error event",
    () =>
      withRelay(async (mock, relay) => {
        mock.enqueue({ ...textStream("partial answer", { pieces: 4 }), failAfter: 2 });
        const res = await fetch(`${relay.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            model: "claude-opus-5-5",
            max_tokens: 10,
            stream: true,
            messages: user("Hi"),
          }),
        });
        const text = await res.text();
        assert.match(text, /event: error\n/);
        assert.ok(!text.includes("message_stop"));
      }),
  );

  await t.step(
    "a client that disconnects during a non-stream call closes the upstream connection",
    async () => {
      // A bare TCP upstream that never answers: the only way its read ends is relayx dropping the call.
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      let accepted: Deno.Conn | undefined;
      const upstreamClosed = (async () => {
        const conn = await listener.accept();
        accepted = conn;
        const buf = new Uint8Array(65536);
        let received = 0;
        for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) received += n;
        conn.close();
        return received;
      })();
      await using relay = startRelay(
        createOpenAIBackend(config(`http://127.0.0.1:${listener.addr.port}/v1`, "openai")),
      );
      const ac = new AbortController();
      const pending = fetch(`${relay.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-opus-5-5", max_tokens: 10, messages: user("Hi") }),
        signal: ac.signal,
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
      ac.abort();
      await pending;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const received = await Promise.race([
        upstreamClosed,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            // Unblocks relayx's pending call so that the failure does not hang the test run.
            accepted?.close();
            reject(new Error("the upstream call was not dropped"));
          }, 3000);
        }),
      ]).finally(() => clearTimeout(timer));
      assert.ok(received > 0, "the upstream got the request before the client left");
      listener.close();
      while (relay.logs.length === 0) await new Promise((r) => setTimeout(r, 5));
      assert.equal(relay.logs[0]?.status, 499);
    },
  );

  await t.step(
    "a client that disconnects aborts the upstream request",
    () =>
      withRelay(async (mock, relay) => {
        mock.enqueue({ ...textStream("never finishes", { pieces: 4 }), hang: true });
        const ac = new AbortController();
        const res = await fetch(`${relay.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            model: "claude-opus-5-5",
            max_tokens: 10,
            stream: true,
            messages: user("Hi"),
          }),
          signal: ac.signal,
        });
        const reader = res.body!.getReader();
        await reader.read();
        ac.abort();
        await reader.cancel().catch(() => {});
        await mock.nextAbort(5000);
        assert.equal(mock.aborted, 1);
      }),
  );
});
