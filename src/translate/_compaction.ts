/**
 * Server-side compaction for upstreams that know nothing of it: Anthropic drops every message block
 * before the last `compaction` block that holds a summary, so relayx does the same before translating.
 *
 * @module
 */
import type { ContentBlock, Message } from "../anthropic/types.ts";

function isSummary(b: ContentBlock): boolean {
  // A null or empty summary is a failed compaction, which Anthropic treats as a no-op.
  return b.type === "compaction" && !!b.content;
}

/**
 * The conversation from its last compaction summary on; `messages` itself when it has none. The summary
 * opens the conversation as a user turn (where Claude Code puts its own summaries): it sits in an assistant
 * turn when Anthropic produced it, and a conversation that opens with the assistant is a prefill to some
 * upstreams.
 */
export function afterCompaction(messages: Message[]): Message[] {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    const k = m ? m.content.findLastIndex(isSummary) : -1;
    if (m === undefined || k < 0) continue;
    const [summary, ...rest] = m.content.slice(k);
    const head: Message[] = m.role === "user" || summary === undefined
      ? [{ role: m.role, content: m.content.slice(k) }]
      : [{ role: "user", content: [summary] }, ...(rest.length ? [{ role: m.role, content: rest }] : [])];
    return [...head, ...messages.slice(i + 1)];
  }
  return messages;
}
