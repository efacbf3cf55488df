/**
 * Where a thinking signature came from, when relayx runs several backends. A signature is valid only on
 * the upstream that made it: Bedrock's Claude rejects Anthropic's, z.ai rejects Bedrock's (400 "Invalid
 * signature"), and relayx's own (`signature.ts`) carry one provider's reasoning state. Real signatures
 * from Bedrock and from an Anthropic-format upstream look alike, so relayx tags every signature it hands
 * the client with the backend that made it, and on the way back:
 * - to that backend, the tag comes off: the upstream gets its signature byte for byte as it issued it;
 * - to any other backend, the block is dropped (its reasoning cannot be proved there, and Anthropic-format
 *   upstreams reject unsigned thinking), and the drop is reported once per request.
 *
 * The tag is `relayx1.o.<backend>.<signature>` (the backend name percent-encoded, dots included), and
 * the same on `redacted_thinking` data. It begins with relayx's own prefix on purpose: a backend that
 * meets a tagged signature without the router (a relayx restarted with one backend) treats it as
 * relayx's, which never reaches Anthropic or Bedrock as a real one. Untagged signatures (history from
 * before, or from Anthropic directly) pass as they are. With one backend nothing is tagged.
 *
 * @module
 */
import type { ContentBlock, Message } from "../anthropic/types.ts";
import type { MessageResponse, ResponseBlock } from "../anthropic/message_response.ts";
import type { StreamEvent } from "../anthropic/stream_event.ts";

const PREFIX = "relayx1.o.";

function encodeName(backend: string): string {
  // Dots separate the tag's parts, so they are encoded too; the rest is a URI component.
  return encodeURIComponent(backend).replaceAll(".", "%2E");
}

/**
 * Tags a signature (or `redacted_thinking` data) with the backend that made it. An empty signature
 * stays empty: there is nothing to prove.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(tagOrigin("EqQBCkgIARABGAIiQL", "bedrock"), "relayx1.o.bedrock.EqQBCkgIARABGAIiQL");
 * assert.equal(tagOrigin("", "bedrock"), "");
 * ```
 */
export function tagOrigin(signature: string, backend: string): string {
  return signature === "" ? "" : `${PREFIX}${encodeName(backend)}.${signature}`;
}

/** A tagged signature, taken apart. */
export interface Origin {
  /** The backend that made it. */
  backend: string;
  /** The signature as that backend's upstream issued it. */
  signature: string;
}

/**
 * Takes a tagged signature apart; `undefined` for an untagged one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(readOrigin("relayx1.o.glm%2E2.sig"), { backend: "glm.2", signature: "sig" });
 * assert.equal(readOrigin("EqQBCkgIARABGAIiQL"), undefined);
 * ```
 */
export function readOrigin(signature: string): Origin | undefined {
  if (!signature.startsWith(PREFIX)) return undefined;
  const dot = signature.indexOf(".", PREFIX.length);
  if (dot < 0) return undefined;
  try {
    return {
      backend: decodeURIComponent(signature.slice(PREFIX.length, dot)),
      signature: signature.slice(dot + 1),
    };
  } catch {
    return undefined;
  }
}

/** What {@linkcode historyFor} made of a request's history. */
export interface HistoryForBackend<T> {
  /** The request with the target's own signatures untagged and other backends' thinking dropped. */
  request: T;
  /** Thinking and redacted_thinking blocks dropped, by the backend that made them. */
  dropped: Record<string, number>;
}

function tagged(b: ContentBlock): boolean {
  return (b.type === "thinking" && b.signature.startsWith(PREFIX)) ||
    (b.type === "redacted_thinking" && b.data.startsWith(PREFIX));
}

// The block for `backend`, or undefined when it belongs to another (counted in `dropped`).
function blockFor(
  b: ContentBlock,
  backend: string,
  dropped: Record<string, number>,
): ContentBlock | undefined {
  if (b.type !== "thinking" && b.type !== "redacted_thinking") return b;
  const origin = readOrigin(b.type === "thinking" ? b.signature : b.data);
  if (origin === undefined) return b;
  if (origin.backend !== backend) {
    dropped[origin.backend] = (dropped[origin.backend] ?? 0) + 1;
    return undefined;
  }
  return b.type === "thinking" ? { ...b, signature: origin.signature } : { ...b, data: origin.signature };
}

