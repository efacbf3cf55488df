/**
 * What a Bedrock model takes as media, by the API relayx calls it through: InvokeModel carries
 * Anthropic's own body (Claude reads PDFs everywhere); Converse takes `document` blocks only from the
 * models that read them, and inside tool results only from Claude. The model registry can take away
 * what it knows a model cannot read (a configuration override `"images": false`), never add to it: the
 * translators follow the same per-family rules.
 *
 * @module
 */
import type { BedrockConfig } from "../../config.ts";
import type { MediaCaps } from "../../media/adapt_media.ts";
import type { ModelSpec } from "../../models/model_spec.ts";
import { bedrockModelInfo } from "../../translate/bedrock/bedrock_models.ts";
import { pickApi } from "./_call.ts";

/**
 * The media capabilities of a Bedrock model as relayx calls it.
 *
 * @example
 * ```ts
 * const config = { kind: "bedrock" as const, profileExplicit: false, region: "us-east-1", api: "auto" as const };
 * bedrockMediaCaps(config, "us.amazon.nova-pro-v1:0"); // pdf: true at the top level, false in tool results
 * ```
 */
export function bedrockMediaCaps(config: BedrockConfig, model: string, spec: ModelSpec = {}): MediaCaps {
  const info = bedrockModelInfo(model);
  const images = info.supportsImages && spec.images !== false;
  const pdf = (pickApi(config, model) === "invoke" || info.supportsDocuments) && spec.pdf !== false;
  const inResults = {
    images: info.supportsToolResultImages && spec.images !== false,
    pdf: info.family === "claude" && spec.pdf !== false,
  };
  return { images, pdf, toolResults: inResults };
}
