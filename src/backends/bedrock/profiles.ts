/**
 * Which Bedrock id a Claude name has, without I/O: picking from the account's inference profiles by
 * family and version, preferring the region's geography (`us.`, `eu.`, `apac.`, `jp.`, `au.`, `us-gov.`)
 * over `global.`, and, when the profiles cannot be listed, building ids by naming rules from the catalog
 * Claude Code itself ships.
 *
 * @module
 */
import { type ClaudeName, parseClaudeName } from "../../anthropic/claude_names.ts";
import { splitGeography } from "../../translate/bedrock/bedrock_models.ts";

/** An inference profile as relayx needs it (a subset of the SDK's `InferenceProfileSummary`). */
export interface InferenceProfile {
  /** The id to invoke (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`, or an application profile's id). */
  id: string;
  /** `SYSTEM_DEFINED` (cross-region, geo-prefixed) or `APPLICATION` (user-made, opaque id). */
  type: string;
  /** `ACTIVE` when usable; undefined counts as active. */
  status?: string;
  /** ARNs of the foundation models the profile routes to. */
  modelArns: string[];
  /** The profile's own ARN, which names the account (`arn:aws:bedrock:<region>:<account>:inference-profile/...`). */
  arn?: string;
}

/** The AWS account an inference-profile ARN belongs to, if it names one. */
export function accountOfProfiles(profiles: readonly InferenceProfile[]): string | undefined {
  for (const p of profiles) {
    const account = p.arn?.match(/^arn:aws[\w-]*:bedrock:[^:]*:(\d{12}):/)?.[1];
    if (account) return account;
  }
  return undefined;
}

/** Version as a comparable integer: 4.5 -> 45, 5 -> 50. */
function versionKey(n: ClaudeName): number {
  return n.major * 10 + (n.minor ?? 0);
}

/**
 * The geography prefixes of a region's cross-region profiles, most specific first (`global.` is not
 * included: it is the last resort for every region).
 *
 * @example
 * ```ts
 * geographiesOf("ap-northeast-1"); // ["jp", "apac"]
 * ```
 */
export function geographiesOf(region: string): string[] {
  const r = region.toLowerCase();
  if (r.startsWith("us-gov-")) return ["us-gov"];
  if (r.startsWith("us-") || r.startsWith("ca-")) return ["us"];
  if (r.startsWith("eu-")) return ["eu"];
  if (r === "ap-northeast-1" || r === "ap-northeast-3") return ["jp", "apac"];
  if (r === "ap-southeast-2" || r === "ap-southeast-4") return ["au", "apac"];
  if (r.startsWith("ap-")) return ["apac"];
  return [];
}

/** The geography prefix of a model or profile id, or undefined. */
function geographyOfId(id: string): string | undefined {
  return splitGeography(id).geography;
}

/** The Claude model behind a profile: from a system profile's id, else from its first model ARN. */
function profileModel(p: InferenceProfile): ClaudeName | undefined {
  const bare = splitGeography(p.id).bare;
  if (bare.startsWith("anthropic.")) return parseClaudeName(bare);
  for (const arn of p.modelArns) {
    const fm = arn.match(/foundation-model\/anthropic\.(.+)$/);
    if (fm?.[1]) return parseClaudeName(fm[1]);
  }
  return undefined;
}

function geoRank(id: string, geos: string[]): number {
  const g = geographyOfId(id);
  if (g === undefined) return geos.length + 2;
  if (g === "global") return geos.length;
  const i = geos.indexOf(g);
  return i < 0 ? geos.length + 1 : i;
}

interface Candidate {
  profile: InferenceProfile;
  model: ClaudeName;
}

function candidates(profiles: InferenceProfile[], region: string): Candidate[] {
  const out: Candidate[] = [];
  for (const p of profiles) {
    // Application profiles are the user's own (cost tracking, quotas): used only when named explicitly.
    if (p.type !== "SYSTEM_DEFINED") continue;
    if (p.status !== undefined && p.status !== "ACTIVE") continue;
    const model = profileModel(p);
    if (model) out.push({ profile: p, model });
  }
  const geos = geographiesOf(region);
  // Best first: region geography, then global; newer snapshot and revision before older.
  return out.sort((a, b) =>
    geoRank(a.profile.id, geos) - geoRank(b.profile.id, geos) ||
    (b.model.date ?? "").localeCompare(a.model.date ?? "") ||
    (b.model.revision ?? 0) - (a.model.revision ?? 0)
  );
}

/**
 * The inference profile for a Claude name: same tier and version (a matching snapshot date preferred),
 * the region's geography before `global.`. Undefined when the list has no such model.
 *
 * @example
 * ```ts
 * const profiles: InferenceProfile[] = [
 *   { id: "global.anthropic.claude-haiku-4-5-20251001-v1:0", type: "SYSTEM_DEFINED", modelArns: [] },
 *   { id: "eu.anthropic.claude-haiku-4-5-20251001-v1:0", type: "SYSTEM_DEFINED", modelArns: [] },
 * ];
 * matchProfile({ tier: "haiku", major: 4, minor: 5 }, profiles, "eu-west-1"); // "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
 * ```
 */
