/**
 * The error a wrong setting raises: one line, starting with the name of the variable or key.
 *
 * @module
 */

/** A configuration error: one line naming the variable. */
export class ConfigError extends Error {
  /** Creates the error; `message` starts with the variable's name. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
