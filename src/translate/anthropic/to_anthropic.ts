/**
 * Anthropic Messages request -> the body an Anthropic-format upstream takes. The request goes nearly as
 * it is, so that Claude Code's fidelity is the upstream's own; what changes:
 * - `model` is the upstream model (the backend's `model` when set, else the client's);
 * - relayx's own thinking signatures (`signature.ts`) never leave relayx: such thinking blocks are
 *   dropped, and on Anthropic itself so are blocks with an empty signature (it rejects them). Thinking
 *   blocks with any other signature go back unchanged: they came from this upstream. When thinking is on
 *   and the last assistant turn of a tool loop is left without its thinking (another backend's was
 *   dropped), Anthropic itself would answer 400 "Expected `thinking`": thinking is off for that request;
 * - on Anthropic itself, tool ids another upstream made that break its rule (`[a-zA-Z0-9_-]`) are
 *   aliased the same way in `tool_use` and `tool_result`;
 * - per provider ({@linkcode AnthropicProviderProfile}): `anthropic-beta` flags, `output_config`,
 *   top-level `cache_control` and `service_tier` are dropped where the upstream does not take them, and
 *   an upstream without Anthropic's server features gets the request prepared as every other backend
 *   does (`prepare.ts`: server tools and MCP connectors dropped, deferred tools resolved, `tool_reference`
 *   as text, history before a compaction summary dropped) with mid-conversation system messages as
 *   `<system-reminder>` user text.
 *
 * What was dropped for the provider's sake (the same on every request) is returned, not warned, so that
 * the backend logs each drop once.
 *
 * @module
 */
import type { ContentBlock, CountTokensRequest, Message } from "../../anthropic/types.ts";
import { systemMessageText, systemReminder } from "../bedrock/_request_rules.ts";
import { prepareRequest } from "../prepare.ts";
import { isRelaySignature } from "../signature.ts";
import { safeIdentifier } from "../tool_names.ts";
import type { AnthropicProviderProfile } from "./providers.ts";

/** Options for {@linkcode toAnthropicRequest}. */
export interface ToAnthropicOptions {
  /** The upstream model. */
  model: string;
  /** What the upstream takes. */
  profile: AnthropicProviderProfile;
  /** Records a change that depends on the request (a server tool dropped, ...). */
  warn(message: string): void;
}

/** The translated request. */
export interface AnthropicRequest {
  /** The JSON body. */
  body: Record<string, unknown>;
  /** The `anthropic-beta` flags to send (the body's `betas` and the client's header, filtered). */
  betas: string[];
  /** What the provider does not take and was dropped, one line each (the same for every such request). */
  dropped: string[];
}

function keepThinking(b: ContentBlock, profile: AnthropicProviderProfile): boolean {
  if (b.type !== "thinking") return true;
  if (isRelaySignature(b.signature)) return false;
  return b.signature !== "" || !profile.serverFeatures;
}

function strictIds(b: ContentBlock): ContentBlock {
  if (b.type === "tool_use") return b.id === safeIdentifier(b.id) ? b : { ...b, id: safeIdentifier(b.id) };
  if (b.type !== "tool_result" || b.tool_use_id === safeIdentifier(b.tool_use_id)) return b;
  return { ...b, tool_use_id: safeIdentifier(b.tool_use_id) };
}

// In a tool loop with thinking on, Anthropic requires the last assistant turn to start with its thinking.
function lastToolTurnUnsigned(messages: readonly Message[]): boolean {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== "assistant") continue;
    if (!m.content.some((b) => b.type === "tool_use")) return false;
    const first = m.content[0]?.type;
    return first !== "thinking" && first !== "redacted_thinking";
  }
  return false;
}

function cleanMessage(
  original: Message,
  profile: AnthropicProviderProfile,
  warn: (m: string) => void,
): Message {
  const m = profile.strictToolIds && original.content.some((b) => strictIds(b) !== b)
    ? { ...original, content: original.content.map(strictIds) }
    : original;
  if (m.role === "system" && !profile.serverFeatures) {
    const content: ContentBlock[] = [];
    for (const b of m.content) {
      const t = systemMessageText(b, warn);
      if (t) content.push({ ...t, text: systemReminder(t.text) });
    }
    return { role: "user", content };
  }
  if (m.role !== "assistant" || m.content.every((b) => keepThinking(b, profile))) return m;
  return { ...m, content: m.content.filter((b) => keepThinking(b, profile)) };
}

/**
 * Builds the body and beta flags for an Anthropic-format upstream. `max_tokens` may be absent (a
 * count_tokens request).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ANTHROPIC_PROVIDERS } from "./providers.ts";
 *
 * const { body, betas, dropped } = toAnthropicRequest({
 *   model: "claude-sonnet-4-5",
 *   max_tokens: 1024,
 *   betas: ["interleaved-thinking-2025-05-14"],
 *   output_config: { effort: "high" },
 *   messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
 * }, { model: "glm-4.6", profile: ANTHROPIC_PROVIDERS.zai, warn: console.warn });
 * assert.equal(body.model, "glm-4.6");
 * assert.equal(body.output_config, undefined);
 * assert.deepEqual(betas, []);
 * assert.equal(dropped.length, 2);
 * ```
 */
export function toAnthropicRequest(request: CountTokensRequest, opts: ToAnthropicOptions): AnthropicRequest {
  const { profile, warn } = opts;
  const dropped: string[] = [];
  const prepared = profile.serverFeatures ? request : prepareRequest(request, warn);
  const messages = prepared.messages
    .map((m) => cleanMessage(m, profile, warn))
    .filter((m) => m.content.length > 0);
  const { betas: requested, ...rest } = prepared;
  const body: Record<string, unknown> = { ...rest, model: opts.model, messages };
  const thinkingOn = rest.thinking?.type === "enabled" || rest.thinking?.type === "adaptive";
  if (profile.serverFeatures && thinkingOn && lastToolTurnUnsigned(messages)) {
    delete body.thinking;
    warn(
      "thinking: the last assistant turn has no thinking this upstream signed; thinking is off for this request",
    );
  }
  // Tool search is Anthropic's: elsewhere the deferred tools that were loaded go as ordinary tools.
  if (!profile.serverFeatures && rest.tools) {
    body.tools = rest.tools.map(({ defer_loading: _, ...t }) => t);
  }
  let betas = requested ?? [];
  if (!profile.betas && betas.length) {
    for (const b of betas) dropped.push(`anthropic-beta: ${b} is not supported by ${profile.name}; dropped`);
    betas = [];
  }
  if (!profile.newerFields) {
    for (const key of ["output_config", "cache_control", "service_tier"] as const) {
      if (body[key] === undefined) continue;
      delete body[key];
      dropped.push(`${key}: not supported by ${profile.name}; dropped`);
    }
  }
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  return { body, betas, dropped };
}
