/**
 * A scriptable mock of Amazon Bedrock (runtime data plane and the `ListInferenceProfiles` control
 * plane call), for tests that drive relayx or `@aws-sdk/client-bedrock-runtime` against it.
 *
 * One port serves HTTP/2 cleartext with prior knowledge (what the SDK's default `NodeHttp2Handler`
 * speaks under Deno, even to `http://` endpoints) and HTTP/1.1 (`fetch`, `@aws-sdk/client-bedrock`):
 * a `node:net` listener sniffs the HTTP/2 preface and hands the connection to `node:http2` or
 * `node:http` (not `Deno.serve`: see the note on the server class).
 *
 * Routes (model id URL-encoded in the path): `POST /model/{modelId}/converse`, `/converse-stream`,
 * `/invoke`, `/invoke-with-response-stream`, `/count-tokens`; `GET /inference-profiles`,
 * `GET /inference-profiles/{id}`. Requests are checked the way Bedrock checks them and rejected with
 * its error shape (status, `x-amzn-ErrorType`, `{"message"}`); valid ones get the first queued
 * reply meant for their operation, or an "ok" answer shaped for the route.
 *
 * @example
 * ```ts
 * await using mock = await startMockBedrock();
 * mock.enqueue(converseStream("Hello", { usage: bedrockUsage(10, 2) }));
 * const client = new BedrockRuntimeClient({ endpoint: mock.url, region: "us-east-1", credentials });
 * ```
 *
 * @module
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { cutWrites, sleep, type SplitMode } from "./_writes.ts";
import { EventStreamCodec } from "@smithy/eventstream-codec";

/** A Bedrock operation the mock serves. */
export type BedrockOperation =
  | "converse"
  | "converse-stream"
  | "invoke"
  | "invoke-with-response-stream"
  | "count-tokens"
  | "list-inference-profiles"
  | "get-inference-profile";

/** The exceptions Bedrock Runtime returns, with their HTTP status (from the SDK's schema). */
export const BEDROCK_EXCEPTION_STATUS: Readonly<Record<string, number>> = {
  ValidationException: 400,
  ServiceQuotaExceededException: 400,
  ConflictException: 400,
  SerializationException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 403,
  ExpiredTokenException: 403,
  MissingAuthenticationTokenException: 403,
  InvalidSignatureException: 403,
  ResourceNotFoundException: 404,
  ModelTimeoutException: 408,
  ModelErrorException: 424,
  ModelStreamErrorException: 424,
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
};

/** Exceptions raised by the AWS front door rather than by Bedrock (another `x-amzn-ErrorType` namespace). */
const _GATEWAY_EXCEPTIONS = new Set([
  "UnrecognizedClientException",
  "ExpiredTokenException",
  "MissingAuthenticationTokenException",
  "InvalidSignatureException",
]);

const _DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  ValidationException: "Input is too long for requested model.",
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  UnrecognizedClientException: "The security token included in the request is invalid.",
  ExpiredTokenException: "The security token included in the request is expired",
  MissingAuthenticationTokenException: "Missing Authentication Token",
  ResourceNotFoundException: "Could not resolve the foundation model from the provided model identifier.",
  ModelTimeoutException: "Model has timed out in processing the request. Try your request again.",
  ThrottlingException: "Too many requests, please wait before trying again.",
  ServiceUnavailableException: "Bedrock is unable to process your request.",
  InternalServerException: "The server encountered an internal error while processing the request.",
  ModelNotReadyException: "Model is not ready to serve inference requests.",
};

/** A JSON reply: Converse output, an InvokeModel body, `{inputTokens}`, a profile list ... */
export interface BedrockJsonReply {
  kind: "json";
  body: unknown;
  /** Default 200. */
  status?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Delay before answering, in ms (a client disconnect during it counts as an abort). */
  delayMs?: number;
  /** Send the headers and this many bytes of the body, then nothing until the client disconnects. */
  bodyHangAfter?: number;
  /** Only a request for this operation consumes the reply (any operation if absent). */
  operation?: BedrockOperation;
}

/**
 * One event of an event-stream reply, as the SDK yields it: a one-key object such as
 * `{messageStart: {role}}`, `{contentBlockDelta: {...}}`, `{metadata: {...}}` or, for
 * InvokeModelWithResponseStream, `{chunk: {bytes: "<base64>"}}`. A key ending in `Exception`
 * (`throttlingException`, `modelStreamErrorException` ...) is sent as an exception frame
 * (`:message-type: exception`), after which the stream ends, like Bedrock. A `Uint8Array` payload is
 * sent as the frame's body as is (a malformed, non-JSON frame).
 */
export type BedrockStreamEvent = Record<string, unknown>;

/** How frame bytes are cut into writes (see the OpenAI mock): one per event by default. */
export type BedrockSplitMode = SplitMode;

/** An event-stream reply (`application/vnd.amazon.eventstream`). */
export interface BedrockStreamReply {
  kind: "stream";
  events: BedrockStreamEvent[];
  /** Delay before each event, in ms. */
  delayMs?: number;
  /** Close the connection abruptly after this many events. */
  failAfter?: number;
  /** Send `hangAfter` events (default 1) and then nothing until the client disconnects. */
  hang?: boolean;
  /** How many events to send before hanging (implies `hang`). */
  hangAfter?: number;
  /** Add Bedrock's random-length `"p"` padding field to event payloads (default true). */
  padding?: boolean;
  /** How bytes are cut into writes (default `"event"`). */
  split?: BedrockSplitMode;
  /** Write size for `split: "bytes"` (default 5). */
  splitSize?: number;
  /** Raw bytes written after the events (half a frame, a frame with a bad checksum, garbage). */
  tail?: Uint8Array;
  /** Only a request for this operation consumes the reply. */
  operation?: BedrockOperation;
}

/** No answer at all, not even headers, until the client disconnects (counted as an abort). */
export interface BedrockStallReply {
  kind: "stall";
  /** Only a request for this operation consumes the reply. */
  operation?: BedrockOperation;
}

