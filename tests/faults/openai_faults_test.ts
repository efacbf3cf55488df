import { createOpenAIBackend } from "../../src/backends/openai.ts";
import type { OpenAIConfig } from "../../src/config.ts";
import {
  completion,
  type MockOpenAIReply,
  openAIError,
  startMockOpenAI,
  type StreamReply,
  textStream,
} from "../support/mock_openai.ts";
import { startFaultProxy } from "../support/fault_tcp.ts";
import { type Expect, FAULT_LIMITS, type FaultCase, runFaults, serveRelay } from "./_harness.ts";

const HTML = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
const CUT_OFF: StreamReply = {
  kind: "stream",
  chunks: [{ choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, finish_reason: null }] }],
  done: false,
  usageChunk: "never",
};

// Status -> what the client gets (protocol.md 9.5), with the upstream sending `retry-after: 7` each time.
const STATUSES: [number, Expect][] = [
  [400, { http: 400, error: "invalid_request_error", retryAfter: null, shouldRetry: "false" }],
  [401, { http: 500, error: "api_error", retryAfter: null, shouldRetry: "false" }],
  [403, { http: 403, error: "permission_error", retryAfter: null, shouldRetry: "false" }],
  [404, { http: 404, error: "not_found_error", retryAfter: null, shouldRetry: "false" }],
  [408, { http: 504, error: "timeout_error", retryAfter: null, shouldRetry: null }],
  // A conflict is transient: the client's own retry rules decide (the SDKs retry 409).
  [409, { http: 409, error: "invalid_request_error", retryAfter: null, shouldRetry: null }],
  [413, { http: 413, error: "request_too_large", retryAfter: null, shouldRetry: "false" }],
  [422, { http: 400, error: "invalid_request_error", retryAfter: null, shouldRetry: "false" }],
  [429, { http: 429, error: "rate_limit_error", retryAfter: "7", shouldRetry: null }],
  [500, { http: 500, error: "api_error", retryAfter: null, shouldRetry: null }],
  [502, { http: 529, error: "overloaded_error", retryAfter: "7", shouldRetry: null }],
  [503, { http: 529, error: "overloaded_error", retryAfter: "7", shouldRetry: null }],
  [504, { http: 529, error: "overloaded_error", retryAfter: "7", shouldRetry: null }],
  [529, { http: 529, error: "overloaded_error", retryAfter: "7", shouldRetry: null }],
];

const HEADERS: Expect = { http: 504, error: "timeout_error", message: /no response headers within 0\.4 s/ };
const IDLE: Expect = { http: 504, error: "timeout_error", message: /sent nothing for 0\.45 s/ };

