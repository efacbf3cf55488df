/**
 * Claude model names (what Claude Code asks for) -> Bedrock model ids the account can invoke: lists the
 * account's profiles once (a failure falls back to the naming rules of `profiles.ts` and is retried in
 * the background), and memoises every name it resolved.
 *
 * @module
 */
import { type ClaudeName, parseClaudeName } from "../../anthropic/claude_names.ts";
import { type InferenceProfile, isBedrockId, matchProfile, namingRuleId, newestProfile } from "./profiles.ts";

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

const CURRENT_SONNET: ClaudeName = { tier: "sonnet", major: 5, minor: 5 };

/** The profile listing, cached, with the background retry of a failed one. */
interface ListingCache {
  listing(): Promise<ProfileListing>;
  settled(): Promise<void>;
}

function listingCache(options: ModelResolverOptions): ListingCache {
  const now = options.now ?? Date.now;
  const retryAfterMs = options.retryAfterMs ?? 5 * 60_000;
  let cached: Promise<ProfileListing> | undefined;
  let refreshing: Promise<void> | undefined;
  let failedAt: number | undefined;

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

  // Resolves when a background retry of the listing has finished (for tests).
  const settled = (): Promise<void> => refreshing ?? Promise.resolve();
  return { listing, settled };
}

async function defaultModelOf(options: ModelResolverOptions, cache: ListingCache): Promise<string> {
  if (options.modelId) return options.modelId;
  const { profiles } = await cache.listing();
  const listed = profiles ? newestProfile("sonnet", profiles, options.region) : undefined;
  return listed ?? namingRuleId(CURRENT_SONNET, options.region);
}

// Returns the id and whether it may be memoised: ids built while listing failed are not, so that a
// later successful listing takes over.
async function compute(
  model: string,
  options: ModelResolverOptions,
  cache: ListingCache,
): Promise<[string, boolean]> {
  const { region } = options;
  const name = parseClaudeName(model);
  const claudeLike = model.toLowerCase().includes("claude");
  if ((name?.tier === "haiku" || (!name && /haiku/i.test(model))) && options.smallModelId) {
    return [options.smallModelId, true];
  }
  if (!name && !claudeLike) return [model, true];
  const { profiles } = await cache.listing();
  const final = profiles !== undefined || !options.listProfiles;
  if (!name) return [await defaultModelOf(options, cache), final];
  if (profiles) {
    const exact = matchProfile(name, profiles, region);
    if (exact) return [exact, final];
    // A version the account lacks: BEDROCK_MODEL_ID when set, else the newest of the same family
    // (an Opus request stays on Opus), else the default Sonnet.
    if (options.modelId) return [options.modelId, final];
    return [newestProfile(name.tier, profiles, region) ?? await defaultModelOf(options, cache), final];
  }
  return [namingRuleId(name, region), final];
}

/**
 * Creates the resolver: lists profiles on first use (once; a failure is retried after `retryAfterMs`),
 * and memoises every name it resolved.
 *
 * @example
 * ```ts
 * const resolver = createModelResolver({ region: "us-east-1", listProfiles: () => Promise.resolve([]) });
 * await resolver.resolve("claude-sonnet-4-5"); // "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
 * ```
 */
export function createModelResolver(options: ModelResolverOptions): ModelResolver {
  const cache = listingCache(options);
  const memo = new Map<string, string>();
  return {
    async resolve(model: string): Promise<string> {
      // Explicit ids and ARNs go upstream untouched; only Claude aliases are mapped.
      if (isBedrockId(model)) return model;
      const hit = memo.get(model);
      if (hit !== undefined) return hit;
      const [id, final] = await compute(model, options, cache);
      if (final) memo.set(model, id);
      return id;
    },
    defaultModel: () => defaultModelOf(options, cache),
    listing: cache.listing,
    settled: cache.settled,
  };
}
