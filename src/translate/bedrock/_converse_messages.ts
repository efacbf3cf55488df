/**
 * The conversation and system prompt of a Converse request: each message's blocks converted, turns of one
 * role merged, and the turn-level rules Bedrock enforces applied.
 *
 * - `role: "system"` messages become `<system-reminder>` user text in place (see `_request_rules.ts`);
 *   Claude Code's per-request billing-header system block is dropped.
 * - Consecutive same-role turns are merged; a conversation that starts with the assistant gets a leading
 *   user turn `"(continue)"`; blank text is skipped and an empty turn gets `"(empty)"`.
 * - Thinking blocks travel only with a real (Bedrock/Anthropic) signature and only to Claude; relayx-tagged
 *   or empty signatures are dropped, never invented.
 *
 * @module
 */
import type { ContentBlock, ForeignBlock, MessagesRequest, ServerToolBlock } from "../../anthropic/types.ts";
import { base64ToBytes } from "../_encoding.ts";
import { foreignBlockText, isForeignBlock } from "../foreign_blocks.ts";
import { isServerToolBlock } from "../prepare.ts";
import { isRelaySignature } from "../signature.ts";
import { safeIdentifier } from "../tool_names.ts";
import type {
  ConverseContentBlock,
  ConverseMessage,
  ConverseSystemBlock,
  JsonObject,
  JsonValue,
} from "./converse_types.ts";
import { type Builder, EMPTY } from "./_converse_builder.ts";
import { document, mediaOrNote, searchResultBlock, toolResult } from "./_converse_content.ts";
import {
  invalidRequest,
  isBillingHeader,
  systemMessageText,
  systemReminder,
  toolResultsFirst,
} from "./_request_rules.ts";

type Role = "user" | "assistant";

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function realSignature(signature: string): boolean {
  return signature !== "" && !isRelaySignature(signature);
}

/** Converts one block (server tool and foreign blocks excluded), appending to `content`; no cache point. */
function block(
  b: Exclude<ContentBlock, ServerToolBlock | ForeignBlock>,
  role: Role,
  path: string,
  out: Builder,
  content: ConverseContentBlock[],
): void {
  const { info } = out;
  switch (b.type) {
    case "text":
      if (b.text.trim() !== "") content.push({ text: b.text });
      return;
    case "image":
      content.push(...mediaOrNote(b.source, path, role, out));
      return;
    case "document":
      content.push(...document(b, path, { role, allowed: true }, out));
      return;
    case "search_result":
      content.push(searchResultBlock(b, info));
      return;
    case "tool_use": {
      if (!isJsonObject(b.input)) out.warn("tool_use.input: not a JSON object; sent as {}");
      const input: JsonValue = isJsonObject(b.input) ? b.input : {};
      content.push({ toolUse: { toolUseId: safeIdentifier(b.id), name: safeIdentifier(b.name), input } });
      return;
    }
    case "tool_result":
      content.push(toolResult(b, path, out));
      return;
    case "thinking":
      if (role === "assistant" && info.supportsReasoningHistory && realSignature(b.signature)) {
        content.push({ reasoningContent: { reasoningText: { text: b.thinking, signature: b.signature } } });
      }
      return;
    case "redacted_thinking":
      if (role === "assistant" && info.supportsReasoningHistory) {
        try {
          content.push({ reasoningContent: { redactedContent: base64ToBytes(b.data) } });
        } catch {
          out.warn("redacted_thinking: data is not base64; dropped");
        }
      }
      return;
    default: {
      const never: never = b;
      throw invalidRequest(`${path}: Unknown block ${JSON.stringify(never)}`);
    }
  }
}

/** Converts one message's blocks, appending to `content` (cache points included). */
function blocks(
  source: readonly ContentBlock[],
  role: Role,
  n: number,
  out: Builder,
  content: ConverseContentBlock[],
): void {
  // Nova rejects a cache point in a turn that carries tool results.
  const noCache = out.info.family === "nova" && source.some((b) => b.type === "tool_result");
  source.forEach((original, m) => {
    if (isServerToolBlock(original)) {
      out.warn(`${original.type}: server tool blocks cannot run on Bedrock; dropped`);
      return;
    }
    const b = isForeignBlock(original) ? foreignBlockText(original, out.warn) : original;
    if (b === undefined) return;
    block(b, role, `messages.${n}.content.${m}`, out, content);
    if (!noCache && b.type !== "thinking" && b.type !== "redacted_thinking") {
      out.cache(content, b.cache_control);
    }
  });
}

function systemReminders(source: readonly ContentBlock[], out: Builder): ContentBlock[] {
  const texts: ContentBlock[] = [];
  for (const b of source) {
    const t = systemMessageText(b, out.warn);
    if (t) texts.push({ type: "text", text: systemReminder(t.text), cache_control: t.cache_control });
  }
  return texts;
}

function isToolResult(b: ConverseContentBlock): boolean {
  return "toolResult" in b;
}

function isCachePoint(b: ConverseContentBlock): boolean {
  return "cachePoint" in b;
}

function hasContent(content: readonly ConverseContentBlock[]): boolean {
  return content.some((b) => !("cachePoint" in b));
}

/** The system prompt, billing header left out, with its cache points. */
export function systemBlocks(req: MessagesRequest, out: Builder): ConverseSystemBlock[] {
  const system: ConverseSystemBlock[] = [];
  for (const b of req.system ?? []) {
    if (isBillingHeader(b)) continue;
    if (b.text.trim() !== "") system.push({ text: b.text });
    if (system.length > 0) out.cache(system, b.cache_control);
  }
  return system;
}

function mergedTurns(req: MessagesRequest, out: Builder): ConverseMessage[] {
  const turns: ConverseMessage[] = [];
  req.messages.forEach((m, n) => {
    const role = m.role === "system" ? "user" : m.role;
    const content = m.role === "system" ? systemReminders(m.content, out) : m.content;
    const last = turns.at(-1);
    if (last && last.role === role) {
      blocks(content, role, n, out, last.content);
      return;
    }
    const turn: ConverseMessage = { role, content: [] };
    blocks(content, role, n, out, turn.content);
    turns.push(turn);
  });
  return turns;
}

/** Claude rejects a final assistant (prefill) turn that ends in whitespace. */
function trimPrefill(turns: ConverseMessage[]): void {
  const final = turns.at(-1);
  if (final?.role !== "assistant") return;
  const k = final.content.findLastIndex((b) => !("cachePoint" in b));
  const b = final.content[k];
  if (!b || !("text" in b)) return;
  const trimmed = b.text.trimEnd();
  if (trimmed === "") final.content.splice(k, 1);
  else final.content[k] = { text: trimmed };
  if (!hasContent(final.content)) turns.pop();
}

/** The messages of a Converse request, with their cache points. */
export function conversation(req: MessagesRequest, out: Builder): ConverseMessage[] {
  const turns = mergedTurns(req, out);
  for (const turn of turns) {
    if (turn.role === "user") turn.content = toolResultsFirst(turn.content, isToolResult, isCachePoint);
    if (!hasContent(turn.content)) turn.content.unshift({ text: EMPTY });
    // Bedrock: "a message with a document must also contain a text block".
    if (turn.content.some((b) => "document" in b) && !turn.content.some((b) => "text" in b)) {
      turn.content.push({ text: "(see the attached document)" });
    }
  }
  trimPrefill(turns);
  if (turns[0]?.role !== "user") turns.unshift({ role: "user", content: [{ text: "(continue)" }] });
  return turns;
}
