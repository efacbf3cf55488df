/**
 * Preloaded into relayx when the bench profiles it: SIGTERM becomes a normal exit, so that
 * `--cpu-prof` writes its profile (a process killed by the signal writes none).
 *
 * @module
 */
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
