/**
 * The Bedrock backend's two streaming calls, InvokeModelWithResponseStream (Anthropic's own body, for
 * Claude) and ConverseStream: relayx sends them signed itself (`signed_fetch.ts`), and decodes a successful
 * event-stream body in batches with `translate/bedrock/bedrock_eventstream.ts`. Any other answer goes to
 * the SDK's deserializer (`raw_body.ts` `answerWith`: typed exceptions); with bearer auth the SDK builds,
 * signs and sends the call, and its body is taken raw just the same. The SDK's own iterator is only the
 * fallback for when the raw body was not taken.
 *
 * @module
 */
import {
  type ConverseCommandInput,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import type { MessagesRequest, StreamEvent } from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import { rec } from "../../translate/_json.ts";
import { type BedrockErrorOptions, streamExceptionToError } from "../../translate/bedrock/bedrock_errors.ts";
import { converseEventBatches, invokeEventBatches } from "../../translate/bedrock/bedrock_eventstream.ts";
import { converseStreamTranslator } from "../../translate/bedrock/converse_stream.ts";
import { invokeStreamTranslator } from "../../translate/bedrock/invoke_stream.ts";
import { translateBatches } from "../../translate/stream_translator.ts";
import type { CallContext } from "../backend.ts";
import type { StreamCall } from "../upstream_stream.ts";
import type { UpstreamWatch } from "../upstream_watch.ts";
import {
  type BedrockCall,
  converseBody,
  converseInput,
  invokeBody,
  pickApi,
  streamOptions,
  windowOf,
} from "./_call.ts";
import { JSON_HEADERS, sendSigned } from "./_signed_call.ts";
import { mapError } from "./map_error.ts";
import { answerWith, takeRawBody } from "./raw_body.ts";

// InvokeModelWithResponseStream takes its `accept` in this header.
const INVOKE_STREAM_HEADERS = {
  "content-type": "application/json",
  "x-amzn-bedrock-accept": "application/json",
};

const decoder = new TextDecoder();

/** Events of the SDK's own stream iterator (the fallback when the raw body was not taken), one per batch. */
async function* singles<T>(items: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const item of items) yield [item];
}

/** InvokeModelWithResponseStream events -> the parsed Anthropic event in each chunk. */
async function* invokeChunks(
  events: AsyncIterable<unknown>,
  errors: BedrockErrorOptions,
): AsyncGenerator<unknown> {
  for await (const event of events) {
    const e = rec(event);
    if (!e) continue;
    const bytes = rec(e.chunk)?.bytes;
    if (bytes instanceof Uint8Array) {
      yield JSON.parse(decoder.decode(bytes));
      continue;
    }
    for (const [key, value] of Object.entries(e)) {
      if (key.endsWith("Exception") && value !== undefined) throw streamExceptionToError(key, value, errors);
    }
  }
}

async function openInvokeStream(
  call: BedrockCall,
  body: Uint8Array,
  request: MessagesRequest,
  ctx: CallContext,
  watch: UpstreamWatch,
): Promise<AsyncIterable<StreamEvent[]>> {
  const sent = await sendSigned(
    call,
    "invoke-with-response-stream",
    body,
    INVOKE_STREAM_HEADERS,
    ctx.model,
    watch,
  );
  const options = streamOptions(call, request, ctx);
  const errors = { estimate: options.inputEstimate, window: options.contextWindow ?? 0 };
  if (sent?.kind === "stream") {
    return translateBatches(
      invokeEventBatches(sent.body, errors, watch.touch),
      invokeStreamTranslator(options),
    );
  }
  const command = new InvokeModelWithResponseStreamCommand({
    modelId: ctx.model,
    body,
    contentType: "application/json",
    accept: "application/json",
  });
  const raw = takeRawBody(command, watch);
  if (sent) answerWith(command, sent.response);
  const res = await call.client.send(command, { abortSignal: watch.signal });
  const stream = raw();
  const chunks = stream
    ? invokeEventBatches(stream, errors, watch.touch)
    : res.body
    ? singles(invokeChunks(res.body, errors))
    : undefined;
  if (!chunks) throw new RelayError("api_error", "Bedrock returned no stream");
  return translateBatches(chunks, invokeStreamTranslator(options));
}

async function openConverseStream(
  call: BedrockCall,
  input: ConverseCommandInput,
  request: MessagesRequest,
  ctx: CallContext,
  watch: UpstreamWatch,
): Promise<AsyncIterable<StreamEvent[]>> {
  const sent = await sendSigned(call, "converse-stream", converseBody(input), JSON_HEADERS, ctx.model, watch);
  if (sent?.kind === "stream") {
    return translateBatches(
      converseEventBatches(sent.body, watch.touch),
      converseStreamTranslator(streamOptions(call, request, ctx)),
    );
  }
  const command = new ConverseStreamCommand(input);
  const raw = takeRawBody(command, watch);
  if (sent) answerWith(command, sent.response);
  const res = await call.client.send(command, { abortSignal: watch.signal });
  const body = raw();
  const stream = body
    ? converseEventBatches(body, watch.touch)
    : res.stream
    ? singles(res.stream)
    : undefined;
  if (!stream) throw new RelayError("api_error", "Bedrock returned no stream");
  return translateBatches(stream, converseStreamTranslator(streamOptions(call, request, ctx)));
}

/**
 * The streaming call of a Bedrock backend, for `upstreamStream()`: the InvokeModel body (bytes) for the
 * invoke API, the Converse request otherwise.
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
 * import { createRedactor } from "../../redact.ts";
 * import type { MessagesRequest } from "../../anthropic/types.ts";
 * import { DEFAULT_LIMITS } from "../../limits.ts";
 * import { upstreamStream } from "../upstream_stream.ts";
 *
 * const stream = bedrockStream({
 *   config: { kind: "bedrock", profileExplicit: false, region: "us-east-1", api: "auto" },
 *   client: new BedrockRuntimeClient({ region: "us-east-1" }),
 *   plan: { bearer: false, summary: "default AWS credential chain" },
 *   redact: createRedactor([]),
 *   limits: DEFAULT_LIMITS,
 *   spec: () => ({}),
 * });
 * const request: MessagesRequest = {
 *   model: "claude-sonnet-4-5",
 *   max_tokens: 256,
 *   messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
 * };
 * const ctx = {
 *   model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
 *   signal: AbortSignal.timeout(60_000),
 *   requestId: "req_1",
 *   warn: console.warn,
 *   ids: { messageId: () => "msg_1", toolUseId: () => `toolu_${crypto.randomUUID()}` },
 * };
 * for await (const batch of upstreamStream(stream, request, ctx)) console.log(batch);
 * ```
 */
export function bedrockStream(call: BedrockCall): StreamCall<Uint8Array | ConverseCommandInput> {
  return {
    limits: call.limits,
    label: "Bedrock",
    prepare(request, ctx) {
      const api = pickApi(call.config, ctx.model);
      // Translation errors (400s) are thrown before any upstream call.
      return api === "invoke" ? invokeBody(request, ctx, call) : converseInput(request, ctx, call);
    },
    open(input, request, ctx, watch) {
      return input instanceof Uint8Array
        ? openInvokeStream(call, input, request, ctx, watch)
        : openConverseStream(call, input, request, ctx, watch);
    },
    mapError(err, request, ctx) {
      return mapError(err, request, windowOf(call, ctx.model), call.plan.profile, call.redact);
    },
  };
}
