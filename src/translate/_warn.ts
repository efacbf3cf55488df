/**
 * Warning deduplication for translators, which may meet the same problem in every block of a request.
 *
 * @module
 */

/** Passes each distinct message on once. */
export function warnOnce(warn: (message: string) => void): (message: string) => void {
  const seen = new Set<string>();
  return (message) => {
    if (seen.has(message)) return;
    seen.add(message);
    warn(message);
  };
}
