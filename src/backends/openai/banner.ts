/**
 * The OpenAI-compatible backend's start-up line: provider, upstream host and model(s).
 *
 * @module
 */
import type { OpenAIConfig } from "../../config.ts";

/**
 * The start-up line of an OpenAI-compatible backend (`Backend.describe`): provider, host and models.
 *
 * @example
 * ```ts
 * describeOpenAI({
 *   kind: "openai_compatible",
 *   apiKey: "",
 *   baseUrl: "http://localhost:11434/v1",
 *   model: "qwen3-coder",
 *   smallModel: "qwen3-coder",
 *   provider: "ollama",
 * }); // "upstream ollama at localhost:11434, model qwen3-coder"
 * ```
 */
export function describeOpenAI(config: OpenAIConfig): string {
  const host = new URL(config.baseUrl).host;
  const models = config.smallModel === config.model
    ? config.model
    : `${config.model} (haiku: ${config.smallModel})`;
  return `upstream ${config.provider} at ${host}, model ${models}`;
}