/** An HTTP error in Bedrock's shape. */
export interface BedrockErrorReply {
  kind: "error";
  /** E.g. `ThrottlingException`. */
  exception: string;
  /** Default: a message like Bedrock's for that exception. */
  message?: string;
  /** Default from {@linkcode BEDROCK_EXCEPTION_STATUS} (else 400). */
  status?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Delay before answering, in ms. */
  delayMs?: number;
  /** Only a request for this operation consumes the reply. */
  operation?: BedrockOperation;
}

/** A raw reply. */
export interface BedrockTextReply {
  kind: "text";
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** Only a request for this operation consumes the reply. */
  operation?: BedrockOperation;
}

/** Everything {@linkcode MockBedrock.enqueue} accepts. */
export type MockBedrockReply =
  | BedrockJsonReply
  | BedrockStreamReply
  | BedrockErrorReply
  | BedrockTextReply
  | BedrockStallReply;

/** How a request authenticated. */
export type BedrockAuth =
  | {
    kind: "sigv4";
    accessKeyId: string;
    date: string;
    region: string;
    service: string;
    signedHeaders: string[];
  }
  | { kind: "bearer"; token: string }
  | { kind: "none" }
  | { kind: "other"; value: string };

/** One request as the mock received it. */
export interface RecordedBedrockRequest {
  method: string;
  /** Path as sent (model id still URL-encoded). */
  path: string;
  /** Query parameters. */
  query: Record<string, string>;
  /** The operation, or null for an unknown route. */
  operation: BedrockOperation | null;
  /** The decoded model id (data plane) or profile id (GetInferenceProfile), else null. */
  modelId: string | null;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON body, the raw text if not JSON, or null if empty. */
  body: unknown;
  auth: BedrockAuth;
  /** The HTTP version the request came in with. */
  protocol: "h2" | "http/1.1";
}

