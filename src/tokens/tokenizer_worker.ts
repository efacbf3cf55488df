/**
 * The tokenizer worker's program, as a `data:` URL.
 *
 * A worker loaded from a file needs `--allow-read` (Deno checks a worker's script like a dynamic import),
 * and relayx runs with `--allow-net --allow-env` only; a `data:` URL needs no permission. The program is
 * therefore assembled from the source text of two functions that refer to nothing outside themselves
 * ({@linkcode splitRuns} and the message loop below, both type-checked and tested as ordinary code) and
 * the tokenizer's pre-tokenizing expression.
 *
 * @module
 */
import type * as GptTokenizer from "gpt-tokenizer";
import { O200K_PIECES, splitRuns } from "./split_runs.ts";

/**
 * The module the worker imports the tokenizer from: the package of deno.json's `gpt-tokenizer` entry
 * (a test checks that the two agree). A `data:` module has no import map, so it names the package itself.
 */
export const TOKENIZER_MODULE = "npm:gpt-tokenizer@^4.0.0";

/** A job for the worker: texts to count, each cut into pieces of at most `max` characters first. */
export interface WorkerJob {
  /** Echoed in the reply. */
  id: number;
  /** The texts. */
  texts: string[];
  /** The longest piece the tokenizer gets, in UTF-16 units. */
  max: number;
}

/** The worker's reply to a {@linkcode WorkerJob}: one count per text, or why it could not count. */
export type WorkerReply =
  | { id: number; counts: number[] }
  | { id: number; error: string };

/** What the program needs of the tokenizer module: `gpt-tokenizer`, or a stand-in in tests. */
export type TokenizerModule = Pick<typeof GptTokenizer, "countTokens"> & {
  setMergeCacheSize?: (size: number) => void;
};

interface Port {
  on(event: "message", listener: (job: WorkerJob) => void): unknown;
  postMessage(reply: WorkerReply): void;
}

// Runs inside the worker from its source text: it may use its parameters and globals only.
function _serve(port: Port, tokenizer: TokenizerModule, split: typeof splitRuns, pieces: RegExp): void {
  // The merge cache keeps every distinct piece; with pieces of up to a few hundred characters, its default
  // of 100,000 entries could hold ~50 MB.
  tokenizer.setMergeCacheSize?.(10_000);
  // Special-token text such as "<|endoftext|>" is ordinary text in a prompt: counted, never refused.
  const options = { disallowedSpecial: new Set<string>() };
  port.on("message", (job) => {
    try {
      const counts = job.texts.map((text) => {
        let n = 0;
        for (const part of split(text, job.max, pieces)) n += tokenizer.countTokens(part, options);
        return n;
      });
      port.postMessage({ id: job.id, counts });
    } catch (err) {
      // The error's class only: a tokenizer's message may quote the prompt.
      port.postMessage({ id: job.id, error: err instanceof Error ? err.name : "non-Error thrown" });
    }
  });
}

/**
 * The worker's program as a `data:` URL, for `new Worker(url)` from `node:worker_threads`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const url = tokenizerWorkerUrl();
 * assert.equal(url.protocol, "data:");
 * assert.match(decodeURIComponent(url.href), /npm:gpt-tokenizer/);
 * ```
 *
 * @param module The tokenizer module's specifier; tests pass a `data:` module that stands in for it.
 */
export function tokenizerWorkerUrl(module: string = TOKENIZER_MODULE): URL {
  const source = [
    `import { parentPort } from "node:worker_threads";`,
    `import * as tokenizer from ${JSON.stringify(module)};`,
    `const splitRuns = ${splitRuns.toString()};`,
    `const pieces = new RegExp(${JSON.stringify(O200K_PIECES.source)}, ${
      JSON.stringify(O200K_PIECES.flags)
    });`,
    `(${_serve.toString()})(parentPort, tokenizer, splitRuns, pieces);`,
  ].join("\n");
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}
