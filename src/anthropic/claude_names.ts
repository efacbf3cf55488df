/**
 * Claude model names, as clients send them (`claude-opus-5-5`, `claude-sonnet-4-5-20250929`,
 * `claude-3-7-sonnet-latest`, `claude-opus-4-5[1m]`): the one parser every backend maps names with.
 *
 * @module
 */

/** A Claude model name taken apart. */
export interface ClaudeName {
  /** `opus`, `sonnet`, `haiku` (or a newer tier word). */
  tier: string;
  /** Major version, e.g. 4 in `claude-sonnet-4-5`. */
  major: number;
  /** Minor version; undefined when the name has none (`claude-opus-5`, `claude-sonnet-4-20250514`). */
  minor?: number;
  /** The snapshot date (`20250929`) when the name carries one. */
  date?: string;
  /** The Bedrock revision (`2` in `-v2:0`) when the name carries one. */
  revision?: number;
}

const NEW_STYLE = /^claude-([a-z]+)-(\d+)(?:-(\d{1,2}))?(?:-(\d{8}))?(?:-latest)?(?:-v(\d+)(?::\d+)?)?$/;
const OLD_STYLE = /^claude-(\d+)(?:-(\d{1,2}))?-([a-z]+)(?:-(\d{8}))?(?:-latest)?(?:-v(\d+)(?::\d+)?)?$/;

/**
 * Parses a Claude model name in either naming scheme; undefined for anything else.
 * Claude Code's `[1m]` context suffix and a leading `anthropic.` are ignored.
 *
 * @example
 * ```ts
 * parseClaudeName("claude-3-7-sonnet-20250219"); // { tier: "sonnet", major: 3, minor: 7, date: "20250219" }
 * ```
 */
export function parseClaudeName(name: string): ClaudeName | undefined {
  const n = name.toLowerCase().trim().replace(/\[[^\]]*\]$/, "").replace(/^anthropic\./, "");
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  const m = n.match(NEW_STYLE);
  if (m?.[1] && m[2]) {
    return clean({ tier: m[1], major: Number(m[2]), minor: num(m[3]), date: m[4], revision: num(m[5]) });
  }
  const o = n.match(OLD_STYLE);
  if (o?.[1] && o[3]) {
    return clean({ tier: o[3], major: Number(o[1]), minor: num(o[2]), date: o[4], revision: num(o[5]) });
  }
  return undefined;
}

function clean(name: ClaudeName): ClaudeName {
  const out: ClaudeName = { tier: name.tier, major: name.major };
  if (name.minor !== undefined) out.minor = name.minor;
  if (name.date !== undefined) out.date = name.date;
  if (name.revision !== undefined) out.revision = name.revision;
  return out;
}

/** The Claude families relayx maps to configured models; `claude` is a Claude name of no known tier. */
export type ClaudeFamily = "opus" | "sonnet" | "haiku" | "claude";

/**
 * The family of a Claude model name, or undefined for any other name. Only Anthropic's own ids count
 * (`claude-...`): a routed name such as OpenRouter's `anthropic/claude-sonnet-4.5` is the user's explicit
 * choice of upstream model.
 *
 * @example
 * ```ts
 * claudeFamily("claude-3-7-sonnet-latest"); // "sonnet"
 * claudeFamily("qwen3-coder"); // undefined
 * ```
 */
export function claudeFamily(model: string): ClaudeFamily | undefined {
  const m = model.toLowerCase();
  if (!m.startsWith("claude-")) return undefined;
  const tier = parseClaudeName(m)?.tier;
  if (tier === "haiku" || tier === "sonnet" || tier === "opus") return tier;
  // Names outside both naming schemes (`claude-sonnet-latest`, a future scheme) by their tier word.
  if (m.includes("haiku")) return "haiku";
  if (m.includes("sonnet")) return "sonnet";
  if (m.includes("opus")) return "opus";
  return "claude";
}