/** Token usage as Bedrock reports it. */
export interface BedrockUsage {
  /** Uncached input tokens. */
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** An `inferenceProfileSummaries` entry as the control plane returns it. */
export interface InferenceProfileSummary {
  inferenceProfileName: string;
  inferenceProfileArn: string;
  inferenceProfileId: string;
  description?: string;
  createdAt?: string;
  updatedAt?: string;
  models: { modelArn: string }[];
  status: "ACTIVE";
  type: "SYSTEM_DEFINED" | "APPLICATION";
}

/** Options for {@linkcode startMockBedrock}. */
export interface MockBedrockOptions {
  /** Profiles listed by `GET /inference-profiles` (default {@linkcode DEFAULT_INFERENCE_PROFILES}). */
  profiles?: InferenceProfileSummary[];
  /** If set, a SigV4 request with another access key id fails with UnrecognizedClientException. */
  accessKeyId?: string;
  /** If set, a Bearer request with another token fails with UnrecognizedClientException. */
  bearerToken?: string;
  /** Port (default 0: any free one). */
  port?: number;
}

/** A running mock; see {@linkcode startMockBedrock}. */
export interface MockBedrock extends AsyncDisposable {
  /** Endpoint for both SDK clients: `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The port (HTTP/2 cleartext and HTTP/1.1 alike). */
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedBedrockRequest[];
  /** Profiles listed by `GET /inference-profiles`. */
  profiles: InferenceProfileSummary[];
  /** Expected SigV4 access key id (any if undefined). */
  accessKeyId?: string;
  /** Expected Bearer token (any if undefined). */
  bearerToken?: string;
  /** How many responses were cut short by the client disconnecting. */
  readonly aborted: number;
  /** Queues replies; each is consumed by the first later request its `operation` (if any) fits. */
  enqueue(...replies: MockBedrockReply[]): void;
  /** Replies still queued. */
  pending(): number;
  /** Like the OpenAI mock: resolves on one more client abort than earlier calls consumed. */
  nextAbort(timeoutMs?: number): Promise<void>;
  /** Ends open streams and stops the server. */
  close(): Promise<void>;
}

const _encoder = new TextEncoder();
const _decoder = new TextDecoder();
const _codec = new EventStreamCodec((bytes) => _decoder.decode(bytes), (text) => _encoder.encode(text));
const _GEO_PREFIX = /^(us|us-gov|eu|apac|jp|au|ca|global)\./;
const _NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;

/**
 * Bedrock `usage` (`totalTokens` = input + output).
 *
 * @example
 * ```ts
 * bedrockUsage(12, 5, { cacheRead: 1000, cacheWrite: 20 });
 * ```
 */
export function bedrockUsage(
  inputTokens: number,
  outputTokens: number,
  opts: { cacheRead?: number; cacheWrite?: number } = {},
): BedrockUsage {
  return {
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens + (opts.cacheRead ?? 0) + (opts.cacheWrite ?? 0),
    ...(opts.cacheRead !== undefined ? { cacheReadInputTokens: opts.cacheRead } : {}),
    ...(opts.cacheWrite !== undefined ? { cacheWriteInputTokens: opts.cacheWrite } : {}),
  };
}

/** Options for {@linkcode converseOutput}. */
export interface ConverseOutputOptions {
  /** Content blocks to return instead of one text block. */
  content?: unknown[];
  /** Default `end_turn` (`tool_use` if content has a toolUse block). */
  stopReason?: string;
  usage?: BedrockUsage;
  latencyMs?: number;
  /** Extra top-level fields (`additionalModelResponseFields`, ...). */
  extra?: Record<string, unknown>;
}

/**
 * A Converse (non-stream) reply.
 *
 * @example
 * ```ts
 * mock.enqueue(converseOutput("hi", { usage: bedrockUsage(10, 1, { cacheRead: 90 }) }));
 * ```
 */
export function converseOutput(text: string, opts: ConverseOutputOptions = {}): BedrockJsonReply {
  const content = opts.content ?? [{ text }];
  const hasTool = content.some((b) => _isRecord(b) && "toolUse" in b);
  return {
    kind: "json",
    operation: "converse",
    body: {
      output: { message: { role: "assistant", content } },
      stopReason: opts.stopReason ?? (hasTool ? "tool_use" : "end_turn"),
      usage: opts.usage ?? bedrockUsage(10, 1),
      metrics: { latencyMs: opts.latencyMs ?? 123 },
      ...opts.extra,
    },
  };
}

/** A tool call for {@linkcode converseStream}. */
export interface BedrockToolUse {
  toolUseId: string;
  name: string;
  input: unknown;
}

/** Options for {@linkcode converseStream}. */
export interface ConverseStreamOptions {
  /** Number of text fragments or the fragments themselves (default one per word). */
  pieces?: number | string[];
  /** Default `end_turn`, or `tool_use` with tool uses. */
  stopReason?: string;
  usage?: BedrockUsage;
  latencyMs?: number;
  /** Reasoning text streamed as block 0 before the text. */
  reasoning?: string;
  /** Signature sent after the reasoning text (default "sig-mock"). */
  signature?: string;
  /** Tool uses streamed after the text. */
  toolUses?: BedrockToolUse[];
  /** Fragments per tool input (default 3). */
  inputPieces?: number;
}

/**
 * A ConverseStream reply in Bedrock's real order: `messageStart`, deltas (text and reasoning
 * blocks have no `contentBlockStart`; tool uses do), `contentBlockStop`s, `messageStop`, then
 * `metadata` with usage.
 *
 * @example
 * ```ts
 * mock.enqueue(converseStream("Let me check.", { toolUses: [{ toolUseId: "t1", name: "Read", input: {} }] }));
 * ```
 */
export function converseStream(text: string, opts: ConverseStreamOptions = {}): BedrockStreamReply {
  const events: BedrockStreamEvent[] = [{ messageStart: { role: "assistant" } }];
  let index = 0;
  if (opts.reasoning !== undefined) {
    for (const piece of _pieces(opts.reasoning, undefined)) {
      events.push({
        contentBlockDelta: { contentBlockIndex: index, delta: { reasoningContent: { text: piece } } },
      });
    }
    events.push({
      contentBlockDelta: {
        contentBlockIndex: index,
        delta: { reasoningContent: { signature: opts.signature ?? "sig-mock" } },
      },
    });
    events.push({ contentBlockStop: { contentBlockIndex: index++ } });
  }
  if (text !== "") {
    for (const piece of _pieces(text, opts.pieces)) {
      events.push({ contentBlockDelta: { contentBlockIndex: index, delta: { text: piece } } });
    }
    events.push({ contentBlockStop: { contentBlockIndex: index++ } });
  }
  for (const tool of opts.toolUses ?? []) {
    events.push({
      contentBlockStart: {
        contentBlockIndex: index,
        start: { toolUse: { toolUseId: tool.toolUseId, name: tool.name } },
      },
    });
    for (const piece of _splitN(JSON.stringify(tool.input), opts.inputPieces ?? 3)) {
      events.push({ contentBlockDelta: { contentBlockIndex: index, delta: { toolUse: { input: piece } } } });
    }
    events.push({ contentBlockStop: { contentBlockIndex: index++ } });
  }
  const stopReason = opts.stopReason ?? (opts.toolUses?.length ? "tool_use" : "end_turn");
  events.push({ messageStop: { stopReason } });
  events.push({
    metadata: { usage: opts.usage ?? bedrockUsage(10, 1), metrics: { latencyMs: opts.latencyMs ?? 123 } },
  });
  return { kind: "stream", events, operation: "converse-stream" };
}

/** Anthropic usage numbers for the InvokeModel helpers. */
export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

/** Options for {@linkcode anthropicEvents} and {@linkcode invokeMessage}. */
export interface AnthropicReplyOptions {
  /** Model in the message (default: the model id without region prefix, or "claude-mock"). */
  model?: string;
  /** Message id (default `msg_bdrk_mock`). */
  id?: string;
  usage?: AnthropicUsage;
  /** Default `end_turn`. */
  stopReason?: string;
  /** Number of text fragments or the fragments themselves (stream only). */
  pieces?: number | string[];
}

/**
 * The native Anthropic stream events of a text answer (payloads for InvokeModelWithResponseStream).
 *
 * @example
 * ```ts
 * mock.enqueue(invokeStream(anthropicEvents("hello", { usage: { input_tokens: 9, output_tokens: 2 } })));
 * ```
 */
export function anthropicEvents(text: string, opts: AnthropicReplyOptions = {}): Record<string, unknown>[] {
  const usage = opts.usage ?? { input_tokens: 10, output_tokens: 1 };
  const events: Record<string, unknown>[] = [
    {
      type: "message_start",
      message: {
        id: opts.id ?? "msg_bdrk_mock",
        type: "message",
        role: "assistant",
        model: opts.model ?? "claude-mock",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  ];
  for (const piece of _pieces(text, opts.pieces)) {
    events.push({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: piece } });
  }
  events.push({ type: "content_block_stop", index: 0 });
  events.push({
    type: "message_delta",
    delta: { stop_reason: opts.stopReason ?? "end_turn", stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  events.push({ type: "message_stop" });
  return events;
}

/**
 * An InvokeModelWithResponseStream reply: each Anthropic event becomes a `chunk` whose `bytes` are
 * the base64 of its JSON; the final `message_stop` gets `amazon-bedrock-invocationMetrics`, like
 * Bedrock adds.
 *
 * @example
 * ```ts
 * mock.enqueue(invokeStream(anthropicEvents("hi")));
 * ```
 */
export function invokeStream(
  events: Record<string, unknown>[],
  opts: { invocationLatency?: number; firstByteLatency?: number } = {},
): BedrockStreamReply {
  let input = 0;
  let output = 0;
  for (const e of events) {
    const u = e.type === "message_start" && _isRecord(e.message) ? e.message.usage : e.usage;
    if (_isRecord(u)) {
      if (typeof u.input_tokens === "number") input = u.input_tokens;
      if (typeof u.output_tokens === "number") output = u.output_tokens;
    }
  }
  const chunks = events.map((e) => {
    const payload = e.type === "message_stop" && !("amazon-bedrock-invocationMetrics" in e)
      ? {
        ...e,
        "amazon-bedrock-invocationMetrics": {
          inputTokenCount: input,
          outputTokenCount: output,
          invocationLatency: opts.invocationLatency ?? 321,
          firstByteLatency: opts.firstByteLatency ?? 123,
        },
      }
      : e;
    return chunkEvent(payload);
  });
  return { kind: "stream", events: chunks, operation: "invoke-with-response-stream" };
}

/** One InvokeModelWithResponseStream event: `{chunk: {bytes: base64(JSON)}}`. */
export function chunkEvent(payload: unknown): BedrockStreamEvent {
  return { chunk: { bytes: _base64(_encoder.encode(JSON.stringify(payload))) } };
}

/**
 * An InvokeModel reply: the native Anthropic message, with Bedrock's token-count headers.
 *
 * @example
 * ```ts
 * mock.enqueue(invokeMessage("hi", { usage: { input_tokens: 5, output_tokens: 1 } }));
 * ```
 */
export function invokeMessage(text: string, opts: AnthropicReplyOptions = {}): BedrockJsonReply {
  const usage = opts.usage ?? { input_tokens: 10, output_tokens: 1 };
  return {
    kind: "json",
    operation: "invoke",
    headers: {
      "x-amzn-bedrock-input-token-count": String(usage.input_tokens),
      "x-amzn-bedrock-output-token-count": String(usage.output_tokens),
      "x-amzn-bedrock-invocation-latency": "321",
    },
    body: {
      id: opts.id ?? "msg_bdrk_mock",
      type: "message",
      role: "assistant",
      model: opts.model ?? "claude-mock",
      content: [{ type: "text", text }],
      stop_reason: opts.stopReason ?? "end_turn",
      stop_sequence: null,
      usage,
    },
  };
}

/** A CountTokens reply `{"inputTokens": n}`. */
export function countTokensReply(inputTokens: number): BedrockJsonReply {
  return { kind: "json", operation: "count-tokens", body: { inputTokens } };
}

/**
 * An HTTP error as Bedrock sends it.
 *
 * @example
 * ```ts
 * mock.enqueue(bedrockError("ThrottlingException"));
 * mock.enqueue(bedrockError("ValidationException", "Input is too long for requested model."));
 * ```
 */
export function bedrockError(
  exception: string,
  message?: string,
  opts: { status?: number; headers?: Record<string, string>; operation?: BedrockOperation } = {},
): BedrockErrorReply {
  return { kind: "error", exception, message, ...opts };
}

/**
 * A system-defined (cross-region) inference profile summary.
 *
 * @example
 * ```ts
 * inferenceProfile("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
 * ```
 */
export function inferenceProfile(
  id: string,
  opts: {
    region?: string;
    account?: string;
    regions?: string[];
    name?: string;
    type?: "SYSTEM_DEFINED" | "APPLICATION";
  } = {},
): InferenceProfileSummary {
  const region = opts.region ?? "us-east-1";
  const geo = id.match(_GEO_PREFIX)?.[1] ?? "";
  const base = geo ? id.slice(geo.length + 1) : id;
  const regions = opts.regions ??
    (geo === "eu" ? ["eu-central-1", "eu-west-1", "eu-west-3"] : ["us-east-1", "us-east-2", "us-west-2"]);
  return {
    inferenceProfileName: opts.name ?? `${geo.toUpperCase()} ${base}`.trim(),
    description: `Routes requests to ${base} in ${regions.join(", ")}.`,
    createdAt: "2025-09-29T00:00:00Z",
    updatedAt: "2025-09-29T00:00:00Z",
    inferenceProfileArn: `arn:aws:bedrock:${region}:${
      opts.account ?? "123456789012"
    }:inference-profile/${id}`,
    models: regions.map((r) => ({ modelArn: `arn:aws:bedrock:${r}::foundation-model/${base}` })),
    inferenceProfileId: id,
    status: "ACTIVE",
    type: opts.type ?? "SYSTEM_DEFINED",
  };
}

/** What `GET /inference-profiles` lists unless configured otherwise. */
export const DEFAULT_INFERENCE_PROFILES: readonly InferenceProfileSummary[] = [
  inferenceProfile("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
  inferenceProfile("us.anthropic.claude-haiku-4-5-20251001-v1:0"),
  inferenceProfile("us.anthropic.claude-opus-4-1-20250805-v1:0"),
  inferenceProfile("global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
  inferenceProfile("us.amazon.nova-pro-v1:0"),
];

/**
 * Starts the mock on 127.0.0.1.
 *
 * @example
 * ```ts
 * const mock = await startMockBedrock();
 * try { ... } finally { await mock.close(); }
 * ```
 */
export async function startMockBedrock(options: MockBedrockOptions = {}): Promise<MockBedrock> {
  const mock = new _MockBedrockServer(options);
  await mock.listen(options.port ?? 0);
  return mock;
}

interface _Rejection {
  exception: string;
  message: string;
}

/** What to answer: a complete body, or an event stream. */
type _Plan =
  | { status: number; headers: Record<string, string>; body: string; delayMs?: number; hangAfter?: number }
  | { status: number; headers: Record<string, string>; stream: BedrockStreamReply }
  | { stall: true };

type _Req = http.IncomingMessage | http2.Http2ServerRequest;
type _Res = http.ServerResponse | http2.Http2ServerResponse;

const _ROUTE =
  /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream|count-tokens)$/;
const _H2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/**
 * Why not `Deno.serve`: it does accept h2c, but when the SDK closes its per-request HTTP/2 session
 * right after the response headers (it does so for every event stream), `Deno.serve` stops sending
 * the rest of the body and ends the stream cleanly, so any event written after a delay is lost.
 * `node:http2` keeps serving open streams after the client's GOAWAY, like AWS does. A `node:net`
 * listener sniffs the HTTP/2 preface and hands each connection to `node:http2` or `node:http`.
 */
class _MockBedrockServer implements MockBedrock {
  url = "";
  port = 0;
  readonly requests: RecordedBedrockRequest[] = [];
  profiles: InferenceProfileSummary[];
  accessKeyId?: string;
  bearerToken?: string;
  #queue: MockBedrockReply[] = [];
  #aborted = 0;
  #abortsConsumed = 0;
  #abortWaiters: (() => void)[] = [];
  #closing = false;
  #closed?: Promise<void>;
  #sockets = new Set<net.Socket>();
  #tcp: net.Server;
  #h1: http.Server;
  #h2: http2.Http2Server;

  constructor(options: MockBedrockOptions) {
    this.profiles = options.profiles ?? [...DEFAULT_INFERENCE_PROFILES];
    this.accessKeyId = options.accessKeyId;
    this.bearerToken = options.bearerToken;
    const onRequest = (req: _Req, res: _Res): void => void this.#serve(req, res);
    this.#h1 = http.createServer(onRequest);
    this.#h2 = http2.createServer(onRequest);
    this.#h2.on("sessionError", () => {});
    this.#tcp = net.createServer((socket) => {
      this.#sockets.add(socket);
      socket.on("error", () => {});
      socket.once("close", () => this.#sockets.delete(socket));
      socket.once("data", (first: Uint8Array) => {
        socket.pause();
        socket.unshift(first);
        const n = Math.min(first.length, _H2_PREFACE.length);
        const isH2 = _decoder.decode(first.subarray(0, n)) === _H2_PREFACE.slice(0, n);
        (isH2 ? this.#h2 : this.#h1).emit("connection", socket);
        socket.resume();
      });
    });
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#tcp.once("error", reject);
      this.#tcp.listen(port, "127.0.0.1", () => {
        this.port = (this.#tcp.address() as net.AddressInfo).port;
        this.url = `http://127.0.0.1:${this.port}`;
        resolve();
      });
    });
  }

  get aborted(): number {
    return this.#aborted;
  }

  enqueue(...replies: MockBedrockReply[]): void {
    this.#queue.push(...replies);
  }

  pending(): number {
    return this.#queue.length;
  }

  nextAbort(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#abortWaiters = this.#abortWaiters.filter((w) => w !== check);
        reject(new Error(`No client abort within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (): void => {
        if (this.#aborted <= this.#abortsConsumed) return;
        this.#abortsConsumed++;
        clearTimeout(timer);
        this.#abortWaiters = this.#abortWaiters.filter((w) => w !== check);
        resolve();
      };
      this.#abortWaiters.push(check);
      check();
    });
  }

  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    this.#h1.close();
    this.#h2.close();
    await closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #recordAbort(): void {
    if (this.#closing) return;
    this.#aborted++;
    for (const w of [...this.#abortWaiters]) w();
  }

  async #serve(req: _Req, res: _Res): Promise<void> {
    req.on("error", () => {});
    res.on("error", () => {});
    // Aborted when the response closes before it was finished: the client went away (or we cut it).
    const gone = new AbortController();
    let cutOnPurpose = false;
    let ended = false;
    // Not res.writableFinished: Deno's Http2ServerResponse reports true there after a client reset.
    res.once("close", () => {
      if (ended) return;
      gone.abort();
      if (!cutOnPurpose) this.#recordAbort();
    });
    const chunks: Uint8Array[] = [];
    for await (const chunk of req as AsyncIterable<Uint8Array>) chunks.push(chunk);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (!k.startsWith(":") && v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    }
    const plan = this.#plan(
      req.method ?? "GET",
      new URL(req.url ?? "/", "http://127.0.0.1"),
      headers,
      _decoder.decode(_concat(chunks)),
      req.httpVersion === "2.0" ? "h2" : "http/1.1",
    );
    try {
      if ("stall" in plan) {
        await sleep(Infinity, gone.signal);
        return;
      }
      if ("body" in plan) {
        if (plan.delayMs) await sleep(plan.delayMs, gone.signal);
        res.writeHead(plan.status, plan.headers);
        if (plan.hangAfter !== undefined) {
          if ("flushHeaders" in res) res.flushHeaders();
          (res as { write(chunk: Uint8Array): boolean }).write(
            _encoder.encode(plan.body).slice(0, plan.hangAfter),
          );
          await sleep(Infinity, gone.signal);
        }
        ended = true;
        res.end(plan.body);
        return;
      }
      res.writeHead(plan.status, plan.headers);
      if ("flushHeaders" in res) res.flushHeaders();
      const reply = plan.stream;
      const writes = cutWrites(_frames(reply), {
        split: reply.split ?? "event",
        splitSize: reply.splitSize ?? 5,
        delayMs: reply.delayMs,
        failAfter: reply.failAfter,
        hangAt: reply.hangAfter ?? (reply.hang ? 1 : undefined),
      }, gone.signal);
      try {
        for await (const bytes of writes) {
          const sink: { write(chunk: Uint8Array): boolean } = res;
          if (!sink.write(bytes)) await _drained(res, gone.signal);
        }
      } catch (e) {
        if (gone.signal.aborted) return;
        // failAfter: cut the connection (HTTP/1.1) or reset the stream (HTTP/2) without finishing.
        // A moment first, so the client reads what was sent: a reset discards its unread buffer.
        await sleep(25, gone.signal);
        cutOnPurpose = true;
        if ("stream" in res) res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        else res.destroy(e instanceof Error ? e : undefined);
        return;
      }
      ended = true;
      res.end();
    } catch {
      // the client went away during a delay or a hang: already counted
    }
  }

  #plan(
    method: string,
    url: URL,
    headers: Record<string, string>,
    raw: string,
    protocol: "h2" | "http/1.1",
  ): _Plan {
    let body: unknown = null;
    let parsed = true;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        parsed = false;
      }
    }
    const route = url.pathname.match(_ROUTE);
    const profileRoute = url.pathname.match(/^\/inference-profiles(?:\/([^/]+))?$/);
    let operation: BedrockOperation | null = null;
    let modelId: string | null = null;
    if (method === "POST" && route) {
      operation = route[2] as BedrockOperation;
      modelId = decodeURIComponent(route[1]!);
    } else if (method === "GET" && profileRoute) {
      operation = profileRoute[1] ? "get-inference-profile" : "list-inference-profiles";
      modelId = profileRoute[1] ? decodeURIComponent(profileRoute[1]) : null;
    }
    const auth = _parseAuth(headers["authorization"] ?? null);
    this.requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      operation,
      modelId,
      headers,
      body,
      auth,
      protocol,
    });

    const denied = this.#checkAuth(auth);
    if (denied) return _errorPlan(denied.exception, denied.message);
    if (!operation) {
      return _errorPlan("UnknownOperationException", `Unknown route: ${method} ${url.pathname}`, 404);
    }
    if (method === "POST" && (!parsed || !_isRecord(body))) {
      return _errorPlan("SerializationException", "Unable to parse the request body as JSON.");
    }
    const request = _isRecord(body) ? body : {};
    const invalid = _validate(operation, modelId ?? "", request);
    if (invalid) return _errorPlan(invalid.exception, invalid.message);

    const at = this.#queue.findIndex((r) => r.operation === undefined || r.operation === operation);
    const reply = at >= 0
      ? this.#queue.splice(at, 1)[0]!
      : this.#defaultReply(operation, modelId ?? "", request, url);
    switch (reply.kind) {
      case "json":
        return {
          status: reply.status ?? 200,
          headers: {
            "content-type": "application/json",
            "x-amzn-requestid": crypto.randomUUID(),
            ...reply.headers,
          },
          body: JSON.stringify(reply.body),
          delayMs: reply.delayMs,
          hangAfter: reply.bodyHangAfter,
        };
      case "error":
        return {
          ..._errorPlan(
            reply.exception,
            reply.message ?? _DEFAULT_MESSAGES[reply.exception] ?? reply.exception,
            reply.status,
            reply.headers,
          ),
          delayMs: reply.delayMs,
        };
      case "text":
        return {
          status: reply.status,
          headers: { "content-type": "text/plain", ...reply.headers },
          body: reply.body,
        };
      case "stall":
        return { stall: true };
      case "stream":
        return {
          status: 200,
          headers: {
            "content-type": "application/vnd.amazon.eventstream",
            "x-amzn-requestid": crypto.randomUUID(),
            ...(operation === "invoke-with-response-stream"
              ? { "x-amzn-bedrock-content-type": "application/json" }
              : {}),
          },
          stream: reply,
        };
      default: {
        const never: never = reply;
        throw new Error(`Unknown reply kind: ${JSON.stringify(never)}`);
      }
    }
  }

  #checkAuth(auth: BedrockAuth): _Rejection | null {
    switch (auth.kind) {
      case "none":
        return { exception: "MissingAuthenticationTokenException", message: "Missing Authentication Token" };
      case "other":
        return {
          exception: "IncompleteSignatureException",
          message: `Authorization header requires 'Credential' parameter. Authorization=${
            auth.value.slice(0, 20)
          }`,
        };
      case "sigv4":
        if (this.accessKeyId !== undefined && auth.accessKeyId !== this.accessKeyId) {
          return {
            exception: "UnrecognizedClientException",
            message: _DEFAULT_MESSAGES.UnrecognizedClientException!,
          };
        }
        return null;
      case "bearer":
        if (this.bearerToken !== undefined && auth.token !== this.bearerToken) {
          return {
            exception: "UnrecognizedClientException",
            message: _DEFAULT_MESSAGES.UnrecognizedClientException!,
          };
        }
        return null;
      default: {
        const never: never = auth;
        throw new Error(`Unknown auth: ${JSON.stringify(never)}`);
      }
    }
  }

  #defaultReply(
    operation: BedrockOperation,
    modelId: string,
    request: Record<string, unknown>,
    url: URL,
  ): MockBedrockReply {
    const model = modelId.replace(_GEO_PREFIX, "");
    const inputTokens = _estimateTokens(request.messages);
    switch (operation) {
      case "converse":
        return converseOutput("ok", { usage: bedrockUsage(inputTokens, 1) });
      case "converse-stream":
        return converseStream("ok", { usage: bedrockUsage(inputTokens, 1) });
      case "invoke":
        return invokeMessage("ok", { model, usage: { input_tokens: inputTokens, output_tokens: 1 } });
      case "invoke-with-response-stream":
        return invokeStream(
          anthropicEvents("ok", { model, usage: { input_tokens: inputTokens, output_tokens: 1 } }),
        );
      case "count-tokens":
        return countTokensReply(_estimateTokens(request.input));
      case "list-inference-profiles": {
        const type = url.searchParams.get("type");
        const all = this.profiles.filter((p) => !type || p.type === type);
        const start = Number(url.searchParams.get("nextToken") ?? "0") || 0;
        const max = Number(url.searchParams.get("maxResults") ?? "1000") || 1000;
        const page = all.slice(start, start + max);
        const next = start + max < all.length ? String(start + max) : undefined;
        return {
          kind: "json",
          body: { inferenceProfileSummaries: page, ...(next ? { nextToken: next } : {}) },
        };
      }
      case "get-inference-profile": {
        const found = this.profiles.find((p) =>
          p.inferenceProfileId === modelId || p.inferenceProfileArn === modelId
        );
        return found
          ? { kind: "json", body: found }
          : bedrockError("ResourceNotFoundException", `Inference profile ${modelId} not found.`);
      }
      default: {
        const never: never = operation;
        throw new Error(`Unknown operation: ${String(never)}`);
      }
    }
  }
}

function _drained(res: _Res, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      signal.removeEventListener("abort", fail);
      resolve();
    };
    const fail = (): void => {
      res.off("drain", done);
      reject(signal.reason);
    };
    if (signal.aborted) return reject(signal.reason);
    res.once("drain", done);
    signal.addEventListener("abort", fail, { once: true });
  });
}

function _concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Encodes events as event-stream frames, stopping after the first exception like Bedrock. */
function _frames(reply: BedrockStreamReply): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const [i, event] of reply.events.entries()) {
    const [type, payload] = Object.entries(event)[0] ?? ["", {}];
    const isException = type.endsWith("Exception");
    const body = !isException && (reply.padding ?? true) && _isRecord(payload)
      ? {
        ...payload,
        p: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123".slice(0, 1 + ((i * 7) % 40)),
      }
      : payload;
    out.push(_codec.encode({
      headers: isException
        ? {
          ":exception-type": { type: "string", value: type },
          ":content-type": { type: "string", value: "application/json" },
          ":message-type": { type: "string", value: "exception" },
        }
        : {
          ":event-type": { type: "string", value: type },
          ":content-type": { type: "string", value: "application/json" },
          ":message-type": { type: "string", value: "event" },
        },
      // A Uint8Array payload is sent as is (a malformed frame); anything else as JSON.
      body: payload instanceof Uint8Array ? payload : _encoder.encode(JSON.stringify(body)),
    }));
    if (isException) break;
  }
  if (reply.tail) out.push(reply.tail);
  return out;
}

function _errorPlan(
  exception: string,
  message: string,
  status?: number,
  headers?: Record<string, string>,
): _Plan & { body: string } {
  const ns = _GATEWAY_EXCEPTIONS.has(exception) ? "com.amazon.coral.service" : "com.amazon.bedrock";
  return {
    status: status ?? BEDROCK_EXCEPTION_STATUS[exception] ?? 400,
    headers: {
      "content-type": "application/json",
      "x-amzn-requestid": crypto.randomUUID(),
      "x-amzn-errortype": `${exception}:http://internal.amazon.com/coral/${ns}/`,
      ...headers,
    },
    body: JSON.stringify({ message }),
  };
}

function _parseAuth(header: string | null): BedrockAuth {
  if (!header) return { kind: "none" };
  const bearer = header.match(/^Bearer\s+(.+)$/i);
  if (bearer) return { kind: "bearer", token: bearer[1]! };
  const sig = header.match(
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=[0-9a-f]{64}$/,
  );
  if (sig) {
    return {
      kind: "sigv4",
      accessKeyId: sig[1]!,
      date: sig[2]!,
      region: sig[3]!,
      service: sig[4]!,
      signedHeaders: sig[5]!.split(";"),
    };
  }
  return { kind: "other", value: header };
}

function _validate(
  operation: BedrockOperation,
  modelId: string,
  body: Record<string, unknown>,
): _Rejection | null {
  switch (operation) {
    case "converse":
    case "converse-stream":
      return _validateConverse(body);
    case "count-tokens": {
      if (_GEO_PREFIX.test(modelId) || modelId.startsWith("arn:")) {
        return {
          exception: "ValidationException",
          message: "The provided model doesn't support counting tokens.",
        };
      }
      const input = body.input;
      if (_isRecord(input) && _isRecord(input.converse)) return _validateConverse(input.converse);
      if (_isRecord(input) && _isRecord(input.invokeModel)) return null;
      return _coral("input", "Member must not be null");
    }
    case "invoke":
    case "invoke-with-response-stream":
      return _validateInvoke(body);
    default:
      return null;
  }
}

/** AWS's generic constraint-violation message. */
function _coral(at: string, constraint: string, value?: string): _Rejection {
  return {
    exception: "ValidationException",
    message: `1 validation error detected: Value ${value === undefined ? "null" : `'${value}'`} at '${at}' ` +
      `failed to satisfy constraint: ${constraint}`,
  };
}

function _checkName(value: unknown, at: string): _Rejection | null {
  const s = typeof value === "string" ? value : "";
  if (s.length > 64) return _coral(at, "Member must have length less than or equal to 64", s);
  if (!_NAME_PATTERN.test(s)) {
    return _coral(at, "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+", s);
  }
  return null;
}

function _validateConverse(body: Record<string, unknown>): _Rejection | null {
  const bad = (message: string): _Rejection => ({ exception: "ValidationException", message });
  const messages = body.messages;
  if (!Array.isArray(messages)) return _coral("messages", "Member must not be null");
  const toolConfig = body.toolConfig;
  const tools = _isRecord(toolConfig) && Array.isArray(toolConfig.tools) ? toolConfig.tools : [];
  let cachePoints = tools.filter((t) => _isRecord(t) && "cachePoint" in t).length;
  for (const [i, tool] of tools.entries()) {
    if (_isRecord(tool) && _isRecord(tool.toolSpec)) {
      const found = _checkName(tool.toolSpec.name, `toolConfig.tools.${i + 1}.member.toolSpec.name`);
      if (found) return found;
    }
  }
  if (Array.isArray(body.system)) {
    cachePoints += body.system.filter((b) => _isRecord(b) && "cachePoint" in b).length;
  }
  for (const [i, m] of messages.entries()) {
    if (!_isRecord(m) || !Array.isArray(m.content)) continue;
    for (const [j, block] of m.content.entries()) {
      if (!_isRecord(block)) continue;
      for (const kind of ["toolUse", "toolResult"] as const) {
        const b = block[kind];
        if (_isRecord(b)) {
          const found = _checkName(
            b.toolUseId,
            `messages.${i + 1}.member.content.${j + 1}.member.${kind}.toolUseId`,
          );
          if (found) return found;
        }
      }
    }
  }
  let usesTools = false;
  let previousToolUseIds = new Set<string>();
  for (const [i, m] of messages.entries()) {
    if (!_isRecord(m)) return _coral(`messages.${i + 1}.member`, "Member must not be null");
    if (i === 0 && m.role !== "user") {
      return bad(
        "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
      );
    }
    if (i > 0 && _isRecord(messages[i - 1]) && (messages[i - 1] as Record<string, unknown>).role === m.role) {
      return bad(
        "A conversation must alternate between user and assistant roles. Make sure the conversation alternates " +
          "between user and assistant roles and try again.",
      );
    }
    const content = Array.isArray(m.content) ? m.content : [];
    if (content.length === 0) {
      return bad(
        `The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`,
      );
    }
    let hasText = false;
    let hasDocument = false;
    const toolUseIds = new Set<string>();
    for (const [j, block] of content.entries()) {
      if (!_isRecord(block)) continue;
      if (typeof block.text === "string") {
        if (block.text.trim() === "") {
          return bad(
            `The text field in the ContentBlock object at messages.${i}.content.${j} is blank. Add text to the text field, and try again.`,
          );
        }
        hasText = true;
      }
      if ("document" in block) hasDocument = true;
      if ("cachePoint" in block) cachePoints++;
      if (_isRecord(block.toolUse)) {
        usesTools = true;
        toolUseIds.add(String(block.toolUse.toolUseId));
      }
      if (_isRecord(block.toolResult)) {
        usesTools = true;
        const id = String(block.toolResult.toolUseId);
        if (!previousToolUseIds.has(id)) {
          return bad(
            `The model returned the following errors: messages.${i}.content.${j}: unexpected \`tool_use_id\` found ` +
              `in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` ` +
              "block in the previous message.",
          );
        }
      }
    }
    if (hasDocument && !hasText) return bad("A text block must be included when using documents.");
    const answered = new Set(
      content.flatMap((b) => _isRecord(b) && _isRecord(b.toolResult) ? [String(b.toolResult.toolUseId)] : []),
    );
    const missing = [...previousToolUseIds].filter((id) => !answered.has(id));
    if (missing.length) {
      return bad(
        `Expected toolResult blocks at messages.${i}.content for the following Ids: ${missing.join(", ")}`,
      );
    }
    previousToolUseIds = toolUseIds;
  }
  if (usesTools && !_isRecord(toolConfig)) {
    return bad("The toolConfig field must be defined when using toolUse and toolResult content blocks.");
  }
  if (cachePoints > 4) {
    return bad(
      `The model returned the following errors: A maximum of 4 blocks with cache_control may be provided. Found ${cachePoints}.`,
    );
  }
  return null;
}

function _validateInvoke(body: Record<string, unknown>): _Rejection | null {
  const malformed = (detail: string): _Rejection => ({
    exception: "ValidationException",
    message: `Malformed input request: #: ${detail}, please reformat your input and try again.`,
  });
  for (const key of ["anthropic_version", "max_tokens", "messages"]) {
    if (!(key in body)) return malformed(`required key [${key}] not found`);
  }
  for (const key of ["model", "stream"]) {
    if (key in body) return malformed(`extraneous key [${key}] is not permitted`);
  }
  return _validateAnthropic(body);
}

/** The block types Claude on Bedrock takes in a request (no beta or server-tool blocks). */
const _INVOKE_BLOCK_TYPES = [
  "text",
  "image",
  "document",
  "search_result",
  "tool_use",
  "tool_result",
  "thinking",
  "redacted_thinking",
];

/** What Anthropic's Messages API itself refuses in a native body (its messages, passed on by Bedrock). */
function _validateAnthropic(body: Record<string, unknown>): _Rejection | null {
  const bad = (message: string): _Rejection => ({ exception: "ValidationException", message });
  if (typeof body.max_tokens === "number" && body.max_tokens < 1) {
    return bad("max_tokens: Input should be greater than or equal to 1");
  }
  const messages = Array.isArray(body.messages) ? body.messages : [];
  let pending: { at: number; ids: Set<string> } | null = null;
  for (const [i, m] of messages.entries()) {
    const content = _isRecord(m) && Array.isArray(m.content) ? m.content : [];
    if (_isRecord(m) && Array.isArray(m.content) && content.length === 0) {
      return bad(
        `messages.${i}: all messages must have non-empty content except for the optional final assistant message`,
      );
    }
    const uses = new Set<string>();
    for (const [j, block] of content.entries()) {
      const type = _isRecord(block) ? String(block.type) : "";
      if (!_INVOKE_BLOCK_TYPES.includes(type)) {
        return bad(
          `messages.${i}.content.${j}: Input tag '${type}' found using 'type' does not match any of the expected tags: ${
            _INVOKE_BLOCK_TYPES.map((t) => `'${t}'`).join(", ")
          }`,
        );
      }
      if (type === "text" && String((block as Record<string, unknown>).text).trim() === "") {
        return bad("messages: text content blocks must contain non-whitespace text");
      }
      if (type === "tool_use") uses.add(String((block as Record<string, unknown>).id));
      if (type === "tool_result") {
        const id = String((block as Record<string, unknown>).tool_use_id);
        if (!pending?.ids.delete(id)) {
          return bad(
            `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each ` +
              "`tool_result` block must have a corresponding `tool_use` block in the previous message.",
          );
        }
      }
    }
    if (pending && pending.ids.size > 0) return _unansweredToolUse(pending.at, pending.ids);
    pending = uses.size ? { at: i, ids: uses } : null;
  }
  return pending && pending.ids.size > 0 ? _unansweredToolUse(pending.at, pending.ids) : null;
}

function _unansweredToolUse(at: number, ids: Set<string>): _Rejection {
  return {
    exception: "ValidationException",
    message: `messages.${at}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${
      [...ids].join(", ")
    }. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
  };
}

function _base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function _estimateTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? "").length / 4));
}

function _pieces(text: string, pieces: number | string[] | undefined): string[] {
  if (Array.isArray(pieces)) return pieces;
  if (typeof pieces === "number") return _splitN(text, pieces);
  return text.match(/\s*\S+\s*|\s+/g) ?? [text];
}

function _splitN(text: string, n: number): string[] {
  const chars = [...text];
  const count = Math.max(1, Math.min(n, chars.length));
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    out.push(
      chars.slice(Math.floor((k * chars.length) / count), Math.floor(((k + 1) * chars.length) / count)).join(
        "",
      ),
    );
  }
  return out;
}

function _isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
