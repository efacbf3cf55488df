/**
 * The Anthropic Messages API as discriminated unions: relayx's internal language.
 *
 * Requests arrive in it, responses leave in it, and every backend translates to and
 * from it. Only the fields relayx reads are typed precisely; the rest stay `unknown`.
 * This module gathers what defines it: content blocks (and the blocks of beta features), request bodies,
 * response messages and stream events.
 *
 * @module
 */
export * from "./content_block.ts";
export * from "./beta_blocks.ts";
export type * from "./messages_request.ts";
export type * from "./message_response.ts";
export type * from "./stream_event.ts";
