/**
 * Claude model names (what Claude Code asks for) -> Bedrock model ids the account can invoke.
 *
 * The pure part parses names (`claude-opus-5-5`, `claude-sonnet-4-5-20250929`, `claude-3-7-sonnet-20250219`)
 * and picks from a list of inference profiles by family and version, preferring the region's geography
 * (`us.`, `eu.`, `apac.`, `jp.`, `au.`, `us-gov.`) over `global.`. When the account's profiles cannot be
 * listed (no `bedrock:ListInferenceProfiles` permission, a proxy endpoint), ids are built by naming rules
 * from the catalog Claude Code itself ships. The I/O part lists the profiles once and caches them.
 *
 * @module
 */
import {
  BedrockClient,
  type BedrockClientConfig,
  ListInferenceProfilesCommand,
} from "@aws-sdk/client-bedrock";
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
 * matchProfile(parseClaudeName("claude-haiku-4-5")!, profiles, "eu-west-1"); // "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
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

const CURRENT_SONNET: ClaudeName = { tier: "sonnet", major: 5, minor: 5 };

/**
 * The foundation-model id a Claude name has on Bedrock, by naming rules: dated snapshots up to Claude
 * 4.5 (`anthropic.claude-sonnet-4-5-20250929-v1:0`), bare names from 4.6 on (`anthropic.claude-opus-5-5`).
 *
 * @example
 * ```ts
 * foundationIdFor(parseClaudeName("claude-3-5-sonnet-20240620")!); // "anthropic.claude-3-5-sonnet-20240620-v1:0"
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
 * namingRuleId(parseClaudeName("claude-opus-5-5")!, "eu-central-1"); // "eu.anthropic.claude-opus-5-5"
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

/** What {@linkcode createModelResolver} needs. */
export interface ModelResolverOptions {
  /** The AWS region (picks the geography). */
  region: string;
  /** BEDROCK_MODEL_ID: for Claude names without a match, and the default. */
  modelId?: string;
  /** BEDROCK_SMALL_MODEL_ID: for haiku-family names. */
  smallModelId?: string;
  /** Lists the account's inference profiles; a rejection falls back to naming rules. */
  listProfiles?: () => Promise<InferenceProfile[]>;
  /** Milliseconds a failed listing is remembered before it is tried again. */
  retryAfterMs?: number;
  /** Clock, injected for tests. */
  now?: () => number;
}

/** Where a resolution came from, for the start-up line. */
export interface ProfileListing {
  /** The profiles, or undefined when listing failed. */
  profiles?: InferenceProfile[];
  /** Why listing failed (an error name and message; never a credential). */
  error?: string;
}

