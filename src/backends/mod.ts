/**
 * relayx's backends, for composing relayx in code: each takes Anthropic requests and returns Anthropic
 * messages or stream events. Import only the one you use; each loads its upstream's SDK.
 *
 * @example
 * ```ts
 * import { createApp } from "@relayx/server";
 * import { createOpenAIBackend } from "@relayx/server/backends";
 *
 * const backend = createOpenAIBackend({
 *   kind: "openai_compatible",
 *   apiKey: "",
 *   baseUrl: "http://localhost:11434/v1",
 *   model: "qwen3-coder",
 *   smallModel: "qwen3-coder",
 *   provider: "ollama",
 * });
 * Deno.serve(createApp({ backend }).fetch);
 * ```
 *
 * @module
 */
export type { Backend, BackendKind, CallContext, IdSource, ModelInfo } from "./backend.ts";
export { createOpenAIBackend, type OpenAIBackendOptions } from "./openai.ts";
export { type BedrockBackendOptions, createBedrockBackend } from "./bedrock.ts";
