/**
 * Who sent a request, as far as its headers say: the Claude Code session and the client program. Both are
 * names the client chose, so they are cut to printable ASCII of a bounded length before they reach a log
 * line or the usage database.
 *
 * @module
 */

/** The caller's names; a header that is absent or empty gives no field. */
export interface Caller {
  /** Claude Code's session id (`X-Claude-Code-Session-Id`). */
  session_id?: string;
  /** The client program and version: the first product of `User-Agent` (`claude-cli/2.1.3`). */
  client?: string;
}

const MAX_SESSION = 128;
const MAX_CLIENT = 64;

// Printable ASCII without spaces: what a session id or a product token is made of.
function _name(value: string | null, max: number): string | undefined {
  const cleaned = value?.trim().split(/\s/, 1)[0]?.replace(/[^\x21-\x7e]/g, "").slice(0, max);
  return cleaned ? cleaned : undefined;
}

/**
 * The session id and client of a request, from its headers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const headers = new Headers({
 *   "user-agent": "claude-cli/2.1.3 (external, cli)",
 *   "x-claude-code-session-id": "8b0e5c3a-7f4e-4a0e-9c55-2f1d8f0b6a11",
 * });
 * assert.deepEqual(callerOf(headers), {
 *   session_id: "8b0e5c3a-7f4e-4a0e-9c55-2f1d8f0b6a11",
 *   client: "claude-cli/2.1.3",
 * });
 * assert.deepEqual(callerOf(new Headers()), {});
 * ```
 */
export function callerOf(headers: Headers): Caller {
  const caller: Caller = {};
  const session = _name(headers.get("x-claude-code-session-id"), MAX_SESSION);
  if (session) caller.session_id = session;
  const client = _name(headers.get("user-agent"), MAX_CLIENT);
  if (client) caller.client = client;
  return caller;
}
