/**
 * Random ids in Anthropic's shapes (`msg_`, `toolu_`, `req_` + base62). Translators never call this:
 * they get an {@linkcode IdSource}, so tests can inject fixed ids.
 *
 * @module
 */
import type { IdSource } from "./translate/id_source.ts";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A random base62 string of `length` characters. */
export function randomBase62(length = 24): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let s = "";
  for (const b of bytes) s += ALPHABET[b % 62];
  return s;
}

/** A fresh request id (`req_...`). */
export function requestId(): string {
  return `req_${randomBase62()}`;
}

/** Ids from the system's random source. */
export const randomIds: IdSource = {
  messageId: () => `msg_${randomBase62()}`,
  toolUseId: () => `toolu_${randomBase62()}`,
};

/** Deterministic ids for tests: `msg_0001`, `toolu_0001`, ... */
export function sequentialIds(): IdSource {
  let m = 0;
  let t = 0;
  return {
    messageId: () => `msg_${String(++m).padStart(4, "0")}`,
    toolUseId: () => `toolu_${String(++t).padStart(4, "0")}`,
  };
}
