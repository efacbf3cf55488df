/**
 * A generated corpus of bad (and newer-but-valid) requests, mutated deterministically from the captured
 * Claude Code requests in `tests/testdata/claude_code/`: wrong types, missing fields, sizes, nesting,
 * Unicode edge cases, truncated bodies, unknown block types and fields, wrong roles, empty content,
 * duplicated tool ids. The same seed always gives the same corpus; each case says what relayx must answer.
 *
 * @module
 */
import { type BadInput, Gen } from "./_corpus.ts";
import { STRUCTURAL } from "./_mutations.ts";
import { NEWER } from "./_mutations_newer.ts";
import { RAW } from "./_mutations_raw.ts";

export type { BadInput, Expectation } from "./_corpus.ts";

/**
 * The corpus for `seed`: every mutation family applied to randomly chosen captured requests.
 *
 * @example
 * ```ts
 * const corpus = badInputs(9);
 * console.log(corpus.length, corpus[0]?.name);
 * ```
 */
export function badInputs(seed = 9): BadInput[] {
  const gen = new Gen(seed);
  for (const mutate of [...STRUCTURAL, ...RAW, ...NEWER]) mutate(gen);
  return gen.cases;
}
