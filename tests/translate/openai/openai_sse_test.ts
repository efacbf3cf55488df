import assert from "node:assert/strict";
import { RelayError } from "../../../src/errors.ts";
import { decodeSse, openAIChunkBatches, openAIChunks } from "../../../src/translate/openai/openai_sse.ts";
import textUnicode from "../../testdata/openai/text_unicode.sse" with { type: "text" };
import { bytesStream, collect } from "./_openai_helpers.ts";

const encoder = new TextEncoder();

/** The `content` pieces of parsed chunks, concatenated. */
function contentOf(chunks: unknown[]): string {
  let text = "";
  for (const c of chunks) {
    const delta = (c as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta;
    if (typeof delta?.content === "string") text += delta.content;
  }
  return text;
}

Deno.test("decodeSse()", async (t) => {
  await t.step(
    "yields the same payloads whichever byte the stream is split at (CRLF, emoji, CJK)",
    async () => {
      const bytes = encoder.encode(textUnicode);
      assert.ok(textUnicode.includes("\r\n"), "the transcript uses CRLF line ends");
      const whole = await collect(decodeSse(bytesStream(bytes)));
      assert.equal(whole.length, 7, "comments, event: lines and [DONE] are not payloads");
      assert.ok(whole.every((p) => !p.endsWith("\r") && !p.startsWith(" ")));
      const expected = "Hello 👋, 世界！ Ünïcödé 🧑‍💻 naïve café — テスト完了。";
      assert.equal(contentOf(whole.map((p) => JSON.parse(p))), expected);
      for (let cut = 1; cut < bytes.length; cut++) {
        const payloads = await collect(decodeSse(bytesStream(bytes, [cut])));
        assert.deepEqual(payloads, whole, `split at byte ${cut}`);
      }
      // And in one-byte chunks: every multi-byte character is split.
      const single = await collect(
        decodeSse(bytesStream(bytes, Array.from({ length: bytes.length }, (_, i) => i))),
      );
      assert.deepEqual(single, whole);
    },
  );

  await t.step("stops at [DONE] and cancels the rest of the body", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('data: {"a":1}\n\ndata: [DONE]\n\ndata: {"late":true}\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    assert.deepEqual(await collect(decodeSse(body)), ['{"a":1}']);
    assert.ok(cancelled);
  });

  await t.step("cancels the body when the consumer stops early", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('data: {"a":1}\n\ndata: {"a":2}\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const payload of decodeSse(body)) {
      assert.equal(payload, '{"a":1}');
      break;
    }
    assert.ok(cancelled);
  });

  await t.step(
    "reads a last line without a newline, lines without blank separators, and data: without a space",
    async () => {
      const body = bytesStream(
        encoder.encode('data:{"a":1}\ndata: {"a":2}\n: ping\nid: 7\nretry: 10\ndata: {"a":3}'),
      );
      assert.deepEqual(await collect(decodeSse(body)), ['{"a":1}', '{"a":2}', '{"a":3}']);
    },
  );

  await t.step("reads a long line split over many chunks in linear time", async () => {
    const long = "x".repeat(1_000_000);
    const bytes = encoder.encode(`data: ${JSON.stringify(long)}\n\n`);
    const cuts = Array.from({ length: 10_000 }, (_, i) => i * 100);
    const started = performance.now();
    const [payload] = await collect(decodeSse(bytesStream(bytes, cuts)));
    // Rescanning the growing line on every chunk would take seconds here; one pass takes milliseconds.
    assert.ok(performance.now() - started < 1500, "no quadratic rescans");
    assert.equal(JSON.parse(payload!), long);
  });
});

Deno.test("openAIChunks()", async (t) => {
  await t.step("parses each payload", async () => {
    const chunks = await collect(openAIChunks(bytesStream(encoder.encode(textUnicode))));
    assert.equal(chunks.length, 7);
    assert.deepEqual((chunks.at(-1) as { choices: unknown[] }).choices, []);
  });

  await t.step("throws api_error on a malformed payload", async () => {
    const body = bytesStream(encoder.encode('data: {"a":1}\n\ndata: {"broken\n\n'));
    await assert.rejects(collect(openAIChunks(body)), (err: unknown) => {
      assert.ok(err instanceof RelayError);
      assert.equal(err.type, "api_error");
      assert.equal(err.message, 'Upstream sent a malformed stream chunk: {"broken');
      return true;
    });
  });

  await t.step(
    "keeps a long malformed payload whole, for the backend's redactor to hide and bound",
    async () => {
      const payload = `{"pad": "${"x".repeat(300)}", "key": secret-at-the-end}`;
      const body = bytesStream(encoder.encode(`data: ${payload}\n\n`));
      await assert.rejects(collect(openAIChunks(body)), (err: unknown) => {
        assert.ok(err instanceof RelayError);
        assert.equal(err.message, `Upstream sent a malformed stream chunk: ${payload}`);
        return true;
      });
    },
  );
});

Deno.test("openAIChunkBatches() yields the payloads read before a malformed one, then throws", async () => {
  // One network read holding a good payload and a broken one.
  const body = bytesStream(encoder.encode('data: {"a":1}\n\ndata: {"b":2}\n\ndata: {"broken\n\n'));
  const seen: unknown[][] = [];
  await assert.rejects(
    (async () => {
      for await (const batch of openAIChunkBatches(body)) seen.push(batch);
    })(),
    (err: unknown) => err instanceof RelayError && err.type === "api_error",
  );
  assert.deepEqual(seen, [[{ a: 1 }, { b: 2 }]]);
});
