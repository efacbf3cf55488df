/**
 * What an OpenAI-compatible upstream takes as media: today the provider's profile decides for every model
 * it serves; a model registry can answer per model later.
 *
 * @module
 */
import type { MediaCaps } from "../../media/adapt_media.ts";
import type { ProviderProfile } from "../../translate/openai/providers.ts";

/**
 * The media capabilities of a provider's models: images where it takes image parts, PDFs where it takes
 * `file` parts. Tool messages hold text only, and the translator moves their media into a user message,
 * so tool results take the same.
 *
 * @example
 * ```ts
 * import { PROVIDERS } from "../../translate/openai/providers.ts";
 *
 * openAIMediaCaps(PROVIDERS.deepseek); // { images: false, pdf: false }
 * ```
 */
export function openAIMediaCaps(provider: ProviderProfile): MediaCaps {
  return { images: provider.images, pdf: provider.pdfFiles };
}
