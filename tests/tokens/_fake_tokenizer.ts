/**
 * Stand-ins for `gpt-tokenizer` that the tokenizer worker imports in tests, as `data:` modules: one token
 * per UTF-16 unit, and text that makes the worker hang, exit or throw.
 */

const FAKE = `
import process from "node:process";
export function countTokens(text) {
  if (text.includes("HANG")) for (;;) {}
  if (text.includes("EXIT")) process.exit(7);
  if (text.includes("THROW")) throw new TypeError("cannot count " + text);
  return text.length;
}
`;

/** Counts one token per UTF-16 unit; "HANG" loops forever, "EXIT" ends the worker, "THROW" throws. */
export const FAKE_TOKENIZER = `data:text/javascript,${encodeURIComponent(FAKE)}`;

/** A module whose loading fails: the worker can never start. */
export const BROKEN_TOKENIZER = `data:text/javascript,${
  encodeURIComponent('throw new Error("cannot load");')
}`;

/** A request with one user message of `text`. */
export function textRequest(text: string) {
  return { model: "m", messages: [{ role: "user" as const, content: [{ type: "text" as const, text }] }] };
}
