/**
 * A non-streaming Bedrock call: InvokeModel with Anthropic's own body for the invoke API, Converse
 * otherwise, watched by relayx's upstream timeouts, translated back into an Anthropic message. relayx
 * sends it signed itself (`signed_fetch.ts`) and parses a successful answer; any other answer is handed
 * to the SDK's deserializer, and with bearer auth the SDK sends the call.
 *
 * @module
 */
import { ConverseCommand, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import type { MessageResponse, MessagesRequest } from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import { fromConverseResponse } from "../../translate/bedrock/from_converse.ts";
import { fromInvokeResponse } from "../../translate/bedrock/invoke_stream.ts";
import type { CallContext } from "../backend.ts";
import { UpstreamWatch } from "../upstream_watch.ts";
import {
  type BedrockCall,
  converseBody,
  converseInput,
  fromOptions,
  invokeBody,
  pickApi,
  windowOf,
} from "./_call.ts";
import { JSON_HEADERS, sendSigned } from "./_signed_call.ts";
import { mapError } from "./map_error.ts";
import { answerWith, watchBody } from "./raw_body.ts";

const INVOKE_HEADERS = { "content-type": "application/json", accept: "application/json" };

const decoder = new TextDecoder();

// The parser's message quotes the body; the client gets what the body is instead.
function parseAnswer(bytes: Uint8Array, type: string | undefined): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    throw new RelayError(
      "api_error",
      `Bedrock answered HTTP 200 with a body that is not JSON (content-type "${
        (type ?? "none").slice(0, 80)
      }")`,
    );
  }
}

// Runs one call under a watch, mapping its failure (a timeout first: it caused the abort).
async function watched<T>(
  call: BedrockCall,
  request: MessagesRequest,
  ctx: CallContext,
  run: (watch: UpstreamWatch) => Promise<T>,
): Promise<T> {
  const watch = new UpstreamWatch(ctx.signal, call.limits, "Bedrock");
  try {
    const out = await run(watch);
    watch.end(false);
    return out;
  } catch (err) {
    watch.end(true);
    throw watch.error ?? mapError(err, request, windowOf(call, ctx.model), call.plan.profile, call.redact);
  }
}

/**
 * Sends one request and returns the complete message. Throws the mapped `RelayError` on failure.
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
 * import { createRedactor } from "../../redact.ts";
 * import { DEFAULT_LIMITS } from "../../limits.ts";
 *
 * const message = await completeMessage(
 *   {
 *     config: { kind: "bedrock", profileExplicit: false, region: "us-east-1", api: "converse" },
 *     client: new BedrockRuntimeClient({ region: "us-east-1" }),
 *     plan: { bearer: false, summary: "default AWS credential chain" },
 *     redact: createRedactor([]),
 *     limits: DEFAULT_LIMITS,
 *     spec: () => ({}),
 *   },
 *   {
 *     model: "claude-sonnet-4-5",
 *     max_tokens: 256,
 *     messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
 *   },
 *   {
 *     model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
 *     signal: AbortSignal.timeout(60_000),
 *     requestId: "req_1",
 *     warn: console.warn,
 *     ids: { messageId: () => "msg_1", toolUseId: () => `toolu_${crypto.randomUUID()}` },
 *   },
 * );
 * console.log(message.content);
 * ```
 */
export async function completeMessage(
  call: BedrockCall,
  request: MessagesRequest,
  ctx: CallContext,
): Promise<MessageResponse> {
  const api = pickApi(call.config, ctx.model);
  const from = fromOptions(request, ctx);
  // Translation errors (400s) are thrown before any upstream call.
  if (api === "invoke") {
    const body = invokeBody(request, ctx, call);
    const json = await watched(call, request, ctx, async (watch) => {
      const sent = await sendSigned(call, "invoke", body, INVOKE_HEADERS, ctx.model, watch);
      if (sent?.kind === "json") {
        return parseAnswer(sent.bytes, sent.response.headers.get("content-type") ?? undefined);
      }
      const command = new InvokeModelCommand({
        modelId: ctx.model,
        body,
        contentType: "application/json",
        accept: "application/json",
      });
      watchBody(command, watch);
      if (sent?.kind === "answer") answerWith(command, sent.response);
      const res = await call.client.send(command, { abortSignal: watch.signal });
      return parseAnswer(res.body, res.contentType);
    });
    return fromInvokeResponse(json, from);
  }
  const input = converseInput(request, ctx, call);
  const out = await watched(call, request, ctx, async (watch) => {
    const sent = await sendSigned(call, "converse", converseBody(input), JSON_HEADERS, ctx.model, watch);
    if (sent?.kind === "json") {
      try {
        return JSON.parse(decoder.decode(sent.bytes));
      } catch {
        // Not JSON after all: the SDK reads it below and fails the call with its own error.
      }
    }
    const command = new ConverseCommand(input);
    watchBody(command, watch);
    if (sent?.kind === "json") answerWith(command, sent.response, sent.bytes);
    else if (sent?.kind === "answer") answerWith(command, sent.response);
    return call.client.send(command, { abortSignal: watch.signal });
  });
  return fromConverseResponse(out, from);
}
