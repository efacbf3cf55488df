/**
 * What `GET /v1/models` lists for an OpenAI-compatible upstream: Claude Code's family names, each with
 * the configured model it maps to, and the configured models themselves.
 *
 * @module
 */
import type { OpenAIConfig } from "../../config.ts";
import type { ModelInfo } from "../backend.ts";

/**
 * The models an OpenAI-compatible backend lists.
 *
 * @example
 * ```ts
 * const models = listModels({
 *   kind: "openai_compatible",
 *   apiKey: "",
 *   baseUrl: "http://localhost:11434/v1",
 *   model: "qwen3-coder",
 *   smallModel: "qwen3-coder",
 *   provider: "ollama",
 * });
 * models[0]; // { id: "claude-opus-4-5", display_name: "Claude Opus -> qwen3-coder", upstream: "qwen3-coder" }
 * ```
 */
export function listModels(config: OpenAIConfig): ModelInfo[] {
  const models: ModelInfo[] = [
    { id: "claude-opus-4-5", display_name: `Claude Opus -> ${config.model}`, upstream: config.model },
    { id: "claude-sonnet-4-5", display_name: `Claude Sonnet -> ${config.model}`, upstream: config.model },
    {
      id: "claude-haiku-4-5",
      display_name: `Claude Haiku -> ${config.smallModel}`,
      upstream: config.smallModel,
    },
  ];
  for (const m of new Set([config.model, config.smallModel])) {
    models.push({ id: m, display_name: m, upstream: m });
  }
  return models;
}
