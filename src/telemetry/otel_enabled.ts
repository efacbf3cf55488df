/**
 * Whether Deno's built-in OpenTelemetry is on, read without loading the OpenTelemetry API.
 *
 * @module
 */

/**
 * True when Deno exports OpenTelemetry: `OTEL_DENO=true` (Deno accepts only `true` and `false`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(otelEnabled({ OTEL_DENO: "true" }), true);
 * assert.equal(otelEnabled({}), false);
 * ```
 */
export function otelEnabled(env: Record<string, string | undefined>): boolean {
  return env.OTEL_DENO === "true";
}
