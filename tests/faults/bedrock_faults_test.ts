import { EventStreamCodec } from "@smithy/eventstream-codec";
import { createBedrockBackend } from "../../src/backends/bedrock/bedrock_backend.ts";
import type { BedrockApi } from "../../src/translate/bedrock/bedrock_models.ts";
import { startFaultProxy } from "../support/fault_tcp.ts";
import {
  anthropicEvents,
  BEDROCK_EXCEPTION_STATUS,
  bedrockError,
  type BedrockJsonReply,
  type BedrockStreamReply,
  converseOutput,
  converseStream,
  invokeMessage,
  invokeStream,
  type MockBedrockReply,
  startMockBedrock,
} from "../support/mock_bedrock.ts";
import { type Expect, FAULT_LIMITS, type FaultCase, runFaults, serveRelay } from "./_harness.ts";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const CREDENTIALS = { accessKeyId: "AKIDRELAYXFAULTS", secretAccessKey: "relayx-fault-secret" };
const HTML = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
const HEADERS: Expect = { http: 504, error: "timeout_error", message: /no response headers within 0\.4 s/ };
const IDLE: Expect = { http: 504, error: "timeout_error", message: /sent nothing for 0\.45 s/ };

const utf8 = new TextEncoder();
const codec = new EventStreamCodec((b) => new TextDecoder().decode(b), (s) => utf8.encode(s));

/** One well-formed `contentBlockDelta` frame, as raw bytes. */
function frame(): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: "contentBlockDelta" },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: utf8.encode(JSON.stringify({ contentBlockIndex: 0, delta: { text: " more" } })),
  });
}

function corrupted(): Uint8Array {
  const bytes = frame();
  const at = bytes.length - 8; // inside the payload: the message CRC no longer matches
  bytes[at] = bytes[at]! ^ 0xff;
  return bytes;
}

function answer(path: string, text = "Hello there friend"): BedrockJsonReply {
  return path === "invoke" ? invokeMessage(text) : converseOutput(text);
}

function streamed(path: string, text = "Hello there friend"): BedrockStreamReply {
  return path === "invoke" ? invokeStream(anthropicEvents(text)) : converseStream(text);
}

/** The first `n` events of a stream, then `extra`. */
function cut(path: string, n: number, extra: Record<string, unknown>[] = []): BedrockStreamReply {
  const reply = streamed(path);
  return { ...reply, events: [...reply.events.slice(0, n), ...extra] };
}

// Exception -> what the client gets over HTTP. Bedrock's statuses come from the SDK's schema.
const EXCEPTIONS: Record<string, Expect> = {
  ValidationException: { http: 400, error: "invalid_request_error", shouldRetry: "false" },
  // A quota (tokens per day, say) is a rate limit to back off from.
  ServiceQuotaExceededException: { http: 429, error: "rate_limit_error", shouldRetry: "true" },
  ConflictException: { http: 400, error: "invalid_request_error", shouldRetry: "false" },
  SerializationException: { http: 400, error: "invalid_request_error", shouldRetry: "false" },
  AccessDeniedException: { http: 403, error: "permission_error", shouldRetry: "false" },
  UnrecognizedClientException: { http: 401, error: "authentication_error", shouldRetry: "false" },
  ExpiredTokenException: { http: 401, error: "authentication_error", shouldRetry: "false" },
  MissingAuthenticationTokenException: { http: 403, error: "permission_error", shouldRetry: "false" },
  InvalidSignatureException: { http: 401, error: "authentication_error", shouldRetry: "false" },
  ResourceNotFoundException: { http: 404, error: "not_found_error", shouldRetry: "false" },
  ModelTimeoutException: { http: 504, error: "timeout_error", shouldRetry: "true" },
  ModelErrorException: { http: 500, error: "api_error", shouldRetry: "true" },
  ModelStreamErrorException: { http: 500, error: "api_error", shouldRetry: "true" },
  ThrottlingException: { http: 429, error: "rate_limit_error", retryAfter: "7", shouldRetry: "true" },
  ModelNotReadyException: { http: 529, error: "overloaded_error", shouldRetry: "true" },
  InternalServerException: { http: 500, error: "api_error", shouldRetry: "true" },
  ServiceUnavailableException: { http: 529, error: "overloaded_error", shouldRetry: "true" },
};

