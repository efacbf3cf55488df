/**
 * Reasoning a provider needs back on later turns (DeepSeek `reasoning_content`, OpenRouter
 * `reasoning_details`, Gemini thought signatures): reading it from responses, and collecting it in a stream
 * until a thinking block's signature carries it to the client (`../signature.ts` packs it, the request
 * translator restores it).
 *
 * @module
 */
import type { CarriedReasoning } from "../signature.ts";
import { isRecord } from "../_json.ts";

/**
 * The readable text inside OpenRouter `reasoning_details` (encrypted items have none).
 *
 * @example
 * ```ts
 * detailsText([{ type: "reasoning.text", text: "Because" }, { type: "reasoning.encrypted", data: "..." }]);
 * // "Because"
 * ```
 */
export function detailsText(details: readonly unknown[]): string {
  let text = "";
  for (const d of details) {
    if (!isRecord(d)) continue;
    if (d.type === "reasoning.text" && typeof d.text === "string") text += d.text;
    else if (d.type === "reasoning.summary" && typeof d.summary === "string") text += d.summary;
  }
  return text;
}

/**
 * Gemini's thought signature on a tool call (`extra_content.google.thought_signature`), if any.
 *
 * @example
 * ```ts
 * thoughtSignatureOf({ id: "c1", extra_content: { google: { thought_signature: "CiQB..." } } }); // "CiQB..."
 * ```
 */
export function thoughtSignatureOf(toolCall: Record<string, unknown>): string | undefined {
  const extra = toolCall.extra_content;
  if (!isRecord(extra) || !isRecord(extra.google)) return undefined;
  const sig = extra.google.thought_signature;
  return typeof sig === "string" && sig !== "" ? sig : undefined;
}

/** Reasoning text and OpenRouter details collected for one signature. */
interface Carry {
  reasoning: string[];
  details: Record<string, unknown>[];
}

/**
 * What the next thinking block's signature carries in a stream. Data of the current segment goes into
 * the next signature; data held out of sight (the client asked for no thinking) goes only into the one
 * before the first tool call, the only turns that need it back.
 */
export class ReasoningCarry {
  #segment: Carry = { reasoning: [], details: [] };
  #held: Carry = { reasoning: [], details: [] };
  #signatures: Record<string, string> = {};
  #signatureCount = 0;

  /** Reasoning text for the next signature. */
  addReasoning(text: string): void {
    this.#segment.reasoning.push(text);
  }

  /** Reasoning text the client does not see, kept in case a tool call needs it carried. */
  holdReasoning(text: string): void {
    this.#held.reasoning.push(text);
  }

  /** OpenRouter `reasoning_details` fragments: for the next signature when `shown`, else held. */
  addDetails(items: unknown[], shown: boolean): void {
    mergeDetails(shown ? this.#segment.details : this.#held.details, items);
  }

  /** A tool call's thought signature (the last one per id wins). */
  addSignature(id: string, signature: string): void {
    if (this.#signatures[id] === undefined) this.#signatureCount++;
    this.#signatures[id] = signature;
  }

  /** True when something waits to be carried; held data counts only `withHeld`. */
  waiting(withHeld: boolean): boolean {
    const held = withHeld && (this.#held.reasoning.length > 0 || this.#held.details.length > 0);
    return held || this.#segment.reasoning.length > 0 || this.#segment.details.length > 0 ||
      this.#signatureCount > 0;
  }

  /** What a signature carries now (with the held data when `withHeld`); starts a new segment. */
  take(withHeld: boolean): CarriedReasoning {
    const payload: CarriedReasoning = {};
    const reasoning = withHeld
      ? [...this.#segment.reasoning, ...this.#held.reasoning]
      : this.#segment.reasoning;
    const details = withHeld ? [...this.#segment.details, ...this.#held.details] : this.#segment.details;
    if (reasoning.length > 0) payload.reasoning = reasoning.join("");
    if (details.length > 0) payload.details = details;
    if (this.#signatureCount > 0) payload.thoughtSignatures = this.#signatures;
    this.#segment = { reasoning: [], details: [] };
    if (withHeld) this.#held = { reasoning: [], details: [] };
    this.#signatures = {};
    this.#signatureCount = 0;
    return payload;
  }
}

/** Appends OpenRouter `reasoning_details` fragments, merging consecutive pieces of the same item. */
function mergeDetails(into: Record<string, unknown>[], items: unknown[]): void {
  for (const item of items) {
    if (!isRecord(item)) continue;
    const last = into[into.length - 1];
    if (last !== undefined && last.type === item.type && last.index === item.index) {
      for (const [k, v] of Object.entries(item)) {
        const prev = last[k];
        if (
          (k === "text" || k === "summary" || k === "data") && typeof v === "string" &&
          typeof prev === "string"
        ) {
          last[k] = prev + v;
        } else if (v !== null && v !== undefined) last[k] = v;
      }
    } else into.push({ ...item });
  }
}
