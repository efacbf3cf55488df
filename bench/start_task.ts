/**
 * The runtime settings of `deno task start`, read from deno.json, so that the bench runs relayx as users
 * do and the two cannot drift: the environment assignments in front of `deno run` (glibc's malloc
 * tunables) and the flags of `deno run` that are not permissions (V8 and code-cache settings). The
 * bench grants its own permissions.
 *
 * @module
 */
import deno from "../deno.json" with { type: "json" };

/** What a task sets besides permissions. */
export interface TaskTuning {
  /** `NAME=value` assignments in front of the command. */
  env: Record<string, string>;
  /** `deno run` flags other than permissions, the prompt and the env file, in the task's order. */
  flags: string[];
}

// Flags about what relayx may touch or read at start, which the bench decides for itself.
const NOT_TUNING = /^(--allow-|--deny-|-A$|--no-prompt$|--env-file)/;

/**
 * Reads a `deno run` task line: its leading assignments and its tuning flags (up to the script).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const tuning = taskTuning("GLIBC_TUNABLES=a=1 deno run --no-code-cache --allow-net main.ts");
 * assert.deepEqual(tuning, { env: { GLIBC_TUNABLES: "a=1" }, flags: ["--no-code-cache"] });
 * ```
 */
export function taskTuning(task: string): TaskTuning {
  const words = task.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i]!); i++) {
    const w = words[i]!;
    env[w.slice(0, w.indexOf("="))] = w.slice(w.indexOf("=") + 1);
  }
  if (words[i] !== "deno" || words[i + 1] !== "run") throw new Error(`Not a deno run task: "${task}"`);
  const flags: string[] = [];
  for (const w of words.slice(i + 2)) {
    if (!w.startsWith("-")) break;
    if (!NOT_TUNING.test(w)) flags.push(w);
  }
  return { env, flags };
}

/** The tuning of deno.json's `start` task. */
export function startTuning(): TaskTuning {
  return taskTuning(deno.tasks.start);
}
