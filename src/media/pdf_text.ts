/**
 * A PDF's text, for models that take no PDFs: pdf.js (through the `unpdf` package, which bundles a
 * build that needs no DOM, no worker file and no file system) reads each page's text, headed with the
 * document's title and page markers, and bounded in size so that one large PDF cannot fill a context
 * window. Each PDF is read in a worker of its own, at most two at a time and each under a deadline, so
 * that a large or hostile PDF neither stalls the other requests nor runs forever.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import type { PdfExtraction, PdfTextOptions as ExtractOptions } from "./pdf_extract.ts";
import { type PdfJob, pdfWorkerUrl } from "./pdf_worker.ts";

/** Why a PDF could not be read: a broken or encrypted file (the caller answers 400). */
export class PdfReadError extends Error {
  /** Creates the error; `message` says what is wrong with the file. */
  constructor(message: string) {
    super(message);
    this.name = "PdfReadError";
  }
}

/** The PDF was not read within its deadline (the caller sends a note in place of the text). */
export class PdfTimeoutError extends Error {
  /** Creates the error for a deadline of `timeoutMs`. */
  constructor(readonly timeoutMs: number) {
    const within = timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`;
    super(`relayx could not extract the PDF's text within ${within}`);
    this.name = "PdfTimeoutError";
  }
}

/** How to render the text, and how long it may take. */
export interface PdfTextOptions extends ExtractOptions {
  /** The deadline, waiting for a worker included (default 30 s). */
  timeoutMs?: number;
}

/** Options for {@linkcode createPdfReader}. */
export interface PdfReaderOptions {
  /** The worker's program (default: `pdfWorkerUrl()`; tests pass a stand-in). */
  url?: URL;
  /** PDFs read at once (default 2: each worker holds pdf.js and one document). */
  maxWorkers?: number;
  /** The deadline of a PDF that names none (default 30 s). */
  timeoutMs?: number;
}

/** Reads PDFs' text in workers: see {@linkcode createPdfReader}. */
export interface PdfReader {
  /**
   * The text of a PDF, as {@linkcode pdfText} gives it. The bytes are handed over: do not use them
   * afterwards.
   *
   * @throws {PdfReadError} when the bytes are not a readable PDF; {@linkcode PdfTimeoutError} past the deadline.
   */
  text(data: Uint8Array, options: PdfTextOptions): Promise<string>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

function _name(err: unknown): string {
  return err instanceof Error ? err.name : "non-Error thrown";
}

function _run(worker: Worker, job: PdfJob): Promise<PdfExtraction> {
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once(
      "error",
      (err: unknown) => reject(new PdfReadError(`The PDF could not be read: ${_name(err)}`)),
    );
    worker.once(
      "exit",
      (code: number) => reject(new PdfReadError(`The PDF reader exited with code ${code}`)),
    );
    // The bytes move to the worker (pdf.js would detach them anyway); a view on a larger buffer is copied.
    const whole = job.data.byteOffset === 0 && job.data.byteLength === job.data.buffer.byteLength;
    const data = whole ? job.data : job.data.slice();
    worker.postMessage({ data, options: job.options } satisfies PdfJob, [data.buffer as ArrayBuffer]);
  });
}

function _stop(worker: Worker): void {
  worker.removeAllListeners();
  // An EventEmitter throws an "error" that no one listens to: one may still come while it stops.
  worker.on("error", () => {});
  void worker.terminate();
}

/**
 * A PDF reader: each PDF is read in a worker of its own (started for it, stopped after it, so that an idle
 * relayx holds no pdf.js), at most `maxWorkers` at a time, the others waiting, each under its deadline
 * (waiting included).
 *
 * @example A reader that reads one PDF at a time
 * ```ts
 * const reader = createPdfReader({ maxWorkers: 1 });
 * const bytes = await Deno.readFile("report.pdf");
 * console.log(await reader.text(bytes, { maxChars: 200_000, timeoutMs: 10_000 }));
 * ```
 */
export function createPdfReader(reader: PdfReaderOptions = {}): PdfReader {
  const maxWorkers = reader.maxWorkers ?? 2;
  let url = reader.url;
  let running = 0;
  const waiting: (() => void)[] = [];

  // A slot is handed straight to the next waiter, or given back.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };

  // Resolves holding a slot, or rejects with the deadline's error having none.
  const acquire = async (expired: Promise<never>) => {
    if (running < maxWorkers) {
      running++;
      return;
    }
    const { promise: turn, resolve } = Promise.withResolvers<void>();
    waiting.push(resolve);
    try {
      await Promise.race([turn, expired]);
    } catch (err) {
      // Timed out in the queue: leave it, or pass on the slot handed over at the same moment.
      const at = waiting.indexOf(resolve);
      if (at >= 0) waiting.splice(at, 1);
      else release();
      throw err;
    }
  };

  return {
    async text(data, options) {
      const timeoutMs = options.timeoutMs ?? reader.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const { promise: expired, reject: expire } = Promise.withResolvers<never>();
      expired.catch(() => {}); // the race below may never look at it
      const timer = setTimeout(() => expire(new PdfTimeoutError(timeoutMs)), timeoutMs);
      try {
        await acquire(expired);
        url ??= pdfWorkerUrl();
        const worker = new Worker(url, { name: "relayx-pdf" });
        try {
          const { title, maxChars } = options;
          const job: ExtractOptions = title === undefined ? { maxChars } : { title, maxChars };
          const result = await Promise.race([_run(worker, { data, options: job }), expired]);
          if (result.kind === "unreadable") throw new PdfReadError(result.message);
          return result.text;
        } finally {
          _stop(worker);
          release();
        }
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

let shared: PdfReader | undefined;

/**
 * The text of a PDF, read by relayx's shared {@linkcode PdfReader}: a heading line naming the title and
 * page count, then `--- page N ---` before each page's text. A PDF without extractable text (scanned
 * pages) gives a note saying so; text beyond `maxChars` is cut with a note naming the pages left out. The
 * bytes are handed over: do not use them afterwards.
 *
 * @example
 * ```ts
 * const bytes = await Deno.readFile("report.pdf");
 * console.log(await pdfText(bytes, { title: "report.pdf", maxChars: 200_000 }));
 * ```
 * @throws {PdfReadError} when the bytes are not a readable PDF; {@linkcode PdfTimeoutError} past the deadline.
 */
export function pdfText(data: Uint8Array, options: PdfTextOptions): Promise<string> {
  shared ??= createPdfReader();
  return shared.text(data, options);
}
