/**
 * The GenAI semantic conventions' provider name (`gen_ai.system`, `gen_ai.provider.name`) of a configured
 * backend: the conventions' well-known value where there is one, else the provider's own name.
 *
 * @module
 */
import type { AnthropicConfig, BedrockConfig, OpenAIConfig } from "../config.ts";

/** What {@linkcode genAiSystem} reads of a backend's settings. */
export type GenAiBackend =
  | Pick<BedrockConfig, "kind">
  | Pick<AnthropicConfig, "kind">
  | Pick<OpenAIConfig, "kind" | "provider">;

/**
 * The `gen_ai.system` of a backend: `aws.bedrock`, `anthropic`, `openai`, `gcp.gemini`, `deepseek`, or
 * the OpenAI-compatible provider's name (`openrouter`, `ollama`, ...; `openai_compatible` for a generic one).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(genAiSystem({ kind: "bedrock" }), "aws.bedrock");
 * assert.equal(genAiSystem({ kind: "openai_compatible", provider: "gemini" }), "gcp.gemini");
 * ```
 */
export function genAiSystem(backend: GenAiBackend): string {
  switch (backend.kind) {
    case "bedrock":
      return "aws.bedrock";
    case "anthropic":
      return "anthropic";
    case "openai_compatible":
      return _OPENAI_COMPATIBLE[backend.provider] ?? backend.provider;
    default: {
      const never: never = backend;
      return never;
    }
  }
}

// The conventions spell some providers their own way; the rest keep relayx's name.
const _OPENAI_COMPATIBLE: Readonly<Record<string, string>> = {
  openai: "openai",
  gemini: "gcp.gemini",
  deepseek: "deepseek",
  generic: "openai_compatible",
};
