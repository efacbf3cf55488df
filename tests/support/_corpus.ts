/**
 * The pieces the bad-input corpus is built from: the captured requests, the seeded generator, and what
 * each case expects.
 *
 * @module
 */
import afterCompaction from "../testdata/claude_code/request_after_compaction.json" with { type: "json" };
import basic from "../testdata/claude_code/request_basic.json" with { type: "json" };
import compaction from "../testdata/claude_code/request_compaction.json" with { type: "json" };
import haiku from "../testdata/claude_code/request_haiku_4_5.json" with { type: "json" };
import image from "../testdata/claude_code/request_image.json" with { type: "json" };
import toolResult from "../testdata/claude_code/request_tool_result.json" with { type: "json" };
import toolSearch from "../testdata/claude_code/request_tool_search.json" with { type: "json" };

/** A JSON object. */
export type Json = Record<string, unknown>;

/**
 * What relayx must answer.
 *
 * - `reject`: relayx itself refuses it, with `status` and a message that starts with `field` (the path of
 *   the bad field, `body` for the body as a whole).
 * - `accept`: a valid request, maybe of a newer shape: a normal answer.
 * - `either`: relayx forwards it and the upstream decides, as the real service would: a normal answer or
 *   a 4xx, in Anthropic's envelope.
 */
export type Expectation =
  | { kind: "reject"; status: number; field: string }
  | { kind: "accept" }
  | { kind: "either" };

/** One request of the corpus. */
export interface BadInput {
  /** What was done to the request (unique in the corpus). */
  name: string;
  /** The route it goes to. */
  path: "/v1/messages" | "/v1/messages/count_tokens";
  /** The raw body: JSON text, text that is not JSON, or bytes that are not UTF-8. */
  body: string | Uint8Array<ArrayBuffer>;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** What relayx must answer. */
  expect: Expectation;
}

/** The captured requests the corpus mutates, by name. */
export const BASES: Readonly<Record<string, Json>> = {
  basic,
  afterCompaction,
  compaction,
  haiku,
  image,
  toolResult,
  toolSearch,
};

/** A place of a content block in a request: `messages.i.content.j`. */
export interface Spot {
  i: number;
  j: number;
  block: Json;
}

/** What a mutation builds cases with. */
export class Gen {
  readonly cases: BadInput[] = [];
  #state: number;

  constructor(seed: number) {
    this.#state = seed;
  }

  /** A uniform number in [0, 1) (mulberry32). */
  random(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.#state ^ (this.#state >>> 15), 1 | this.#state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("pick() from an empty list");
    return item;
  }

  /** A fresh copy of a captured request (one with a block of `type` when given), streamed or not. */
  base(type?: string): { name: string; body: Json } {
    const names = Object.keys(BASES).filter((n) => !type || spots(BASES[n]!, type).length > 0);
    const name = this.pick(names);
    const body = structuredClone(BASES[name]!);
    body.stream = this.random() < 0.7;
    return { name, body };
  }

  /** Adds a case; a body object is serialised. */
  add(
    name: string,
    body: Json | string | Uint8Array<ArrayBuffer>,
    expect: Expectation,
    opts: { path?: BadInput["path"]; headers?: Record<string, string> } = {},
  ): void {
    const raw = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
    const path = opts.path ?? "/v1/messages";
    this.cases.push({ name: `${this.cases.length} ${name}`, path, body: raw, headers: opts.headers, expect });
  }
}

/** The messages of a request. */
export function messagesOf(body: Json): Json[] {
  return body.messages as Json[];
}

/** Every content block of `type` (any type when absent) in array content, with its place. */
export function spots(body: Json, type?: string): Spot[] {
  const out: Spot[] = [];
  messagesOf(body).forEach((m, i) => {
    if (!Array.isArray(m.content)) return;
    (m.content as Json[]).forEach((block, j) => {
      if (!type || block.type === type) out.push({ i, j, block });
    });
  });
  return out;
}

/** A 400 naming `field`. */
export function rejects(field: string, status = 400): Expectation {
  return { kind: "reject", status, field };
}

/** A normal answer. */
export const ACCEPT: Expectation = { kind: "accept" };

/** Whatever the upstream says, as long as it is a normal answer or a 4xx. */
export const EITHER: Expectation = { kind: "either" };
