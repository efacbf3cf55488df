/**
 * Cuts text into pieces of bounded length before BPE, so that tokenizing costs time linear in the text.
 *
 * @module
 */
import { O200K_TOKEN_SPLIT_REGEX } from "gpt-tokenizer/encodingParams/constants";

/**
 * The o200k tokenizer's own pre-tokenizing expression (flags `gu`): BPE never merges across the pieces
 * it matches, so text cut between two of them counts exactly as it does whole.
 */
export const O200K_PIECES: RegExp = O200K_TOKEN_SPLIT_REGEX;

/**
 * Splits `text` where the tokenizer would be slow: every piece of `pieces` longer than `max` UTF-16 units
 * (`max` ≥ 2) becomes parts of at most `max` units (never cut within a surrogate pair), and the text
 * between such pieces stays whole.
 *
 * The BPE tokenizer merges byte pairs inside each piece of its pre-tokenizing expression in time
 * quadratic in the piece's length, so a run it cannot split (32,000 Chinese characters, a line of emoji,
 * 100,000 spaces) took seconds; text made of short pieces costs time linear in its length. Parts end
 * between pieces, where the count does not change, except inside a long piece, which costs about a token
 * per cut.
 *
 * The function refers to nothing outside itself: the tokenizer worker runs its source.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(splitRuns("one two three", 8, O200K_PIECES), ["one two three"]);
 * assert.deepEqual(splitRuns("go abcdefghij now", 4, O200K_PIECES), ["go", " abc", "defg", "hij", " now"]);
 * ```
 */
export function splitRuns(text: string, max: number, pieces: RegExp): string[] {
  if (text.length <= max) return [text];
  const parts: string[] = [];
  let start = 0;
  for (const match of text.matchAll(pieces)) {
    if (match[0].length <= max) continue;
    const end = match.index + match[0].length;
    if (match.index > start) parts.push(text.slice(start, match.index));
    start = match.index;
    while (end - start > max) {
      let cut = start + max;
      const c = text.charCodeAt(cut);
      if (c >= 0xdc00 && c <= 0xdfff && cut - 1 > start) cut--;
      parts.push(text.slice(start, cut));
      start = cut;
    }
    parts.push(text.slice(start, end));
    start = end;
  }
  if (start < text.length) parts.push(text.slice(start));
  return parts;
}
