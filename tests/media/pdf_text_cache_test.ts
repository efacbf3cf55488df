import assert from "node:assert/strict";
import { PdfReadError } from "../../src/media/pdf_text.ts";
import { InvalidBase64Error, PdfTextCache } from "../../src/media/pdf_text_cache.ts";
import { tinyPdfBase64 } from "../support/tiny_pdf.ts";

const A = tinyPdfBase64({ pages: ["Alpha"] });
const B = tinyPdfBase64({ pages: ["Bravo"] });
const C = tinyPdfBase64({ pages: ["Charlie"] });
const OPTIONS = { maxChars: 1000 };

Deno.test("PdfTextCache", async (t) => {
  await t.step("answers a PDF seen before with the same extraction, also while it runs", async () => {
    const cache = new PdfTextCache({ maxEntries: 4, maxKeyChars: 1_000_000 });
    const first = cache.text(A, OPTIONS);
    // A copy of the string, as the next request's parser makes it.
    assert.equal(cache.text(JSON.parse(JSON.stringify(A)), OPTIONS), first);
    assert.match(await first, /Alpha/);
    assert.equal(cache.text(A, OPTIONS), first);
  });

  await t.step("extracts again for another title or size bound", async () => {
    const cache = new PdfTextCache({ maxEntries: 4, maxKeyChars: 1_000_000 });
    const first = cache.text(A, OPTIONS);
    const titled = cache.text(A, { ...OPTIONS, title: "a.pdf" });
    assert.notEqual(titled, first);
    assert.match(await titled, /^\[PDF "a\.pdf"/);
    assert.equal(cache.size, 1);
  });

  await t.step("forgets the least recently used PDF beyond maxEntries", async () => {
    const cache = new PdfTextCache({ maxEntries: 2, maxKeyChars: 1_000_000 });
    const a = cache.text(A, OPTIONS);
    const b = cache.text(B, OPTIONS);
    assert.equal(cache.text(A, OPTIONS), a);
    await cache.text(C, OPTIONS);
    assert.equal(cache.size, 2);
    assert.equal(cache.text(A, OPTIONS), a);
    assert.notEqual(cache.text(B, OPTIONS), b);
    await Promise.all([a, b]);
  });

  await t.step("keeps no PDF larger than maxKeyChars", async () => {
    const cache = new PdfTextCache({ maxEntries: 2, maxKeyChars: 10 });
    await cache.text(A, OPTIONS);
    assert.equal(cache.size, 0);
  });

  await t.step("remembers no failure", async () => {
    const cache = new PdfTextCache({ maxEntries: 2, maxKeyChars: 1_000_000 });
    await assert.rejects(() => cache.text(btoa("not a pdf"), OPTIONS), PdfReadError);
    await assert.rejects(() => cache.text("@@@", OPTIONS), InvalidBase64Error);
    assert.equal(cache.size, 0);
  });
});
