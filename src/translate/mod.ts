/**
 * relayx's pure translators between the Anthropic Messages API and the backends' wire formats:
 * OpenAI chat completions (OpenAI, Gemini, Ollama, LM Studio, OpenRouter, DeepSeek, vLLM) and AWS Bedrock
 * (Converse for every model, the native Messages body for Claude). No I/O: requests in, requests out;
 * upstream responses or async iterables of upstream chunks in, Anthropic messages or stream events out.
 *
 * @example
 * ```ts
 * import { fromOpenAIStream, openAIChunks, PROVIDERS, toOpenAIRequest, toolNameMap } from "@relayx/server/translate";
 * import type { MessagesRequest } from "@relayx/server/translate";
 *
 * const request: MessagesRequest = {
 *   model: "claude-sonnet-4-5",
 *   max_tokens: 1024,
 *   messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
 * };
 * const body = toOpenAIRequest(request, {
 *   model: "gpt-4.1",
 *   provider: PROVIDERS.openai,
 *   maxOutputTokens: 32768,
 *   stream: true,
 *   warn: console.warn,
 * });
 * const res = await fetch("https://api.openai.com/v1/chat/completions", {
 *   method: "POST",
 *   headers: { "content-type": "application/json", authorization: `Bearer ${Deno.env.get("OPENAI_API_KEY")}` },
 *   body: JSON.stringify(body),
 * });
 * for await (
 *   const event of fromOpenAIStream(openAIChunks(res.body!), {
 *     model: request.model,
 *     messageId: "msg_1",
 *     ids: { messageId: () => "msg_1", toolUseId: () => `toolu_${crypto.randomUUID()}` },
 *     names: toolNameMap([]),
 *     provider: PROVIDERS.openai,
 *     thinkingDisplay: "off",
 *     inputEstimate: 0,
 *     warn: console.warn,
 *   })
 * ) console.log(event);
 * ```
 *
 * @module
 */
export type * from "../anthropic/types.ts";
export { RelayError, type RelayErrorOptions } from "../errors.ts";
export type { IdSource } from "./id_source.ts";
export { prepareRequest } from "./prepare.ts";
export { type ToolNameMap, toolNameMap } from "./tool_names.ts";

export {
  detectProvider,
  type ProviderName,
  type ProviderProfile,
  PROVIDERS,
  type ReasoningStyle,
} from "./openai/providers.ts";
export type * from "./openai/openai_types.ts";
export { type ToOpenAIOptions, toOpenAIRequest } from "./openai/to_openai.ts";
export { type FromOpenAIOptions, fromOpenAIResponse } from "./openai/from_openai.ts";
export { fromOpenAIStream } from "./openai/openai_stream.ts";
export { openAIChunks } from "./openai/openai_sse.ts";
export { fromOpenAIError, type OpenAIErrorOptions } from "./openai/openai_errors.ts";

export type * from "./bedrock/converse_types.ts";
export { type ToConverseOptions, toConverseRequest } from "./bedrock/to_converse.ts";
export {
  type ConverseOutputLike,
  type FromBedrockOptions,
  fromConverseResponse,
} from "./bedrock/from_converse.ts";
export { type BedrockStreamOptions, fromConverseStream } from "./bedrock/converse_stream.ts";
export { toInvokeBody, type ToInvokeOptions } from "./bedrock/to_invoke.ts";
export { fromInvokeStream } from "./bedrock/invoke_stream.ts";
export { fromInvokeResponse } from "./bedrock/from_invoke.ts";
export { converseEvents, invokeEvents } from "./bedrock/bedrock_eventstream.ts";
export { type BedrockErrorOptions, fromBedrockError } from "./bedrock/bedrock_errors.ts";
export { type BedrockFamily, type BedrockModelInfo, bedrockModelInfo } from "./bedrock/bedrock_models.ts";
