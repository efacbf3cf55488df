/**
 * A non-streaming Bedrock call: InvokeModel with Anthropic's own body for the invoke API, Converse
 * otherwise, translated back into an Anthropic message.
 *
 * @module
 */
import { ConverseCommand, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import type { MessageResponse, MessagesRequest } from "../../anthropic/types.ts";
import { fromConverseResponse } from "../../translate/bedrock/from_converse.ts";
import { fromInvokeResponse } from "../../translate/bedrock/invoke_stream.ts";
import type { CallContext } from "../backend.ts";
import { type BedrockCall, converseInput, fromOptions, invokeBody, pickApi } from "./_call.ts";
import { mapError } from "./map_error.ts";

const decoder = new TextDecoder();

/**
 * Sends one request and returns the complete message. Throws the mapped `RelayError` on failure.
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
 * import { createRedactor } from "../../redact.ts";
 *
 * const message = await completeMessage(
 *   {
 *     config: { kind: "bedrock", profileExplicit: false, region: "us-east-1", api: "converse" },
 *     client: new BedrockRuntimeClient({ region: "us-east-1" }),
 *     plan: { bearer: false, summary: "default AWS credential chain" },
 *     redact: createRedactor([]),
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
  if (api === "invoke") {
    const body = invokeBody(request, ctx, call.config);
    let json: unknown;
    try {
      const res = await call.client.send(
        new InvokeModelCommand({
          modelId: ctx.model,
          body,
          contentType: "application/json",
          accept: "application/json",
        }),
        { abortSignal: ctx.signal },
      );
      json = JSON.parse(decoder.decode(res.body));
    } catch (err) {
      throw mapError(err, request, ctx.model, call.plan.profile, call.redact);
    }
    return fromInvokeResponse(json, from);
  }
  const input = converseInput(request, ctx, call.config);
  try {
    const out = await call.client.send(new ConverseCommand(input), { abortSignal: ctx.signal });
    return fromConverseResponse(out, from);
  } catch (err) {
    throw mapError(err, request, ctx.model, call.plan.profile, call.redact);
  }
}