// Bedrock never sends these inside a stream (they fail a request before it starts); as a frame, with no
// status to go by, they are an upstream failure.
const IN_STREAM: Record<string, string> = {
  SerializationException: "api_error",
  MissingAuthenticationTokenException: "api_error",
};

const CASES: FaultCase<MockBedrockReply>[] = [
  {
    name: "stalls before its headers",
    reply: () => ({ kind: "stall" }),
    json: HEADERS,
    stream: HEADERS,
    cancels: true,
  },
  {
    name: "stalls after its headers, before any byte of the body",
    reply: (path) => ({ ...answer(path), bodyHangAfter: 0 }),
    json: IDLE,
    cancels: true,
  },
  {
    name: "stalls inside its JSON body",
    reply: (path) => ({ ...answer(path), bodyHangAfter: 20 }),
    json: IDLE,
    cancels: true,
  },
  {
    name: "stalls after its headers, before the first event",
    reply: (path) => ({ ...streamed(path), hangAfter: 0 }),
    stream: IDLE,
    cancels: true,
  },
  {
    name: "stalls mid-stream",
    reply: (path) => ({ ...streamed(path), hangAfter: 3 }),
    stream: { event: "timeout_error", message: /sent nothing for 0\.45 s/ },
    cancels: true,
  },
  {
    name: "sends its answer slower than the idle timeout in total, but never silent that long",
    reply: (path) => ({ ...streamed(path, "one two three four five six"), delayMs: 100 }),
    stream: { text: "one two three four five six" },
  },
  {
    name: "drops the connection mid-stream",
    reply: (path) => ({ ...streamed(path), failAfter: 3 }),
    stream: { event: "api_error" },
  },
  {
    name: "splits every byte, inside frames and multi-byte characters",
    reply: (path) => ({ ...streamed(path, "héllo wörld ✓ 日本"), split: "every-byte" }),
    stream: { text: "héllo wörld ✓ 日本" },
  },
  {
    name: "ends the stream before messageStop / message_stop",
    reply: (path) => cut(path, 3),
    stream: { event: "api_error" },
  },
  {
    name: "ends the stream inside a frame",
    reply: (path) => ({ ...cut(path, 3), tail: frame().slice(0, 20), delayMs: 20 }),
    stream: { event: "api_error" },
  },
  {
    name: "sends a frame whose checksum is wrong",
    reply: (path) => ({ ...cut(path, 3), tail: corrupted(), delayMs: 20 }),
    stream: { event: "api_error" },
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
      body: '{"output":{"message":{"role":"assis',
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
  ...Object.entries(EXCEPTIONS).map(([name, want]): FaultCase<MockBedrockReply> => ({
    name: `answers ${name} (HTTP ${BEDROCK_EXCEPTION_STATUS[name]})`,
    reply: () =>
      bedrockError(name, "Fault injected by the test", {
        headers: name === "ThrottlingException" ? { "retry-after": "7" } : undefined,
      }),
    json: want,
    stream: want,
  })),
  ...Object.entries(EXCEPTIONS).map(([name, want]): FaultCase<MockBedrockReply> => ({
    name: `sends a ${name} frame mid-stream`,
    reply: (path) =>
      cut(path, 3, [{ [name[0]!.toLowerCase() + name.slice(1)]: { message: "Fault injected by the test" } }]),
    stream: { event: IN_STREAM[name] ?? ("http" in want ? want.error : "") },
  })),
];

for (const api of ["converse", "invoke"] as const satisfies readonly BedrockApi[]) {
  Deno.test(`Bedrock ${api} upstream faults: what the client gets, and relayx keeps serving`, async (t) => {
    await using mock = await startMockBedrock({ accessKeyId: CREDENTIALS.accessKeyId });
    // Relayed so that a cancelled call shows where it matters: relayx closes the upstream connection.
    await using proxy = await startFaultProxy(mock.port, []);
    const backend = await createBedrockBackend(
      { kind: "bedrock", profileExplicit: false, region: "us-east-1", api },
      {
        endpoint: proxy.origin,
        credentials: CREDENTIALS,
        env: {},
        listProfiles: false,
        limits: FAULT_LIMITS,
      },
    );
    await using relay = serveRelay(backend);
    await runFaults(t, {
      path: api,
      relay,
      model: MODEL,
      enqueue: (reply) => mock.enqueue(reply),
      aborted: () => proxy.abandoned,
    }, CASES);
  });
}
