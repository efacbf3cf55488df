/**
 * What an OpenAI-compatible upstream takes as media: what the provider's API carries (its profile), less
 * what the model registry knows the model cannot read (a text-only model behind a provider that takes
 * images gets a text note instead of an upstream 400).
 *
 * @module
 */
import type { MediaCaps } from "../../media/adapt_media.ts";
import type { ModelSpec } from "../../models/model_spec.ts";
import type { ProviderProfile } from "../../translate/openai/providers.ts";

/**
 * The media capabilities of a model at a provider: images where the provider takes image parts and the
 * model is not known to lack vision, PDFs where the provider takes `file` parts and the model is not known
 * to refuse them. Tool messages hold text only, and the translator moves their media into a user message,
 * so tool results take the same.
 *
 * @example
 * ```ts
 * import { PROVIDERS } from "../../translate/openai/providers.ts";
 *
 * openAIMediaCaps(PROVIDERS.deepseek); // { images: false, pdf: false }
 * openAIMediaCaps(PROVIDERS.ollama, { images: false }); // { images: false, pdf: false }
 * ```
 */
export function openAIMediaCaps(provider: ProviderProfile, spec: ModelSpec = {}): MediaCaps {
  return { images: provider.images && spec.images !== false, pdf: provider.pdfFiles && spec.pdf !== false };
}
