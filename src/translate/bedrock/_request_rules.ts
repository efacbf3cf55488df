/**
 * What both Bedrock request translators (Converse and the native Invoke body) do the same way, whatever
 * the shape of the blocks they build: the 400 for input Bedrock cannot take, the breakpoint limit, system
 * messages as `<system-reminder>` text, Claude Code's billing header, and tool results first in a turn.
 *
 * @module
 */
import type { ContentBlock, TextBlock } from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import { foreignBlockText, isForeignBlock } from "../foreign_blocks.ts";

/** The 400 for a request Bedrock cannot take; `message` starts with the field's path. */
export function invalidRequest(message: string): RelayError {
  return new RelayError("invalid_request_error", message, { shouldRetry: false });
}

/** Anthropic's (and Bedrock's) limit on cache breakpoints in one request. */
export const MAX_CACHE_POINTS = 4;

/**
 * How many breakpoints of `count` must go, warning when any must. Beyond the limit the earliest go: the
 * last breakpoints cover the longest prefix, which is what a long conversation re-reads every turn.
 */
export function excessBreakpoints(count: number, warn: (message: string) => void): number {
  const extra = count - MAX_CACHE_POINTS;
  if (extra <= 0) return 0;
  warn(`cache_control: more than ${MAX_CACHE_POINTS} breakpoints; the earliest ${extra} dropped`);
  return extra;
}

/**
 * The block of a mid-conversation system message that becomes user text: non-blank text, or the text of a
 * tool change (Claude Code's mid-conversation tool changes); any other block is dropped (warned).
 */
export function systemMessageText(b: ContentBlock, warn: (message: string) => void): TextBlock | undefined {
  if (isForeignBlock(b)) {
    const t = foreignBlockText(b, warn);
    return t && t.text.trim() !== "" ? t : undefined;
  }
  if (b.type !== "text") {
    warn(`messages: a system message held a ${b.type} block; dropped`);
    return undefined;
  }
  return b.text.trim() === "" ? undefined : b;
}

/**
 * A mid-conversation system message's text as user text, in place. Claude Code itself sends this form to
 * models without system messages (its `<system-reminder>` blocks); keeping the position keeps the cache
 * prefix: appended to `system` instead, each new system message would change the prompt's first block and
 * miss the cache for the whole conversation, and a cache breakpoint on it would land before every message.
 */
export function systemReminder(text: string): string {
  return `<system-reminder>\n${text}\n</system-reminder>`;
}

/**
 * Claude Code's first system block, `x-anthropic-billing-header: cc_version=...`, changes on every request
 * and is meant for Anthropic's edge alone; sent upstream it would defeat every cache breakpoint after it.
 */
export function isBillingHeader(b: TextBlock): boolean {
  return b.text.startsWith("x-anthropic-billing-header:");
}

/**
 * A user turn's blocks with its tool results first: Claude rejects a user turn whose tool results do not
 * come first, and a merged system reminder or a second user message can put text ahead of them. A block
 * for which `isCachePoint` holds moves with the block it follows. Returns `content` itself when the order
 * is already right.
 */
export function toolResultsFirst<T>(
  content: T[],
  isToolResult: (b: T) => boolean,
  isCachePoint: (b: T) => boolean,
): T[] {
  const first = content.findIndex(isToolResult);
  if (first < 0) return content;
  let i = 0;
  while (i < first && isCachePoint(content[i] as T)) i++;
  if (i === first) return content;
  const units: T[][] = [];
  for (const b of content) {
    const last = units.at(-1);
    if (isCachePoint(b) && last) last.push(b);
    else units.push([b]);
  }
  const results = units.filter((u) => u[0] !== undefined && isToolResult(u[0]));
  const rest = units.filter((u) => !(u[0] !== undefined && isToolResult(u[0])));
  return [...results, ...rest].flat();
}
