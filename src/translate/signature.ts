/**
 * relayx's own thinking signatures. Backends other than Anthropic's models have no signatures, but some
 * need provider data back on later turns (DeepSeek's `reasoning_content`, Gemini's thought signatures,
 * OpenRouter's `reasoning_details`). relayx is stateless, so that data travels to Claude Code inside the
 * thinking block's signature and comes back with the history. The tag keeps such a signature from ever
 * being sent to Bedrock or Anthropic as a real one.
 *
 * @module
 */
import { base64UrlToText, textToBase64Url } from "./_encoding.ts";

const PREFIX = "relayx1.";

/** What an OpenAI-compatible provider needs back on later turns. */
export interface CarriedReasoning {
  /** The reasoning text as the provider sent it (DeepSeek `reasoning_content`, vLLM `reasoning`). */
  reasoning?: string;
  /** OpenRouter `reasoning_details`, sent back unchanged. */
  details?: unknown[];
  /** Gemini thought signatures by tool-call id. */
  thoughtSignatures?: Record<string, string>;
}

/** Wraps carried provider data in a tagged signature string. */
export function encodeSignature(tag: string, payload: CarriedReasoning): string {
  return `${PREFIX}${tag}.${textToBase64Url(JSON.stringify(payload))}`;
}

/** True when a signature was made by relayx (and so is not a real Anthropic/Bedrock signature). */
export function isRelaySignature(signature: string): boolean {
  return signature.startsWith(PREFIX);
}

/** Unwraps a relayx signature; `undefined` for foreign or damaged signatures. */
export function decodeSignature(signature: string): { tag: string; payload: CarriedReasoning } | undefined {
  if (!signature.startsWith(PREFIX)) return undefined;
  const dot = signature.indexOf(".", PREFIX.length);
  if (dot < 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(base64UrlToText(signature.slice(dot + 1)));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
    const p = parsed as Record<string, unknown>;
    const payload: CarriedReasoning = {};
    if (typeof p.reasoning === "string") payload.reasoning = p.reasoning;
    if (Array.isArray(p.details)) payload.details = p.details;
    if (typeof p.thoughtSignatures === "object" && p.thoughtSignatures !== null) {
      const sigs: Record<string, string> = {};
      for (const [k, v] of Object.entries(p.thoughtSignatures)) if (typeof v === "string") sigs[k] = v;
      payload.thoughtSignatures = sigs;
    }
    return { tag: signature.slice(PREFIX.length, dot), payload };
  } catch {
    return undefined;
  }
}
