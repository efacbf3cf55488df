/**
 * Remembers the text of recent PDFs. A PDF read once stays in the conversation, and Claude Code sends the
 * whole conversation with every turn: without this, each turn would parse it again (about 1-2 ms a page,
 * on the event loop). Keyed by the base64 string itself, which a `Map` hashes in about a millisecond for
 * 13 MB and which cannot collide (SHA-256 of the same string costs about 100 times more).
 *
 * @module
 */
import { base64ToBytes } from "../translate/_encoding.ts";
import { type PdfReader, pdfText, type PdfTextOptions } from "./pdf_text.ts";

/** How much the cache holds. */
export interface PdfTextCacheLimits {
  /** PDFs remembered at most. */
  maxEntries: number;
  /** Base64 characters of the PDFs remembered, added up, at most (the keys are kept alive). */
  maxKeyChars: number;
}

interface _Entry {
  title: string | undefined;
  maxChars: number;
  text: Promise<string>;
}

/** Thrown for base64 that does not decode. */
export class InvalidBase64Error extends Error {
  /** Creates the error. */
  constructor() {
    super("Invalid base64 data");
    this.name = "InvalidBase64Error";
  }
}

/**
 * A least-recently-used cache of PDF texts, in front of {@linkcode pdfText}. Concurrent requests for the
 * same PDF share one extraction; a failed one is not remembered.
 *
 * @example
 * ```ts
 * const cache = new PdfTextCache({ maxEntries: 8, maxKeyChars: 32_000_000 });
 * const base64 = btoa("%PDF-1.4 ...");
 * await cache.text(base64, { maxChars: 200_000 }).catch((err) => console.log(err.message));
 * ```
 */
export class PdfTextCache {
  #limits: PdfTextCacheLimits;
  #entries = new Map<string, _Entry>();
  #keyChars = 0;
  #read: PdfReader["text"];

  /** Creates an empty cache in front of `reader` (default: relayx's shared reader, {@linkcode pdfText}). */
  constructor(limits: PdfTextCacheLimits, reader?: PdfReader) {
    this.#limits = limits;
    this.#read = reader ? (data, options) => reader.text(data, options) : pdfText;
  }

  /** PDFs remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The text of the PDF whose bytes `base64` encodes, as {@linkcode pdfText} renders it.
   *
   * @throws {InvalidBase64Error} for data that is not base64; {@linkcode PdfReadError} for an unreadable
   * PDF; {@linkcode PdfTimeoutError} when reading it took too long (not remembered either).
   */
  text(base64: string, options: PdfTextOptions): Promise<string> {
    const hit = this.#entries.get(base64);
    if (hit && hit.title === options.title && hit.maxChars === options.maxChars) {
      // Most recently used goes last.
      this.#entries.delete(base64);
      this.#entries.set(base64, hit);
      return hit.text;
    }
    if (hit) this.#drop(base64);
    const text = _extract(base64, options, this.#read);
    if (base64.length <= this.#limits.maxKeyChars) {
      this.#entries.set(base64, { title: options.title, maxChars: options.maxChars, text });
      this.#keyChars += base64.length;
      this.#evict();
      text.catch(() => {
        if (this.#entries.get(base64)?.text === text) this.#drop(base64);
      });
    }
    return text;
  }

  #drop(key: string): void {
    if (this.#entries.delete(key)) this.#keyChars -= key.length;
  }

  #evict(): void {
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#limits.maxEntries && this.#keyChars <= this.#limits.maxKeyChars) break;
      this.#drop(key);
    }
  }
}

function _extract(base64: string, options: PdfTextOptions, read: PdfReader["text"]): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(base64);
  } catch {
    return Promise.reject(new InvalidBase64Error());
  }
  return read(bytes, options);
}