const CASES: FaultCase<MockOpenAIReply>[] = [
  {
    name: "stalls before its headers",
    reply: () => ({ kind: "stall" }),
    json: HEADERS,
    stream: HEADERS,
    cancels: true,
  },
  {
    name: "stalls after its headers, before any byte of the body",
    reply: () => ({ ...completion(), bodyHangAfter: 0 }),
    json: IDLE,
    cancels: true,
  },
  {
    name: "stalls inside its JSON body",
    reply: () => ({ ...completion(), bodyHangAfter: 20 }),
    json: IDLE,
    cancels: true,
  },
  {
    name: "stalls after its headers, before the first chunk",
    reply: () => ({ ...textStream("Hello there"), hangAfter: 0 }),
    stream: IDLE,
    cancels: true,
  },
  {
    name: "stalls mid-stream",
    reply: () => ({ ...textStream("Hello there"), hangAfter: 2 }),
    stream: { event: "timeout_error", message: /sent nothing for 0\.45 s/ },
    cancels: true,
  },
  {
    name: "sends its answer slower than the idle timeout in total, but never silent that long",
    reply: () => ({ ...textStream("one two three four five six", { pieces: 6 }), delayMs: 100 }),
    stream: { text: "one two three four five six" },
  },
  {
    name: "sends only SSE comments for longer than the idle timeout (OpenRouter while a model thinks)",
    reply: () => {
      const reply = textStream("Thought it through");
      const comments = Array<string>(6).fill(": OPENROUTER PROCESSING\n\n");
      return { ...reply, chunks: [reply.chunks[0]!, ...comments, ...reply.chunks.slice(1)], delayMs: 100 };
    },
    stream: { text: "Thought it through" },
  },
  {
    name: "drops the connection mid-stream",
    reply: () => ({ ...textStream("Hello there friend"), failAfter: 2 }),
    stream: { event: "api_error" },
  },
  {
    name: "sends a malformed chunk",
    reply: () => ({
      ...textStream("Hello"),
      chunks: [...textStream("Hello").chunks.slice(0, 2), "data: {oops\n\n"],
      // Apart, so that the good chunks arrive in a read of their own and the client sees them first.
      delayMs: 20,
    }),
    stream: { event: "api_error" },
  },
  {
    name: "splits every byte, inside multi-byte characters",
    reply: () => ({ ...textStream("héllo wörld ✓ 日本"), split: "every-byte" }),
    stream: { text: "héllo wörld ✓ 日本" },
  },
  {
    name: "ends the stream without [DONE] or a finish_reason",
    reply: () => CUT_OFF,
    stream: { event: "api_error" },
  },
  {
    name: "sends an error object mid-stream",
    reply: () => ({
      ...textStream("Hello there"),
      errorAfter: { after: 2, error: { message: "Slow down", code: 429 } },
    }),
    stream: { event: "rate_limit_error" },
  },
  {
    name: "answers with a gateway's HTML error page",
    reply: () => ({ kind: "text", status: 502, body: HTML, headers: { "content-type": "text/html" } }),
    json: { http: 529, error: "overloaded_error" },
    stream: { http: 529, error: "overloaded_error" },
  },
  {
    name: "answers 200 with its JSON cut short",
    reply: () => ({
      kind: "text",
      status: 200,
      body: '{"id":"chatcmpl-1","object":"chat.comp',
      headers: { "content-type": "application/json" },
    }),
    json: { http: 500, error: "api_error" },
  },
  {
    name: "answers 200 with an HTML page (a captive portal)",
    reply: () => ({ kind: "text", status: 200, body: HTML, headers: { "content-type": "text/html" } }),
    json: { http: 500, error: "api_error", message: /content-type "text\/html"|not JSON/ },
    stream: {
      http: 500,
      error: "api_error",
      message: /content-type "text\/html" instead of an event stream/,
    },
  },
  {
    name: "answers a stream request with an error object as JSON, status 200",
    reply: () => ({ kind: "json", status: 200, body: { error: { message: "Overloaded", code: 503 } } }),
    stream: { http: 529, error: "overloaded_error" },
  },
  ...STATUSES.map(([status, want]): FaultCase<MockOpenAIReply> => ({
    name: `answers HTTP ${status}`,
    reply: () => openAIError(status, "Fault injected by the test", { headers: { "retry-after": "7" } }),
    json: want,
    stream: want,
  })),
];

function config(baseUrl: string): OpenAIConfig {
  return {
    kind: "openai_compatible",
    apiKey: "sk-fault-test",
    baseUrl,
    model: "mock-model",
    smallModel: "mock-model",
    provider: "openai",
  };
}

Deno.test("OpenAI-compatible upstream faults: what the client gets, and relayx keeps serving", async (t) => {
  await using mock = await startMockOpenAI();
  // Relayed so that a cancelled call shows where it matters: relayx closes the upstream connection.
  await using proxy = await startFaultProxy(mock.port, []);
  const backend = createOpenAIBackend(config(`${proxy.origin}/v1`), { limits: FAULT_LIMITS });
  await using relay = serveRelay(backend);
  await runFaults(t, {
    path: "openai",
    relay,
    model: "claude-sonnet-4-5",
    enqueue: (reply) => mock.enqueue(reply),
    aborted: () => proxy.abandoned,
  }, CASES);
});
