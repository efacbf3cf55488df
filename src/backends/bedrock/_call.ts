/**
 * What every call of one Bedrock backend shares (its configuration, SDK client and credential plan), and
 * the per-call translation options that complete, stream and count_tokens build alike.
 *
 * @module
 */
import type { BedrockRuntimeClient, ConverseCommandInput } from "@aws-sdk/client-bedrock-runtime";
import type { MessagesRequest } from "../../anthropic/types.ts";
import type { BedrockConfig } from "../../config.ts";
import type { ModelHints, ModelSpec } from "../../models/model_spec.ts";
import { DEFAULT_CONTEXT_WINDOW, outputCap } from "../../models/registry.ts";
import type { Redactor } from "../../redact.ts";
import { estimateInputTokens } from "../../tokens.ts";
import { type BedrockApi, bedrockModelInfo } from "../../translate/bedrock/bedrock_models.ts";
import type { BedrockStreamOptions } from "../../translate/bedrock/converse_stream.ts";
import type { FromBedrockOptions } from "../../translate/bedrock/from_converse.ts";
import { requestToolNames, toConverseRequest } from "../../translate/bedrock/to_converse.ts";
import { toInvokeBody } from "../../translate/bedrock/to_invoke.ts";
import { toolNameMap } from "../../translate/tool_names.ts";
import type { CallContext } from "../backend.ts";
import type { UpstreamLimits } from "../upstream_watch.ts";
import type { AuthPlan } from "./auth.ts";
import { jsonBody, jsonText, type SignedSend } from "./signed_fetch.ts";
import { arrayBytes, objectBytes, objectParts } from "../../translate/_json_bytes.ts";

/** What the calls of one Bedrock backend share. */
export interface BedrockCall {
  /** The backend's settings. */
  config: BedrockConfig;
  /** The runtime client: the SDK path of every call, and the endpoint, credentials and signer of the other. */
  client: BedrockRuntimeClient;
  /**
   * Sends calls signed by relayx with the client's endpoint, credentials and signer (`signed_fetch.ts`);
   * absent, or resolving to undefined (bearer auth), the SDK sends them.
   */
  send?: () => Promise<SignedSend | undefined>;
  /** The credentials chosen at start-up (its profile goes into login hints). */
  plan: AuthPlan;
  /** Hides secrets in the errors and warnings its calls report. */
  redact: Redactor;
  /** The upstream's timeouts. */
  limits: UpstreamLimits;
  /** What the model registry knows of a Bedrock model. */
  spec(model: string): ModelSpec;
}

const BEDROCK: ModelHints = { provider: "bedrock" };

/** The context window an overflow message states for a model: the registry's, else a default. */
export function windowOf(call: BedrockCall, model: string): number {
  return call.spec(model).contextWindow ?? DEFAULT_CONTEXT_WINDOW;
}

/** The `max_tokens` cap: the backend's own setting (MAX_OUTPUT_TOKENS, the file's), else the registry's. */
function capOf(call: BedrockCall, model: string): number {
  return call.config.maxOutputTokens ?? outputCap(call.spec(model), BEDROCK);
}

const encoder = new TextEncoder();

/** Invoke (Anthropic's own body) or Converse for a model: BEDROCK_API, where `auto` is invoke for Claude. */
export function pickApi(config: BedrockConfig, model: string): BedrockApi {
  if (config.api !== "auto") return config.api;
  return bedrockModelInfo(model).family === "claude" ? "invoke" : "converse";
}

/** Options for translating a Bedrock response back (takes the message id from `ctx.ids`). */
export function fromOptions(request: MessagesRequest, ctx: CallContext): FromBedrockOptions {
  return {
    model: request.model,
    messageId: ctx.ids.messageId(),
    ids: ctx.ids,
    names: toolNameMap(requestToolNames(request)),
    warn: ctx.warn,
  };
}

/** Options for translating a Bedrock stream: those of {@linkcode fromOptions}, the estimate and window. */
export function streamOptions(
  call: BedrockCall,
  request: MessagesRequest,
  ctx: CallContext,
): BedrockStreamOptions {
  return {
    ...fromOptions(request, ctx),
    inputEstimate: estimateInputTokens(request),
    contextWindow: windowOf(call, ctx.model),
  };
}

/** The InvokeModel body: Anthropic's request as Bedrock takes it, as bytes. */
export function invokeBody(request: MessagesRequest, ctx: CallContext, call: BedrockCall): Uint8Array {
  const body = toInvokeBody(request, {
    modelId: ctx.model,
    maxOutputTokens: capOf(call, ctx.model),
    warn: ctx.warn,
  });
  return encoder.encode(JSON.stringify(body));
}

/** The body of a Converse or ConverseStream call: the request without its `modelId` (it is in the path). */
export function converseBody(input: ConverseCommandInput): Uint8Array {
  const { modelId: _, ...body } = input;
  const config = body.toolConfig;
  if (!config?.tools?.length) return jsonBody(body);
  // The tools (most of a coding agent's request, the same objects on every turn) as remembered bytes.
  const tools = arrayBytes(config.tools, jsonText);
  return objectBytes(body, "toolConfig", objectParts({ ...config }, "tools", tools, jsonText), jsonText);
}

/** The Converse request for a model. */
export function converseInput(
  request: MessagesRequest,
  ctx: CallContext,
  call: BedrockCall,
): ConverseCommandInput {
  return toConverseRequest(request, {
    modelId: ctx.model,
    maxOutputTokens: capOf(call, ctx.model),
    warn: ctx.warn,
  });
}
