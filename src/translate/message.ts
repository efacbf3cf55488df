/**
 * The two message envelopes every response translator builds: a complete message and the
 * `message_start` event that opens a stream. One place, so that the field set cannot drift apart
 * between upstreams.
 *
 * @module
 */
import type { MessageResponse, ResponseBlock, StopReason, StreamEvent, Usage } from "../anthropic/types.ts";

/** Who a message is from: relayx's message id and the model name the client asked for. */
export interface MessageIdentity {
  /** The Anthropic message id to report. */
  messageId: string;
  /** The model name the client asked for, echoed back. */
  model: string;
}

/** Why a message ended. */
export interface MessageStop {
  /** The Anthropic stop reason. */
  stop_reason: StopReason;
  /** The stop sequence that matched, if one did. */
  stop_sequence: string | null;
}

/**
 * A complete assistant message.
 *
 * @example
 * ```ts
 * const usage = { input_tokens: 10, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
 * assistantMessage({ messageId: "msg_1", model: "claude-sonnet-4-5" }, [{ type: "text", text: "Hi" }],
 *   { stop_reason: "end_turn", stop_sequence: null }, usage);
 * ```
 */
export function assistantMessage(
  who: MessageIdentity,
  content: ResponseBlock[],
  stop: MessageStop,
  usage: Usage,
): MessageResponse {
  return {
    id: who.messageId,
    type: "message",
    role: "assistant",
    model: who.model,
    content,
    stop_reason: stop.stop_reason,
    stop_sequence: stop.stop_sequence,
    usage,
  };
}

/**
 * The `message_start` event of a stream: no content yet, and the usage known so far.
 *
 * @example
 * ```ts
 * const usage = { input_tokens: 1200, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
 * messageStartEvent({ messageId: "msg_1", model: "claude-sonnet-4-5" }, usage);
 * ```
 */
export function messageStartEvent(who: MessageIdentity, usage: Usage): StreamEvent {
  return {
    type: "message_start",
    message: {
      id: who.messageId,
      type: "message",
      role: "assistant",
      model: who.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    },
  };
}
