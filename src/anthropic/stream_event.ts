/**
 * The server-sent events of a streamed response, as discriminated unions.
 *
 * @module
 */
import type { RedactedThinkingBlock } from "./content_block.ts";
import type {
  ErrorType,
  MessageResponse,
  ServerToolUsage,
  StopReason,
  WebSearchToolResultBlock,
} from "./message_response.ts";

/** A content block as it is announced in `content_block_start`. */
export type StartBlock =
  | { type: "text"; text: "" }
  | { type: "tool_use"; id: string; name: string; input: Record<string, never> }
  // Anthropic starts with an empty signature and sends it in a signature_delta; some upstreams that speak
  // its format put it here already.
  | { type: "thinking"; thinking: ""; signature: string }
  | RedactedThinkingBlock
  | { type: "server_tool_use"; id: string; name: string; input: Record<string, never> }
  | WebSearchToolResultBlock;

/** An incremental update to the open content block. */
export type BlockDelta =
  | { type: "text_delta"; text: string }
  | { type: "input_json_delta"; partial_json: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "signature_delta"; signature: string };

/** Usage fields a `message_delta` may carry; they overwrite what `message_start` said. */
export interface DeltaUsage {
  /** Output tokens so far (the final figure in the last `message_delta`). */
  output_tokens: number;
  /** Input tokens, when the upstream reported them only at the end. */
  input_tokens?: number;
  /** Input tokens written to the prompt cache, when reported at the end. */
  cache_creation_input_tokens?: number;
  /** Input tokens read from the prompt cache, when reported at the end. */
  cache_read_input_tokens?: number;
  /** How many of the output tokens were thinking, when the upstream says. */
  output_tokens_details?: { thinking_tokens: number } | null;
  /** The server tools run for this answer, in the final `message_delta`. */
  server_tool_use?: ServerToolUsage;
}

/** One server-sent event of a streamed response. */
export type StreamEvent =
  | {
    type: "message_start";
    message: Omit<MessageResponse, "content" | "stop_reason" | "stop_sequence"> & {
      content: [];
      stop_reason: null;
      stop_sequence: null;
    };
  }
  | { type: "content_block_start"; index: number; content_block: StartBlock }
  | { type: "content_block_delta"; index: number; delta: BlockDelta }
  | { type: "content_block_stop"; index: number }
  | {
    type: "message_delta";
    delta: { stop_reason: StopReason | null; stop_sequence: string | null };
    usage: DeltaUsage;
  }
  | { type: "message_stop" }
  | { type: "ping" }
  | { type: "error"; error: { type: ErrorType; message: string } };
