/**
 * The Bedrock backend, for composing relayx in code: Converse for every model, Claude's native Messages
 * API through InvokeModel. Importing it loads the AWS SDK and nothing of the OpenAI-compatible backend.
 *
 * @example
 * ```ts
 * import { createApp } from "@relayx/server";
 * import { createBedrockBackend } from "@relayx/server/backends/bedrock";
 *
 * const backend = await createBedrockBackend({
 *   kind: "bedrock",
 *   profileExplicit: false,
 *   region: "us-east-1",
 *   api: "auto",
 * });
 * Deno.serve(createApp({ backend }).fetch);
 * ```
 *
 * @module
 */
export type * from "../../anthropic/types.ts";
export type { Backend, BackendKind, CallContext, IdSource, ModelInfo, RouteTrace } from "../backend.ts";
export type { BedrockConfig } from "../../config.ts";
export type { BedrockApi } from "../../translate/bedrock/bedrock_models.ts";
export { type BedrockBackendOptions, createBedrockBackend } from "./bedrock_backend.ts";
export type { StaticCredentials } from "./client.ts";
export type { Redactor } from "../../redact.ts";
export type { InferenceProfile } from "./profiles.ts";
export type { UpstreamLimits } from "../upstream_watch.ts";
export type { ModelHints, ModelPrice, ModelProvider, ModelSpec } from "../../models/model_spec.ts";
export type { ModelRegistry } from "../../models/registry.ts";
