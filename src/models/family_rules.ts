/**
 * relayx's rules by model family: what it can tell from an id's name alone (a Claude version, a Gemini
 * generation, a Bedrock provider prefix) when neither its own entries nor the catalogue know the exact
 * model. These are the heuristics the OpenAI and Bedrock paths used before the registry; the registry
 * consults them below the catalogue. Pure.
 *
 * @module
 */
import type { ModelHints, ModelSpec } from "./model_spec.ts";
import { servedId } from "./model_id.ts";

/** A Claude id read as tier and version (`claude-opus-4-1` -> opus 4.1; `claude-3-5-haiku` -> haiku 3.5). */
export interface ClaudeVersion {
  /** `opus`, `sonnet`, `haiku`, or empty for ids without one (`claude-v2`). */
  tier: string;
  /** Major + minor / 10 (4.5, 3.7). */
  version: number;
}

/**
 * The tier and version a Claude id names: old ids put the version first (`claude-3-5-sonnet`), new ones
 * the tier (`claude-sonnet-4-5`); dots (`claude-3.7-sonnet`, OpenRouter) read as dashes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(claudeVersion("us.anthropic.claude-opus-4-1-20250805-v1:0"), { tier: "opus", version: 4.1 });
 * assert.deepEqual(claudeVersion("anthropic/claude-3.7-sonnet"), { tier: "sonnet", version: 3.7 });
 * ```
 */
export function claudeVersion(id: string): ClaudeVersion {
  const m = id.toLowerCase().replace(/(\d)\.(\d)/g, "$1-$2")
    .match(/claude-(?:([a-z]+)-)?(\d+)(?:-(\d)(?!\d))?(?:-([a-z]+))?/);
  const tier = m?.[1] ?? m?.[4] ?? "";
  const major = Number(m?.[2] ?? 2);
  const minor = Number(m?.[3] ?? 0);
  // Integer arithmetic, so that 41 / 10 is exactly the literal 4.1 the rules compare with.
  return { tier, version: (major * 10 + minor) / 10 };
}

function claudeSpec(id: string): ModelSpec {
  const { tier, version } = claudeVersion(id);
  const opus = tier === "opus";
  let maxOutputTokens = 4096;
  if (version >= 5 || (opus && version >= 4.6)) maxOutputTokens = 128_000;
  else if (opus && version >= 4 && version < 4.5) maxOutputTokens = 32_000;
  else if (version >= 3.7) maxOutputTokens = 64_000;
  else if (version >= 3.5) maxOutputTokens = 8192;
  return {
    contextWindow: version >= 4.6 ? 1_000_000 : 200_000,
    maxOutputTokens,
    reasoning: version >= 3.7,
    // Claude 3.5 Haiku is the one Claude without vision.
    images: !(tier === "haiku" && version === 3.5) && version >= 3,
    pdf: true,
  };
}

/** Bedrock foundation models other than Claude, by provider prefix (`amazon.nova-pro-v1:0`). */
function bedrockSpec(provider: string, id: string): ModelSpec | undefined {
  switch (provider) {
    case "amazon": {
      if (!id.includes("nova")) return undefined;
      const micro = id.includes("micro");
      return { contextWindow: micro ? 128_000 : 300_000, images: !micro, pdf: !micro };
    }
    case "meta":
      return { images: id.includes("llama4") || /llama3-2-(?:11|90)b/.test(id) };
    case "mistral":
      return { images: id.includes("pixtral") || id.includes("large-3") };
    case "qwen":
      return { contextWindow: 262_144, images: id.includes("-vl-") };
    default:
      return undefined;
  }
}

// The families served over OpenAI-compatible APIs, by name (an `openai/` or other vendor prefix allowed).
function namedSpec(id: string, hints: ModelHints): ModelSpec | undefined {
  const m = id.slice(id.lastIndexOf("/") + 1);
  if (m.includes("gemini-2.0") || m.includes("gemini-1.5")) {
    return { contextWindow: 1_048_576, maxOutputTokens: 8192, images: true };
  }
  if (m.includes("gemini")) return { contextWindow: 1_048_576, maxOutputTokens: 65_536, images: true };
  if (m.startsWith("deepseek-reasoner")) return { maxOutputTokens: 65_536, reasoning: true };
  // DeepSeek's own API caps deepseek-chat at 8K; gateways serving DeepSeek models allow more.
  if (m.includes("deepseek")) return { maxOutputTokens: hints.provider === "deepseek" ? 8192 : 32_768 };
  if (/^gpt-5/.test(m)) return { contextWindow: 200_000, maxOutputTokens: 128_000, reasoning: true };
  if (/^o\d/.test(m)) return { contextWindow: 200_000, maxOutputTokens: 100_000, reasoning: true };
  if (/^gpt-4\.1/.test(m)) return { contextWindow: 1_047_576, maxOutputTokens: 32_768, images: true };
  if (/^gpt-4o/.test(m)) return { maxOutputTokens: 16_384, images: true };
  if (/^gpt-4/.test(m)) return { maxOutputTokens: 8192 };
  return undefined;
}

/**
 * What relayx's family rules say about a model; empty for a model of no family it knows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(familySpec("gemini-2.5-pro", {}).maxOutputTokens, 65_536);
 * assert.equal(familySpec("global.anthropic.claude-opus-4-7", { provider: "bedrock" }).contextWindow, 1_000_000);
 * assert.deepEqual(familySpec("some-local-model", {}), {});
 * ```
 */
export function familySpec(model: string, hints: ModelHints): ModelSpec {
  const id = servedId(model);
  if (id.includes("claude")) return claudeSpec(id);
  const dot = id.indexOf(".");
  const slash = id.indexOf("/");
  if (dot > 0 && (slash < 0 || slash > dot)) {
    const rule = bedrockSpec(id.slice(0, dot), id);
    if (rule) return rule;
  }
  return namedSpec(id, hints) ?? {};
}
