/**
 * Where translators get the ids they must invent. Injected, so that translation output is
 * snapshot-stable; `src/ids.ts` has the random source the server uses.
 *
 * @module
 */

/** Where generated ids come from; injected so that translation output is snapshot-stable. */
export interface IdSource {
  /** A new `msg_...` id. */
  messageId(): string;
  /** A new `toolu_...` id, for upstreams that return tool calls without one. */
  toolUseId(): string;
}
