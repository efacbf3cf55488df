/**
 * What `GET /v1/models` lists for Bedrock: Claude Code's current names for each family, one alias per
 * Claude model among the account's profiles, and the configured model ids, each with what it resolves to.
 *
 * @module
 */
import { type ClaudeName, parseClaudeName } from "../../anthropic/claude_names.ts";
import type { BedrockConfig } from "../../config.ts";
import { splitGeography } from "../../translate/bedrock/bedrock_models.ts";
import type { ModelInfo } from "../backend.ts";
import type { ModelResolver } from "./model_resolver.ts";
import { CURRENT_CLAUDE } from "./profiles.ts";

/** A Claude name as people write it: `Claude Opus 4.5`. */
function displayName(name: ClaudeName): string {
  const tier = `${name.tier.charAt(0).toUpperCase()}${name.tier.slice(1)}`;
  return `Claude ${tier} ${name.major}${name.minor === undefined ? "" : `.${name.minor}`}`;
}

async function mappings(resolver: ModelResolver): Promise<[string, string][]> {
  const names = [CURRENT_CLAUDE.opus, CURRENT_CLAUDE.sonnet, CURRENT_CLAUDE.haiku];
  return await Promise.all(
    names.map(async (n): Promise<[string, string]> => [n, await resolver.resolve(n)]),
  );
}

/**
 * The models a Bedrock backend lists, without duplicates: `display_name` says what a Claude alias
 * resolves to (`Claude Opus 5.5 -> us.anthropic.claude-opus-5-5`).
 *
 * @example
 * ```ts
 * import { createModelResolver } from "./model_resolver.ts";
 *
 * const resolver = createModelResolver({ region: "us-east-1" });
 * const models = await listModels({ kind: "bedrock", profileExplicit: false, region: "us-east-1", api: "auto" }, resolver);
 * models[0]; // { id: "claude-opus-5-5", display_name: "Claude Opus 5.5 -> us.anthropic.claude-opus-5-5", upstream: "us.anthropic.claude-opus-5-5" }
 * ```
 */
export async function listModels(config: BedrockConfig, resolver: ModelResolver): Promise<ModelInfo[]> {
  const out: ModelInfo[] = [];
  const seen = new Set<string>();
  const add = (id: string, upstream: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const name = parseClaudeName(id);
    const display = name ? displayName(name) : id;
    out.push({ id, display_name: id === upstream ? display : `${display} -> ${upstream}`, upstream });
  };
  for (const [name, id] of await mappings(resolver)) add(name, id);
  const { profiles } = await resolver.listing();
  for (const p of profiles ?? []) {
    const base = splitGeography(p.id).bare;
    const name = base.startsWith("anthropic.") ? parseClaudeName(base) : undefined;
    if (!name || p.type !== "SYSTEM_DEFINED") continue;
    const alias = `claude-${name.tier}-${name.major}${name.minor === undefined ? "" : `-${name.minor}`}`;
    add(alias, await resolver.resolve(alias));
  }
  if (config.modelId) add(config.modelId, config.modelId);
  if (config.smallModelId) add(config.smallModelId, config.smallModelId);
  return out;
}
