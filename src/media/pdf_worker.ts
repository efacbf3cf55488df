/**
 * The PDF worker's program, as a `data:` URL. pdf.js parses on the thread that calls it, and a large PDF
 * holds that thread for seconds: in a worker, relayx goes on serving every other request meanwhile, and a
 * PDF that never finishes can be stopped.
 *
 * A worker loaded from a file needs `--allow-read`, and relayx runs with `--allow-net --allow-env`; a
 * `data:` URL needs no permission. The program is assembled from the source text of
 * {@linkcode extractPdfText} and the message handler below, both self-contained.
 *
 * @module
 */
import type { getDocumentProxy } from "unpdf";
import { extractPdfText, type PdfExtraction, type PdfTextOptions } from "./pdf_extract.ts";

/**
 * The module the worker imports pdf.js from: the package of deno.json's `unpdf` entry (a test checks that
 * the two agree). A `data:` module has no import map, so it names the package itself.
 */
export const UNPDF_MODULE = "npm:unpdf@^1.8.1";

/** The one job a worker gets. */
export interface PdfJob {
  /** The PDF's bytes (transferred). */
  data: Uint8Array;
  /** How to render the text. */
  options: PdfTextOptions;
}

interface Port {
  once(event: "message", listener: (job: PdfJob) => void): unknown;
  postMessage(reply: PdfExtraction): void;
}

// Runs inside the worker from its source text: it may use its parameters and globals only.
function _serve(port: Port, open: typeof getDocumentProxy, extract: typeof extractPdfText): void {
  port.once("message", async (job) => {
    try {
      port.postMessage(await extract(open, job.data, job.options));
    } catch (err) {
      // The error's class only: a message may quote the document.
      const name = err instanceof Error ? err.name : "non-Error thrown";
      port.postMessage({ kind: "unreadable", message: `The PDF could not be read: ${name}` });
    }
  });
}

/**
 * The worker's program as a `data:` URL, for `new Worker(url)` from `node:worker_threads`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const url = pdfWorkerUrl();
 * assert.equal(url.protocol, "data:");
 * assert.match(decodeURIComponent(url.href), /npm:unpdf/);
 * ```
 *
 * @param module The pdf.js module's specifier; tests pass a `data:` module that stands in for it.
 */
export function pdfWorkerUrl(module: string = UNPDF_MODULE): URL {
  const source = [
    `import { parentPort } from "node:worker_threads";`,
    `import { getDocumentProxy } from ${JSON.stringify(module)};`,
    `const extract = ${extractPdfText.toString()};`,
    `(${_serve.toString()})(parentPort, getDocumentProxy, extract);`,
  ].join("\n");
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}