/** Resolves client model names to Bedrock ids. */
export interface ModelResolver {
  /** The Bedrock id for a client's model name. Never rejects. */
  resolve(model: string): Promise<string>;
  /** The default model (BEDROCK_MODEL_ID, else the newest Sonnet for the region). */
  defaultModel(): Promise<string>;
  /** The account's profiles as listed (cached). */
  listing(): Promise<ProfileListing>;
  /** Resolves once a background retry of a failed listing has finished. */
  settled(): Promise<void>;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * Creates the resolver: lists profiles on first use (once; a failure is retried after `retryAfterMs`),
 * and memoises every name it resolved.
 *
 * @example
 * ```ts
 * const resolver = createModelResolver({ region: "us-east-1", listProfiles: async () => [] });
 * await resolver.resolve("claude-sonnet-4-5"); // "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
 * ```
 */
export function createModelResolver(options: ModelResolverOptions): ModelResolver {
  const { region } = options;
  const now = options.now ?? Date.now;
  const retryAfterMs = options.retryAfterMs ?? 5 * 60_000;
  let cached: Promise<ProfileListing> | undefined;
  let refreshing: Promise<void> | undefined;
  let failedAt: number | undefined;
  const memo = new Map<string, string>();

  function list(lister: () => Promise<InferenceProfile[]>): Promise<ProfileListing> {
    return lister().then(
      (profiles): ProfileListing => {
        failedAt = undefined;
        return { profiles };
      },
      (err): ProfileListing => {
        failedAt = now();
        return { error: errorText(err) };
      },
    );
  }

  function listing(): Promise<ProfileListing> {
    const lister = options.listProfiles;
    if (!lister) return Promise.resolve({ error: "listing disabled" });
    if (!cached) return (cached = list(lister));
    if (failedAt !== undefined && !refreshing && now() - failedAt > retryAfterMs) {
      // Retried in the background: requests keep the naming rules meanwhile instead of waiting on an
      // endpoint that may be unreachable (a VPC with a PrivateLink endpoint for the runtime only).
      refreshing = list(lister).then((next) => {
        if (next.profiles) cached = Promise.resolve(next);
        refreshing = undefined;
      });
    }
    return cached;
  }

  /** Resolves when a background retry of the listing has finished (for tests). */
  function settled(): Promise<void> {
    return refreshing ?? Promise.resolve();
  }

  async function defaultModel(): Promise<string> {
    if (options.modelId) return options.modelId;
    const { profiles } = await listing();
    const listed = profiles ? newestProfile("sonnet", profiles, region) : undefined;
    return listed ?? namingRuleId(CURRENT_SONNET, region);
  }

  // Returns the id and whether it may be memoised: ids built while listing failed are not, so that a
  // later successful listing takes over.
  async function compute(model: string): Promise<[string, boolean]> {
    const name = parseClaudeName(model);
    const claudeLike = model.toLowerCase().includes("claude");
    if ((name?.tier === "haiku" || (!name && /haiku/i.test(model))) && options.smallModelId) {
      return [options.smallModelId, true];
    }
    if (!name && !claudeLike) return [model, true];
    const { profiles } = await listing();
    const final = profiles !== undefined || !options.listProfiles;
    if (!name) return [await defaultModel(), final];
    if (profiles) {
      const exact = matchProfile(name, profiles, region);
      if (exact) return [exact, final];
      // A version the account lacks: BEDROCK_MODEL_ID when set, else the newest of the same family
      // (an Opus request stays on Opus), else the default Sonnet.
      if (options.modelId) return [options.modelId, final];
      return [newestProfile(name.tier, profiles, region) ?? await defaultModel(), final];
    }
    return [namingRuleId(name, region), final];
  }

  return {
    async resolve(model: string): Promise<string> {
      // Explicit ids and ARNs go upstream untouched; only Claude aliases are mapped.
      if (isBedrockId(model)) return model;
      const hit = memo.get(model);
      if (hit !== undefined) return hit;
      const [id, final] = await compute(model);
      if (final) memo.set(model, id);
      return id;
    },
    defaultModel,
    listing,
    settled,
  };
}

/**
 * Lists the account's inference profiles with the Bedrock control-plane client (every page).
 *
 * @example
 * ```ts
 * const profiles = await listInferenceProfiles(new BedrockClient({ region: "us-east-1" }), AbortSignal.timeout(5000));
 * ```
 */
export async function listInferenceProfiles(
  client: BedrockClient,
  signal: AbortSignal,
): Promise<InferenceProfile[]> {
  const out: InferenceProfile[] = [];
  let nextToken: string | undefined;
  // A bound on pages, so that a misbehaving endpoint that always returns a token cannot loop forever.
  for (let page = 0; page < 50; page++) {
    const res = await client.send(new ListInferenceProfilesCommand({ maxResults: 1000, nextToken }), {
      abortSignal: signal,
    });
    for (const s of res.inferenceProfileSummaries ?? []) {
      if (!s.inferenceProfileId) continue;
      out.push({
        id: s.inferenceProfileId,
        type: s.type ?? "SYSTEM_DEFINED",
        status: s.status,
        modelArns: (s.models ?? []).flatMap((m) => (m.modelArn ? [m.modelArn] : [])),
        arn: s.inferenceProfileArn,
      });
    }
    nextToken = res.nextToken;
    if (!nextToken) break;
  }
  return out;
}

/**
 * The profile lister relayx uses: a control-plane client sharing the runtime client's region and
 * credentials, with a timeout so that start-up and the first request never wait long on it.
 */
export function profileLister(
  config: BedrockClientConfig,
  timeoutMs = 8000,
): () => Promise<InferenceProfile[]> {
  return async () => {
    const client = new BedrockClient({ maxAttempts: 1, ...config });
    try {
      return await listInferenceProfiles(client, AbortSignal.timeout(timeoutMs));
    } finally {
      client.destroy();
    }
  };
}
