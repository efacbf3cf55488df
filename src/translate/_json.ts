/**
 * Reading upstream JSON that arrives as `unknown`: the few guards every response and stream translator
 * needs, in one place.
 *
 * @module
 */

/** True for plain objects (what every JSON object parses to), not arrays. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value as a JSON object, or undefined when it is anything else (arrays included). */
export function rec(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

/** The value when it is a finite number. */
export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** The value when it is a string. */
export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
