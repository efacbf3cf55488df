/**
 * relayx's version, as `--version` prints it (a test keeps it equal to deno.json's).
 *
 * @module
 */

/** The version of this relayx. */
export const VERSION = "0.2.0";
