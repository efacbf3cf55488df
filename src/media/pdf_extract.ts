/**
 * The PDF text extraction itself, as one function that refers to nothing outside its body and its
 * parameters: it runs inside the PDF worker from its source text (see `pdf_worker.ts`), and is tested
 * as ordinary code.
 *
 * @module
 */
import type { getDocumentProxy } from "unpdf";

/** How to render the text. */
export interface PdfTextOptions {
  /** The title the client gave the document (wins over the PDF's own `/Title`). */
  title?: string;
  /** Characters of page text kept at most; later text is cut with a note. */
  maxChars: number;
}

/** What an extraction gave: the text to send, or why the bytes are not a readable PDF. */
export type PdfExtraction =
  | { kind: "text"; text: string }
  | { kind: "unreadable"; message: string };

/**
 * The text of a PDF: a heading line naming the title and page count, then `--- page N ---` before each
 * page's text. A PDF without extractable text (scanned pages) gives a note saying so; text beyond
 * `maxChars` is cut with a note naming the pages left out. Never throws: a broken or encrypted file is
 * `unreadable`.
 *
 * @example
 * ```ts
 * import { getDocumentProxy } from "unpdf";
 *
 * const bytes = await Deno.readFile("report.pdf");
 * const result = await extractPdfText(getDocumentProxy, bytes, { title: "report.pdf", maxChars: 200_000 });
 * if (result.kind === "text") console.log(result.text);
 * ```
 */
export async function extractPdfText(
  open: typeof getDocumentProxy,
  data: Uint8Array,
  options: PdfTextOptions,
): Promise<PdfExtraction> {
  // Everything this needs is declared inside it: the worker runs it from its source text.
  const unreadable = (err: unknown): PdfExtraction => {
    const name = err instanceof Error ? err.name : "";
    if (name === "PasswordException") return { kind: "unreadable", message: "The PDF is password-protected" };
    const detail = err instanceof Error ? err.message : String(err);
    return { kind: "unreadable", message: `The PDF could not be read: ${detail.slice(0, 200)}` };
  };
  const pageText = (items: readonly object[]): string => {
    let text = "";
    for (const item of items) {
      // Marked-content items carry no `str`.
      if ("str" in item && typeof item.str === "string") text += item.str;
      if ("hasEOL" in item && item.hasEOL === true) text += "\n";
    }
    return text.trim();
  };
  const cutNote = (page: number, pages: number, midPage: boolean): string => {
    const rest = page < pages ? `pages ${page + 1}-${pages}` : "";
    const what = midPage ? `the rest of page ${page}${rest ? ` and ${rest}` : ""}` : rest;
    return `[Text cut at ${options.maxChars} characters: ${what} ${
      midPage && !rest ? "is" : "are"
    } not shown]`;
  };
  const metaTitle = (info: unknown): string | undefined => {
    if (typeof info !== "object" || info === null || !("Title" in info)) return undefined;
    const title = info.Title;
    return typeof title === "string" && title.trim() !== "" ? title.trim() : undefined;
  };

  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // verbosity 0: pdf.js would otherwise print warnings about damaged files to the console.
    pdf = await open(data, { verbosity: 0 });
  } catch (err) {
    return unreadable(err);
  }
  try {
    const pages = pdf.numPages;
    const meta = await pdf.getMetadata().catch(() => undefined);
    const title = options.title ?? metaTitle(meta?.info);
    const parts: string[] = [];
    let used = 0;
    let found = false;
    for (let n = 1; n <= pages && used < options.maxChars; n++) {
      const page = await pdf.getPage(n);
      let text = pageText((await page.getTextContent()).items);
      page.cleanup();
      if (text !== "") found = true;
      const cut = used + text.length > options.maxChars;
      if (cut) text = text.slice(0, options.maxChars - used);
      used += text.length;
      parts.push(`--- page ${n} ---`, text);
      if (cut || (used >= options.maxChars && n < pages)) parts.push(cutNote(n, pages, cut));
    }
    const quoted = title ? ` "${title.replaceAll('"', "'")}"` : "";
    const head = `[PDF${quoted}, ${pages} page${pages === 1 ? "" : "s"}`;
    if (!found) {
      const text = `${head}: it has no extractable text (scanned or image-only pages), so its content ` +
        `could not be given to this model]`;
      return { kind: "text", text };
    }
    const text = [`${head}; its text, extracted by relayx because this model takes no PDFs]`, ...parts].join(
      "\n",
    );
    return { kind: "text", text };
  } catch (err) {
    return unreadable(err);
  } finally {
    await pdf.loadingTask.destroy();
  }
}