export function matchProfile(
  name: ClaudeName,
  profiles: InferenceProfile[],
  region: string,
): string | undefined {
  const same = candidates(profiles, region).filter((c) =>
    c.model.tier === name.tier && versionKey(c.model) === versionKey(name)
  );
  if (name.date) {
    const dated = same.find((c) => c.model.date === name.date);
    if (dated) return dated.profile.id;
  }
  return same[0]?.profile.id;
}

/**
 * The newest model of a tier in the list (for defaults), region geography first.
 *
 * @example
 * ```ts
 * const profiles: InferenceProfile[] = [
 *   { id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", type: "SYSTEM_DEFINED", modelArns: [] },
 *   { id: "us.anthropic.claude-sonnet-5-5", type: "SYSTEM_DEFINED", modelArns: [] },
 * ];
 * newestProfile("sonnet", profiles, "us-east-1"); // "us.anthropic.claude-sonnet-5-5"
 * ```
 */
export function newestProfile(
  tier: string,
  profiles: InferenceProfile[],
  region: string,
): string | undefined {
  const all = candidates(profiles, region).filter((c) => c.model.tier === tier);
  // Stable sort keeps the geography order among equal versions.
  all.sort((a, b) => versionKey(b.model) - versionKey(a.model));
  return all[0]?.profile.id;
}

// Foundation-model ids of Claude models whose Bedrock ids are not derivable from their names (dated
// snapshots, `-v1`/`-v2` suffixes), from the model catalog in Claude Code 2.1.332. Keys: tier-major-minor.
const KNOWN: Record<string, string> = {
  "haiku-3-0": "anthropic.claude-3-haiku-20240307-v1:0",
  "haiku-3-5": "anthropic.claude-3-5-haiku-20241022-v1:0",
  "haiku-4-5": "anthropic.claude-haiku-4-5-20251001-v1:0",
  "sonnet-3-5": "anthropic.claude-3-5-sonnet-20241022-v2:0",
  "sonnet-3-7": "anthropic.claude-3-7-sonnet-20250219-v1:0",
  "sonnet-4-0": "anthropic.claude-sonnet-4-20250514-v1:0",
  "sonnet-4-5": "anthropic.claude-sonnet-4-5-20250929-v1:0",
  "opus-3-0": "anthropic.claude-3-opus-20240229-v1:0",
  "opus-4-0": "anthropic.claude-opus-4-20250514-v1:0",
  "opus-4-1": "anthropic.claude-opus-4-1-20250805-v1:0",
  "opus-4-5": "anthropic.claude-opus-4-5-20251101-v1:0",
  "opus-4-6": "anthropic.claude-opus-4-6-v1",
};

/** The newest model of each tier in that catalog: the naming-rule defaults. */
export const CURRENT_CLAUDE: Readonly<Record<"opus" | "sonnet" | "haiku", string>> = {
  opus: "claude-opus-5-5",
  sonnet: "claude-sonnet-5-5",
  haiku: "claude-haiku-5-5",
};

/**
 * The foundation-model id a Claude name has on Bedrock, by naming rules: dated snapshots up to Claude
 * 4.5 (`anthropic.claude-sonnet-4-5-20250929-v1:0`), bare names from 4.6 on (`anthropic.claude-opus-5-5`).
 *
 * @example
 * ```ts
 * foundationIdFor({ tier: "sonnet", major: 3, minor: 5, date: "20240620" }); // "anthropic.claude-3-5-sonnet-20240620-v1:0"
 * ```
 */
export function foundationIdFor(name: ClaudeName): string {
  const minor = name.minor ?? 0;
  const known = KNOWN[`${name.tier}-${name.major}-${minor}`];
  if (known && (!name.date || known.includes(name.date))) return known;
  const v = name.minor === undefined ? `${name.major}` : `${name.major}-${name.minor}`;
  // Claude 3.x put the version before the tier; 4 and later put the tier first.
  const base = name.major < 4 ? `claude-${v}-${name.tier}` : `claude-${name.tier}-${v}`;
  if (name.date) return `anthropic.${base}-${name.date}-v${name.revision ?? 1}:0`;
  return `anthropic.${base}`;
}

/**
 * The cross-region profile id for a Claude name by naming rules: the region's first geography, or
 * `global.` where the region has none.
 *
 * @example
 * ```ts
 * namingRuleId({ tier: "opus", major: 5, minor: 5 }, "eu-central-1"); // "eu.anthropic.claude-opus-5-5"
 * ```
 */
export function namingRuleId(name: ClaudeName, region: string): string {
  const geo = geographiesOf(region)[0] ?? "global";
  return `${geo}.${foundationIdFor(name)}`;
}

/**
 * True for ids Bedrock takes as they are: foundation-model and profile ids (`amazon.nova-pro-v1:0`,
 * `us.anthropic...`) and ARNs.
 */
export function isBedrockId(model: string): boolean {
  return model.startsWith("arn:") || model.includes(".");
}
