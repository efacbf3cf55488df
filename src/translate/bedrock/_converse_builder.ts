/**
 * The state of one Converse translation: the model's capabilities, warnings (each once), the cache points
 * placed so far, and the document names taken.
 *
 * @module
 */
import type { CacheControl } from "../../anthropic/types.ts";
import { warnOnce } from "../_warn.ts";
import type { BedrockModelInfo } from "./bedrock_models.ts";
import type { CachePoint } from "./converse_types.ts";
import { excessBreakpoints } from "./_request_rules.ts";

/** The text of a turn, tool result or search result that would otherwise be empty (Bedrock rejects those). */
export const EMPTY = "(empty)";

/** A cache point placed in a list (a message's content, the system prompt, the tools). */
interface CacheSlot {
  list: unknown[];
  item: unknown;
}

/** The state of one Converse translation. */
export class Builder {
  /** The model's capabilities. */
  readonly info: BedrockModelInfo;
  /** Records a dropped or changed field, once per message. */
  readonly warn: (message: string) => void;
  /** The cache points placed, to be kept in Anthropic's prefix order (tools, system, messages). */
  readonly cacheSlots: CacheSlot[] = [];
  readonly #docNames = new Set<string>();
  #docCount = 0;

  /** A translation for a model with `info`, passing each distinct warning to `warn` once. */
  constructor(info: BedrockModelInfo, warn: (message: string) => void) {
    this.info = info;
    this.warn = warnOnce(warn);
  }

  /** Appends a cache point to `list` when the block asked for one and the model takes them. */
  cache(list: unknown[], cc: CacheControl | null | undefined): void {
    if (!cc || !this.info.supportsCachePoints) return;
    const point: CachePoint = cc.ttl === "1h" && this.info.supportsCacheTtl
      ? { type: "default", ttl: "1h" }
      : { type: "default" };
    const item = { cachePoint: point };
    list.push(item);
    this.cacheSlots.push({ list, item });
  }

  /** Drops the earliest cache points beyond Bedrock's limit (warned). */
  trimCachePoints(): void {
    const extra = excessBreakpoints(this.cacheSlots.length, this.warn);
    if (extra === 0) return;
    for (const { list, item } of this.cacheSlots.slice(0, extra)) list.splice(list.indexOf(item), 1);
  }

  /** A name for a document, unique in the request and made only of the characters Bedrock allows. */
  documentName(title: string | null | undefined): string {
    this.#docCount++;
    // Bedrock allows only alphanumerics, single spaces, hyphens, parentheses and square brackets.
    const clean = (title ?? "").replace(/[^a-zA-Z0-9\-()[\] ]+/g, " ").replace(/ {2,}/g, " ").trim().slice(
      0,
      100,
    );
    const base = clean === "" ? `document-${this.#docCount}` : clean;
    let name = base;
    for (let n = 2; this.#docNames.has(name); n++) name = `${base} (${n})`;
    this.#docNames.add(name);
    return name;
  }
}
