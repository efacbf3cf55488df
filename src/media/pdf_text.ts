/**
 * A PDF's text, for models that take no PDFs: pdf.js (through the `unpdf` package, which bundles a
 * build that needs no DOM, no worker file and no file system) reads each page's text, headed with the
 * document's title and page markers, and bounded in size so that one large PDF cannot fill a context
 * window.
 *
 * @module
 */
import { getDocumentProxy } from "unpdf";

/** Why a PDF could not be read: a broken or encrypted file (the caller answers 400). */
export class PdfReadError extends Error {
  /** Creates the error; `message` says what is wrong with the file. */
  constructor(message: string) {
    super(message);
    this.name = "PdfReadError";
  }
}

/** How to render the text. */
export interface PdfTextOptions {
  /** The title the client gave the document (wins over the PDF's own `/Title`). */
  title?: string;
  /** Characters of page text kept at most; later text is cut with a note. */
  maxChars: number;
}

function _pageText(items: readonly object[]): string {
  let text = "";
  for (const item of items) {
    // Marked-content items carry no `str`.
    if ("str" in item && typeof item.str === "string") text += item.str;
    if ("hasEOL" in item && item.hasEOL === true) text += "\n";
  }
  return text.trim();
}

function _cutNote(maxChars: number, page: number, pages: number, midPage: boolean): string {
  const rest = page < pages ? `pages ${page + 1}-${pages}` : "";
  const what = midPage ? `the rest of page ${page}${rest ? ` and ${rest}` : ""}` : rest;
  return `[Text cut at ${maxChars} characters: ${what} ${midPage && !rest ? "is" : "are"} not shown]`;
}

function _quoted(title: string | undefined): string {
  return title ? ` "${title.replaceAll('"', "'")}"` : "";
}

function _readError(err: unknown): PdfReadError {
  const name = err instanceof Error ? err.name : "";
  if (name === "PasswordException") return new PdfReadError("The PDF is password-protected");
  const detail = err instanceof Error ? err.message : String(err);
  return new PdfReadError(`The PDF could not be read: ${detail.slice(0, 200)}`);
}

function _metaTitle(info: unknown): string | undefined {
  if (typeof info !== "object" || info === null || !("Title" in info)) return undefined;
  const title = info.Title;
  return typeof title === "string" && title.trim() !== "" ? title.trim() : undefined;
}

/**
 * The text of a PDF: a heading line naming the title and page count, then `--- page N ---` before each
 * page's text. A PDF without extractable text (scanned pages) gives a note saying so; text beyond
 * `maxChars` is cut with a note naming the pages left out.
 *
 * @example
 * ```ts
 * const bytes = await Deno.readFile("report.pdf");
 * console.log(await pdfText(bytes, { title: "report.pdf", maxChars: 200_000 }));
 * ```
 * @throws {PdfReadError} when the bytes are not a readable PDF.
 */
export async function pdfText(data: Uint8Array, options: PdfTextOptions): Promise<string> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // verbosity 0: pdf.js would otherwise print warnings about damaged files to the console.
    pdf = await getDocumentProxy(data, { verbosity: 0 });
  } catch (err) {
    throw _readError(err);
  }
  try {
    const pages = pdf.numPages;
    const meta = await pdf.getMetadata().catch(() => undefined);
    const title = options.title ?? _metaTitle(meta?.info);
    const parts: string[] = [];
    let used = 0;
    let found = false;
    for (let n = 1; n <= pages && used < options.maxChars; n++) {
      const page = await pdf.getPage(n);
      let text = _pageText((await page.getTextContent()).items);
      page.cleanup();
      if (text !== "") found = true;
      const cut = used + text.length > options.maxChars;
      if (cut) text = text.slice(0, options.maxChars - used);
      used += text.length;
      parts.push(`--- page ${n} ---`, text);
      if (cut || (used >= options.maxChars && n < pages)) {
        parts.push(_cutNote(options.maxChars, n, pages, cut));
      }
    }
    const head = `[PDF${_quoted(title)}, ${pages} page${pages === 1 ? "" : "s"}`;
    if (!found) {
      return `${head}: it has no extractable text (scanned or image-only pages), so its content ` +
        `could not be given to this model]`;
    }
    return [`${head}; its text, extracted by relayx because this model takes no PDFs]`, ...parts].join("\n");
  } catch (err) {
    throw _readError(err);
  } finally {
    await pdf.loadingTask.destroy();
  }
}
