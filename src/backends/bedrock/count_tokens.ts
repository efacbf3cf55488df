/**
 * Input-token counts from Bedrock's CountTokens for Anthropic's models; wherever CountTokens cannot
 * answer (other models, ARNs, a refusal or failure), none, and relayx's tokenizer counts.
 *
 * @module
 */
import { CountTokensCommand, type CountTokensInput } from "@aws-sdk/client-bedrock-runtime";
import type { CountTokensRequest, MessagesRequest } from "../../anthropic/types.ts";
import {
  type BedrockApi,
  bedrockModelInfo,
  foundationModelId,
} from "../../translate/bedrock/bedrock_models.ts";
import type { CallContext } from "../backend.ts";
import { UpstreamWatch } from "../upstream_watch.ts";
import { type BedrockCall, converseInput, invokeBody, pickApi, windowOf } from "./_call.ts";
import { mapError, shortError } from "./map_error.ts";
import { watchBody } from "./raw_body.ts";

function countInput(
  request: CountTokensRequest,
  ctx: CallContext,
  call: BedrockCall,
  api: BedrockApi,
): CountTokensInput {
  // CountTokens needs a complete request; max_tokens does not change the count.
  const full: MessagesRequest = { ...request, max_tokens: bedrockModelInfo(ctx.model).maxOutputTokens };
  if (api === "invoke") return { invokeModel: { body: invokeBody(full, ctx, call) } };
  const c = converseInput(full, ctx, call);
  return {
    converse: {
      messages: c.messages,
      system: c.system,
      toolConfig: c.toolConfig,
      additionalModelRequestFields: c.additionalModelRequestFields,
    },
  };
}

/**
 * The `countTokens` of a Bedrock backend: `undefined` where CountTokens cannot answer. Models whose
 * CountTokens said "not supported" are remembered and asked again only after a restart.
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
 * import { createRedactor } from "../../redact.ts";
 * import { DEFAULT_LIMITS } from "../../limits.ts";
 *
 * const countTokens = tokenCounter({
 *   config: { kind: "bedrock", profileExplicit: false, region: "us-east-1", api: "auto" },
 *   client: new BedrockRuntimeClient({ region: "us-east-1" }),
 *   plan: { bearer: false, summary: "default AWS credential chain" },
 *   redact: createRedactor([]),
 *   limits: DEFAULT_LIMITS,
 *   spec: () => ({}),
 * });
 * const tokens = await countTokens(
 *   { model: "claude-sonnet-4-5", messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }] },
 *   {
 *     model: "anthropic.claude-sonnet-4-5-20250929-v1:0",
 *     signal: AbortSignal.timeout(10_000),
 *     requestId: "req_1",
 *     warn: console.warn,
 *     ids: { messageId: () => "msg_1", toolUseId: () => "toolu_1" },
 *   },
 * );
 * ```
 */
export function tokenCounter(
  call: BedrockCall,
): (request: CountTokensRequest, ctx: CallContext) => Promise<number | undefined> {
  const noCount = new Set<string>();
  return async (request, ctx) => {
    const info = bedrockModelInfo(ctx.model);
    // CountTokens takes only bare foundation-model ids, and only Anthropic's models support it.
    const modelId = foundationModelId(ctx.model);
    if (info.family !== "claude" || modelId.startsWith("arn:") || noCount.has(modelId)) return undefined;
    let input: CountTokensInput;
    try {
      input = countInput(request, ctx, call, pickApi(call.config, ctx.model));
    } catch {
      // Whatever the translator rejects here, messages will reject with the proper 400.
      return undefined;
    }
    const command = new CountTokensCommand({ modelId, input });
    const watch = new UpstreamWatch(ctx.signal, call.limits, "Bedrock");
    watchBody(command, watch);
    try {
      const res = await call.client.send(command, { abortSignal: watch.signal });
      return res.inputTokens;
    } catch (err) {
      if (ctx.signal.aborted) {
        throw mapError(err, request, windowOf(call, ctx.model), call.plan.profile, call.redact);
      }
      // A timeout (watch.error) falls back to the estimate like any other failure.
      const name = watch.error ? `timeout: ${watch.error.message}` : call.redact.text(shortError(err));
      if (/^(ValidationException|AccessDeniedException|ResourceNotFoundException)/.test(name)) {
        noCount.add(modelId);
      }
      ctx.warn(`count_tokens: Bedrock CountTokens failed (${name.slice(0, 120)}); counted locally`);
      return undefined;
    } finally {
      watch.end(false);
    }
  };
}
