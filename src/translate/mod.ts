/**
 * relayx's pure translators between the Anthropic Messages API and the backends' wire formats:
 * OpenAI chat completions (OpenAI, Gemini, Ollama, LM Studio, OpenRouter, DeepSeek, vLLM) and AWS Bedrock
 * (Converse for every model, the native Messages body for Claude). No I/O: requests in, requests out;
 * upstream responses or async iterables of upstream chunks in, Anthropic messages or stream events out.
 *
 * @example
 * ```ts
 * import { fromOpenAIStream, openAIChunks, PROVIDERS, toOpenAIRequest, toolNameMap } from "@relayx/server/translate";
 *
 * const body = toOpenAIRequest(request, {
 *   model: "gpt-4.1",
 *   provider: PROVIDERS.openai,
 *   maxOutputTokens: 32768,
 *   stream: true,
 *   warn: console.warn,
 * });
 * const res = await fetch("https://api.openai.com/v1/chat/completions", { method: "POST", body: JSON.stringify(body) });
 * for await (const event of fromOpenAIStream(openAIChunks(res.body!), {
 *   model: request.model,
 *   messageId: "msg_1",
 *   ids: { messageId: () => "msg_1", toolUseId: () => crypto.randomUUID() },
 *   names: toolNameMap([]),
 *   provider: PROVIDERS.openai,
 *   thinkingDisplay: "off",
 *   inputEstimate: 0,
 *   warn: console.warn,
 * })) console.log(event);
 * ```
 *
 * @module
 */
export type * from "../anthropic/types.ts";
export { parseCountTokensRequest, parseMessagesRequest } from "../anthropic/parse.ts";
export { frameEvent } from "../anthropic/sse.ts";
export { RelayError } from "../errors.ts";
export type { IdSource } from "../backends/backend.ts";
export { prepareRequest } from "./prepare.ts";
export { type ToolNameMap, toolNameMap } from "./tool_names.ts";
export { detectProvider, type ProviderName, type ProviderProfile, PROVIDERS } from "./providers.ts";
export { type ToOpenAIOptions, toOpenAIRequest } from "./to_openai.ts";
export type { OpenAIChatRequest } from "./openai_types.ts";
export { type FromOpenAIOptions, fromOpenAIResponse } from "./from_openai.ts";
export { fromOpenAIStream } from "./openai_stream.ts";
export { decodeSse, openAIChunks } from "./sse_decode.ts";
export { fromOpenAIError } from "./openai_errors.ts";
export { cleanSchemaForGemini } from "./schema_clean.ts";
export { type ToConverseOptions, toConverseRequest } from "./to_converse.ts";
export type { ConverseInput } from "./converse_types.ts";
export { type FromBedrockOptions, fromConverseResponse } from "./from_converse.ts";
export { type BedrockStreamOptions, fromConverseStream } from "./converse_stream.ts";
export { toInvokeBody } from "./to_invoke.ts";
export { fromInvokeResponse, fromInvokeStream } from "./invoke_stream.ts";
export { fromBedrockError } from "./bedrock_errors.ts";
export { type BedrockModelInfo, bedrockModelInfo } from "./bedrock_models.ts";
export { countInputTokens, estimateInputTokens } from "../tokens.ts";
