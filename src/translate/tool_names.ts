/**
 * Tool names and tool ids that break an upstream's rules (OpenAI and Bedrock: 1-64 characters of
 * `[a-zA-Z0-9_-]`) are aliased deterministically and restored on the way back, without state.
 *
 * @module
 */
import { shortHash } from "./_encoding.ts";

const VALID = /^[a-zA-Z0-9_-]+$/;

/**
 * A deterministic alias for a name or id that must match `[a-zA-Z0-9_-]` and be at most `maxLength`
 * characters long (64 by default; OpenAI's tool call ids 40). Valid ones are returned as they are.
 */
export function safeIdentifier(name: string, maxLength = 64): string {
  if (name.length <= maxLength && VALID.test(name)) return name;
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, "_");
  // The hash of the original keeps two names that clean to the same text apart.
  return `${cleaned.slice(0, maxLength - 9)}_${shortHash(name)}`;
}

/** Upstream-safe names for a request's tools, and the way back. */
export interface ToolNameMap {
  /** The name to send upstream. */
  toUpstream(name: string): string;
  /** The client's name for a name the upstream returned (unknown names pass through). */
  fromUpstream(name: string): string;
}

/** Builds the alias map for the tool names of one request. */
export function toolNameMap(names: Iterable<string>): ToolNameMap {
  const back = new Map<string, string>();
  for (const name of names) {
    const alias = safeIdentifier(name);
    if (alias !== name) back.set(alias, name);
  }
  return {
    toUpstream: (name) => safeIdentifier(name),
    fromUpstream: (name) => back.get(name) ?? name,
  };
}
