/**
 * Minimal valid PDFs written byte by byte for the tests: one Helvetica text line per page, an optional
 * `/Title` in the document info, and a correct cross-reference table.
 *
 * @module
 */

/** What the PDF holds. */
export interface TinyPdfOptions {
  /** One text line per page; an empty string gives a page with no text at all. */
  pages: string[];
  /** The document info's `/Title`. */
  title?: string;
}

function escape(text: string): string {
  return text.replace(/[\\()]/g, (c) => `\\${c}`);
}

/** The PDF's bytes. */
export function tinyPdf(options: TinyPdfOptions): Uint8Array {
  const n = options.pages.length;
  // Objects: 1 catalog, 2 pages, 3 font, 4 info, then a page and its content stream per page.
  const kids = options.pages.map((_, i) => `${5 + 2 * i} 0 R`).join(" ");
  const objects: string[] = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    `<< /Type /Pages /Kids [${kids}] /Count ${n} >>`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    options.title === undefined ? "<< >>" : `<< /Title (${escape(options.title)}) >>`,
  ];
  options.pages.forEach((text, i) => {
    const stream = text === "" ? "" : `BT /F1 18 Tf 72 720 Td (${escape(text)}) Tj ET`;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> ` +
        `/Contents ${6 + 2 * i} 0 R >>`,
    );
    objects.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
  });
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out);
}

/** The PDF as base64, as a `document` block carries it. */
export function tinyPdfBase64(options: TinyPdfOptions): string {
  let binary = "";
  for (const b of tinyPdf(options)) binary += String.fromCharCode(b);
  return btoa(binary);
}
