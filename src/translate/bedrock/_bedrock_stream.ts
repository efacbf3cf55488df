/**
 * What the two Bedrock stream translators (Converse and Invoke) share: their options, the opening
 * `message_start`, and the wrapper that turns their state machines into a {@linkcode StreamTranslator}.
 *
 * @module
 */
import type { StreamEvent } from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import { messageStartEvent } from "../message.ts";
import { stateTranslator, type StreamState, type StreamTranslator } from "../stream_translator.ts";
import type { FromBedrockOptions } from "./from_converse.ts";

/** Options for the Bedrock stream translators. */
export interface BedrockStreamOptions extends FromBedrockOptions {
  /** relayx's estimate of the prompt's tokens, reported in `message_start` until Bedrock's figures arrive. */
  inputEstimate: number;
  /** The model's context window, for an overflow error that states no figures. */
  contextWindow?: number;
}

/**
 * The `message_start` event every Bedrock stream translator opens with: relayx's estimate of the prompt
 * until Bedrock's figures arrive.
 */
export function messageStart(opts: BedrockStreamOptions): StreamEvent {
  return messageStartEvent(opts, {
    input_tokens: opts.inputEstimate,
    output_tokens: 1,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  });
}

/** A Bedrock stream's state machine, which can also end a message whose upstream stopped early. */
export interface BedrockStreamState extends StreamState {
  /**
   * The upstream ended before the message was complete: sends what completes it.
   *
   * @throws {RelayError} when the upstream ended before its stop reason, too early to make a message.
   */
  end(out: StreamEvent[]): void;
}

/** Wraps a Bedrock stream state machine as a {@linkcode StreamTranslator}. */
export function bedrockStreamTranslator(state: BedrockStreamState): StreamTranslator {
  return stateTranslator(state, (out) => state.end(out));
}

/** The error for an upstream that ended before `what`, the event that carries its stop reason. */
export function streamEndedBefore(what: string): RelayError {
  return new RelayError("api_error", `Bedrock stream ended before ${what}`, { shouldRetry: true });
}
