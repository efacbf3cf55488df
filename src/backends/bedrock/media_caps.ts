/**
 * What a Bedrock model takes as media, by the API relayx calls it through: InvokeModel carries
 * Anthropic's own body (Claude reads PDFs everywhere); Converse takes `document` blocks only from the
 * models that read them, and inside tool results only from Claude.
 *
 * @module
 */
import type { BedrockConfig } from "../../config.ts";
import type { MediaCaps } from "../../media/adapt_media.ts";
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
export function bedrockMediaCaps(config: BedrockConfig, model: string): MediaCaps {
  const info = bedrockModelInfo(model);
  const inResults = { images: info.supportsToolResultImages, pdf: info.family === "claude" };
  if (pickApi(config, model) === "invoke") {
    return { images: info.supportsImages, pdf: true, toolResults: inResults };
  }
  return { images: info.supportsImages, pdf: info.supportsDocuments, toolResults: inResults };
}