/**
 * The history as `backend` may receive it: thinking signed by it gets its own signature back, thinking
 * and redacted_thinking tagged by another backend is dropped. Untagged blocks and everything else pass
 * unchanged; a request with nothing tagged is returned as it is. The input is not modified.
 *
 * @example A Bedrock signature goes back to Bedrock, and not to z.ai
 * ```ts
 * import assert from "node:assert/strict";
 * import type { MessagesRequest } from "../anthropic/types.ts";
 *
 * const request: MessagesRequest = {
 *   model: "claude-sonnet-4-5",
 *   max_tokens: 1024,
 *   messages: [
 *     { role: "user", content: [{ type: "text", text: "2+2?" }] },
 *     {
 *       role: "assistant",
 *       content: [
 *         { type: "thinking", thinking: "Add.", signature: tagOrigin("EqQB", "bedrock") },
 *         { type: "text", text: "4" },
 *       ],
 *     },
 *     { role: "user", content: [{ type: "text", text: "And 2+3?" }] },
 *   ],
 * };
 * const home = historyFor(request, "bedrock");
 * assert.deepEqual(home.request.messages[1]?.content[0], { type: "thinking", thinking: "Add.", signature: "EqQB" });
 * const away = historyFor(request, "glm");
 * assert.deepEqual(away.request.messages[1]?.content, [{ type: "text", text: "4" }]);
 * assert.deepEqual(away.dropped, { bedrock: 1 });
 * ```
 */
export function historyFor<T extends { messages: Message[] }>(
  request: T,
  backend: string,
): HistoryForBackend<T> {
  const dropped: Record<string, number> = {};
  if (!request.messages.some((m) => m.content.some(tagged))) return { request, dropped };
  const messages = request.messages.map((m): Message => {
    if (!m.content.some(tagged)) return m;
    const content: ContentBlock[] = [];
    for (const b of m.content) {
      const kept = blockFor(b, backend, dropped);
      if (kept) content.push(kept);
    }
    return { ...m, content };
  });
  return { request: { ...request, messages }, dropped };
}

/**
 * The one warning line for what {@linkcode historyFor} dropped, or `undefined` when it dropped nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   droppedWarning({ bedrock: 2 }, "glm"),
 *   'thinking: 2 blocks from backend "bedrock" dropped for backend "glm" (a signature is valid only where it was made)',
 * );
 * assert.equal(droppedWarning({}, "glm"), undefined);
 * ```
 */
export function droppedWarning(
  dropped: Readonly<Record<string, number>>,
  target: string,
): string | undefined {
  const parts = Object.entries(dropped).map(([name, n]) =>
    `${n} ${n === 1 ? "block" : "blocks"} from backend ${JSON.stringify(name)}`
  );
  if (parts.length === 0) return undefined;
  return `thinking: ${parts.join(", ")} dropped for backend ${JSON.stringify(target)}` +
    " (a signature is valid only where it was made)";
}

function tagBlock(b: ResponseBlock, backend: string): ResponseBlock {
  switch (b.type) {
    case "thinking":
      return b.signature === "" ? b : { ...b, signature: tagOrigin(b.signature, backend) };
    case "redacted_thinking":
      return { ...b, data: tagOrigin(b.data, backend) };
    case "text":
    case "tool_use":
    case "server_tool_use":
    case "web_search_tool_result":
      return b;
    default: {
      const never: never = b;
      return never;
    }
  }
}

/**
 * A response with its signatures tagged as `backend`'s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { MessageResponse } from "../anthropic/message_response.ts";
 *
 * const message: MessageResponse = {
 *   id: "msg_1",
 *   type: "message",
 *   role: "assistant",
 *   model: "claude-sonnet-4-5",
 *   content: [{ type: "thinking", thinking: "Add.", signature: "EqQB" }, { type: "text", text: "4" }],
 *   stop_reason: "end_turn",
 *   stop_sequence: null,
 *   usage: { input_tokens: 5, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
 * };
 * assert.deepEqual(tagResponse(message, "bedrock").content[0], {
 *   type: "thinking",
 *   thinking: "Add.",
 *   signature: "relayx1.o.bedrock.EqQB",
 * });
 * ```
 */
export function tagResponse(message: MessageResponse, backend: string): MessageResponse {
  if (!message.content.some((b) => b.type === "thinking" || b.type === "redacted_thinking")) return message;
  return { ...message, content: message.content.map((b) => tagBlock(b, backend)) };
}

/**
 * A stream event with its signature tagged as `backend`'s: `signature_delta` (which replaces the
 * block's signature, so each one is tagged whole), a signature a thinking block's `content_block_start`
 * already carries, and a `redacted_thinking` block's data. Other events are returned as they are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   tagEvent({ type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "EqQB" } }, "b"),
 *   { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "relayx1.o.b.EqQB" } },
 * );
 * ```
 */
export function tagEvent(event: StreamEvent, backend: string): StreamEvent {
  if (event.type === "content_block_delta" && event.delta.type === "signature_delta") {
    return { ...event, delta: { ...event.delta, signature: tagOrigin(event.delta.signature, backend) } };
  }
  if (
    event.type === "content_block_start" && event.content_block.type === "thinking" &&
    event.content_block.signature !== ""
  ) {
    return {
      ...event,
      content_block: { ...event.content_block, signature: tagOrigin(event.content_block.signature, backend) },
    };
  }
  if (event.type === "content_block_start" && event.content_block.type === "redacted_thinking") {
    return {
      ...event,
      content_block: { ...event.content_block, data: tagOrigin(event.content_block.data, backend) },
    };
  }
  return event;
}
