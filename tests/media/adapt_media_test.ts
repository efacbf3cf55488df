import assert from "node:assert/strict";
import type { MessagesRequest } from "../../src/anthropic/types.ts";
import { RelayError } from "../../src/errors.ts";
import { adaptMedia, IMAGE_NOTE, needsMediaAdapt } from "../../src/media/adapt_media.ts";
import { createPdfReader } from "../../src/media/pdf_text.ts";
import { PdfTextCache } from "../../src/media/pdf_text_cache.ts";
import { pdfWorkerUrl } from "../../src/media/pdf_worker.ts";
import { tinyPdfBase64 } from "../support/tiny_pdf.ts";

const PDF = tinyPdfBase64({ pages: ["Quarterly revenue rose", "Costs fell sharply"], title: "Q3 report" });
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==";

/** Claude Code's Read of a PDF: the document travels inside the tool_result. */
function readOfPdf(data = PDF): MessagesRequest {
  return {
    model: "m",
    max_tokens: 100,
    messages: [
      { role: "user", content: [{ type: "text", text: "Summarise report.pdf" }] },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/w/report.pdf" } }],
      },
      {
        role: "user",
        content: [{
          type: "tool_result",
          tool_use_id: "toolu_1",
          content: [{
            type: "document",
            source: { type: "base64", media_type: "application/pdf", data },
          }],
        }],
      },
    ],
  };
}

function withImage(): MessagesRequest {
  return {
    model: "m",
    max_tokens: 100,
    messages: [{
      role: "user",
      content: [
        { type: "text", text: "What is this?" },
        { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
      ],
    }],
  };
}

Deno.test("adaptMedia()", async (t) => {
  await t.step(
    "replaces a PDF inside a tool_result by its text for a model that takes no PDFs",
    async (t) => {
      const warnings: string[] = [];
      const request = readOfPdf();
      const out = await adaptMedia(request, { images: true, pdf: false }, (w) => warnings.push(w));
      await t.assertSnapshot(out.messages[2]);
      // The unchanged messages are shared, not copied.
      assert.equal(out.messages[0], request.messages[0]);
      assert.equal(out.messages[1], request.messages[1]);
      assert.deepEqual(warnings, ["document: this model takes no PDFs; the PDF's text was sent instead"]);
    },
  );

  await t.step("replaces a top-level PDF, titled by the block, and keeps its cache marker", async (t) => {
    const request: MessagesRequest = {
      model: "m",
      max_tokens: 100,
      messages: [{
        role: "user",
        content: [{
          type: "document",
          title: "report.pdf",
          cache_control: { type: "ephemeral" },
          source: { type: "base64", media_type: "application/pdf", data: PDF },
        }],
      }],
    };
    const out = await adaptMedia(request, { images: true, pdf: false }, () => {});
    await t.assertSnapshot(out.messages[0]);
  });

  await t.step("uses the tool-result capabilities inside tool results", async () => {
    const request = readOfPdf();
    const caps = { images: true, pdf: true, toolResults: { images: true, pdf: false } };
    const out = await adaptMedia(request, caps, () => {});
    const result = out.messages[2]?.content[0];
    assert.ok(result?.type === "tool_result" && Array.isArray(result.content));
    assert.equal(result.content[0]?.type, "text");
  });

  await t.step("replaces an image by a note for a model without vision", async () => {
    const out = await adaptMedia(withImage(), { images: false, pdf: true }, () => {});
    assert.deepEqual(out.messages[0]?.content[1], { type: "text", text: IMAGE_NOTE });
  });

  await t.step("returns the request itself when nothing needs changing", async () => {
    const request = readOfPdf();
    assert.equal(await adaptMedia(request, { images: true, pdf: true }, () => {}), request);
    const image = withImage();
    assert.equal(await adaptMedia(image, { images: true, pdf: false }, () => {}), image);
  });

  await t.step("answers a broken PDF with a 400 naming the block", async () => {
    const broken = btoa("%PDF-1.4\nthis is not really a PDF");
    await assert.rejects(
      () => adaptMedia(readOfPdf(broken), { images: true, pdf: false }, () => {}),
      (err) =>
        err instanceof RelayError && err.status === 400 &&
        err.message.startsWith("messages.2.content.0.content.0.source.data: The PDF could not be read"),
    );
    await assert.rejects(
      () => adaptMedia(readOfPdf("@@not base64@@"), { images: true, pdf: false }, () => {}),
      (err) =>
        err instanceof RelayError && err.status === 400 &&
        err.message === "messages.2.content.0.content.0.source.data: Invalid base64 data",
    );
  });
});

Deno.test("adaptMedia() sends a note for a PDF whose text takes too long, and the turn goes on", async () => {
  // A reader whose pdf.js never returns.
  const stuck = new URL(
    `data:text/javascript,${encodeURIComponent("export function getDocumentProxy() { for (;;) {} }")}`,
  );
  const cache = new PdfTextCache(
    { maxEntries: 8, maxKeyChars: 1_000_000 },
    createPdfReader({ url: pdfWorkerUrl(stuck.href), timeoutMs: 200 }),
  );
  const warnings: string[] = [];
  const out = await adaptMedia(readOfPdf(), { images: true, pdf: false }, (w) => warnings.push(w), { cache });
  const result = out.messages[2]?.content[0];
  assert.equal(result?.type, "tool_result");
  assert.deepEqual(result.content, [{
    type: "text",
    text:
      "[PDF: relayx could not extract the PDF's text within 200 ms, so its content could not be given to " +
      "this model]",
  }]);
  assert.deepEqual(warnings, [
    "document: relayx could not extract the PDF's text within 200 ms; a note was sent instead",
  ]);
  assert.equal(cache.size, 0, "a timeout is not remembered");
});

Deno.test("needsMediaAdapt() reads nothing when the model takes images and PDFs", () => {
  const request = readOfPdf();
  // A request whose messages cannot be read shows that the check did not walk them.
  const unreadable: MessagesRequest = { ...request };
  Object.defineProperty(unreadable, "messages", {
    get() {
      throw new Error("The messages were read");
    },
  });
  assert.equal(needsMediaAdapt(unreadable, { images: true, pdf: true }), false);
  assert.equal(needsMediaAdapt(request, { images: true, pdf: false }), true);
  assert.equal(needsMediaAdapt(request, { images: false, pdf: true }), false);
});
