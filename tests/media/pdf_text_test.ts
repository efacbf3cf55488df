import assert from "node:assert/strict";
import { createPdfReader, PdfReadError, pdfText, PdfTimeoutError } from "../../src/media/pdf_text.ts";
import { pdfWorkerUrl, UNPDF_MODULE } from "../../src/media/pdf_worker.ts";
import { tinyPdf } from "../support/tiny_pdf.ts";

Deno.test("pdfText()", async (t) => {
  await t.step("gives the title from the PDF's metadata and each page after its marker", async (t) => {
    const text = await pdfText(
      tinyPdf({ pages: ["Alpha page one", "Beta (page) two"], title: "Tiny report" }),
      {
        maxChars: 1000,
      },
    );
    await t.assertSnapshot(text);
    assert.match(text, /--- page 1 ---\nAlpha page one\n--- page 2 ---\nBeta \(page\) two/);
  });

  await t.step("prefers the block's title to the PDF's own", async () => {
    const text = await pdfText(tinyPdf({ pages: ["x"], title: "Inner" }), {
      title: "doc.pdf",
      maxChars: 100,
    });
    assert.match(text, /^\[PDF "doc\.pdf", 1 page;/);
  });

  await t.step("cuts text beyond maxChars and names the pages left out", async () => {
    const pages = ["0123456789", "abcdefghij", "klmnopqrst"];
    const text = await pdfText(tinyPdf({ pages }), { maxChars: 15 });
    assert.match(text, /--- page 1 ---\n0123456789\n--- page 2 ---\nabcde\n/);
    assert.match(text, /\[Text cut at 15 characters: the rest of page 2 and pages 3-3 are not shown\]$/);
    assert.doesNotMatch(text, /klmno/);
    const last = await pdfText(tinyPdf({ pages: ["0123456789", "abcdefghij"] }), { maxChars: 15 });
    assert.match(last, /\nabcde\n\[Text cut at 15 characters: the rest of page 2 is not shown\]$/);
    const even = await pdfText(tinyPdf({ pages }), { maxChars: 10 });
    assert.match(even, /\n0123456789\n\[Text cut at 10 characters: pages 2-3 are not shown\]$/);
  });

  await t.step("says so when no page has text", async () => {
    const text = await pdfText(tinyPdf({ pages: ["", ""] }), { maxChars: 100 });
    assert.equal(
      text,
      "[PDF, 2 pages: it has no extractable text (scanned or image-only pages), so its content could not be " +
        "given to this model]",
    );
  });

  await t.step("throws PdfReadError for bytes that are not a PDF", async () => {
    await assert.rejects(
      () => pdfText(new TextEncoder().encode("this is not a PDF"), { maxChars: 100 }),
      (err) => err instanceof PdfReadError && /^The PDF could not be read: /.test(err.message),
    );
  });

  await t.step("throws PdfReadError for a truncated PDF", async () => {
    const bytes = tinyPdf({ pages: ["Alpha"] }).slice(0, 60);
    await assert.rejects(() => pdfText(bytes, { maxChars: 100 }), PdfReadError);
  });
});

// A stand-in for unpdf whose parser never returns for a one-byte "PDF" (a hostile file), and is the
// real one otherwise.
const HANGING = new URL(
  `data:text/javascript,${
    encodeURIComponent(
      `import { getDocumentProxy as real } from ${JSON.stringify(UNPDF_MODULE)};
       export function getDocumentProxy(data, options) {
         if (data.length === 1) for (;;) {}
         return real(data, options);
       }`,
    )
  }`,
);

Deno.test("the PDF worker", async (t) => {
  await t.step("imports the unpdf of deno.json", async () => {
    const deno = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
    assert.equal(deno.imports.unpdf, UNPDF_MODULE);
  });

  await t.step(
    "a PDF that never finishes ends at its deadline, relayx's thread running meanwhile",
    async () => {
      const reader = createPdfReader({ url: pdfWorkerUrl(HANGING.href), timeoutMs: 300 });
      // Were the parse on this thread, the deadline's timer could never fire and this would hang.
      await assert.rejects(
        () => reader.text(new Uint8Array([0x25]), { maxChars: 100 }),
        (err) => err instanceof PdfTimeoutError && /within 300 ms$/.test(err.message),
      );
    },
  );

  await t.step("gets its worker slots back after deadlines, in the queue and in a worker", async () => {
    const reader = createPdfReader({ url: pdfWorkerUrl(HANGING.href), maxWorkers: 1 });
    const hung = [1, 2, 3].map(() => reader.text(new Uint8Array([0x25]), { maxChars: 100, timeoutMs: 400 }));
    const outcomes = await Promise.allSettled(hung);
    assert.deepEqual(outcomes.map((o) => o.status === "rejected" && o.reason instanceof PdfTimeoutError), [
      true,
      true,
      true,
    ]);
    // Had a deadline kept its slot, this would wait in the one-worker queue until its own deadline.
    const text = await reader.text(tinyPdf({ pages: ["after the deadlines"] }), { maxChars: 100 });
    assert.match(text, /after the deadlines/);
  });
});
