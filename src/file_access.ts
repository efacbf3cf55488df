/**
 * The file access the command line uses under Deno: it reads only the file it is told about, and treats
 * a file it has no permission to read as absent (under `--allow-net --allow-env` alone there is no
 * configuration file, and no permission prompt).
 *
 * @module
 */
import type { FileAccess } from "./cli.ts";

/**
 * {@linkcode FileAccess} through Deno's file system and permission APIs.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./cli.ts";
 *
 * const command = parseCommandLine([], { LLM_BACKEND: "bedrock" }, denoFiles, "0.0.0");
 * ```
 */
export const denoFiles: FileAccess = {
  readTextFile: (path) => Deno.readTextFileSync(path),
  readable(path) {
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return false;
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  },
};
