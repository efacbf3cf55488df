import assert from "node:assert/strict";
import { Http1Scanner, type ScanFault } from "../../src/server/http1_scanner.ts";

const encoder = new TextEncoder();

/** Scans `text` cut into pieces of `size` bytes; returns what the scanner reported. */
function scan(
  kind: "request" | "response",
  text: string,
  size = Infinity,
  expect: string[] = [],
): { seen: string[]; fault?: ScanFault; idle: boolean } {
  const seen: string[] = [];
  const scanner = new Http1Scanner(kind, 256, {
    onHeadStart: () => seen.push("start"),
    onHead: (head) => seen.push(`${head.method || head.status}:${head.body}`),
    onEnd: () => seen.push("end"),
  });
  for (const m of expect) scanner.expect(m);
  const bytes = encoder.encode(text);
  const step = Math.min(size, bytes.length) || 1;
  for (let i = 0; i < bytes.length; i += step) {
    const fault = scanner.scan(bytes.subarray(i, i + step));
    if (fault) return { seen, fault, idle: scanner.idle };
  }
  return { seen, idle: scanner.idle };
}

Deno.test("Http1Scanner follows requests", async (t) => {
  const post = 'POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{"a":1}';
  const chunked =
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n";

  await t.step("a content-length body, whole or cut at every byte", () => {
    for (const size of [Infinity, 1, 3]) {
      assert.deepEqual(scan("request", post, size), {
        seen: ["start", "POST:length", "end"],
        idle: true,
      });
    }
  });

  await t.step("a chunked body with extensions and trailers, cut at every byte", () => {
    for (const size of [Infinity, 1]) {
      assert.deepEqual(scan("request", chunked, size).seen, ["start", "POST:chunked", "end"]);
    }
  });

  await t.step("pipelined requests, with the empty lines some clients send between them", () => {
    const two = `${post}\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n`;
    assert.deepEqual(scan("request", two, 5).seen, [
      "start",
      "POST:length",
      "end",
      "start",
      "GET:none",
      "end",
    ]);
  });

  await t.step("a head that is still arriving is neither idle nor complete", () => {
    assert.deepEqual(scan("request", "GET /health HTTP/1.1\r\nHo"), { seen: ["start"], idle: false });
  });

  await t.step("a head larger than the first buffer but within the limit grows it", () => {
    const seen: string[] = [];
    const scanner = new Http1Scanner("request", 20_000, {
      onHeadStart: () => seen.push("start"),
      onHead: (head) => seen.push(head.method),
      onEnd: () => seen.push("end"),
    });
    const bytes = encoder.encode(`GET / HTTP/1.1\r\nX-Big: ${"b".repeat(9000)}\r\n\r\n`);
    for (let i = 0; i < bytes.length; i += 1000) {
      assert.equal(scanner.scan(bytes.subarray(i, i + 1000)), undefined);
    }
    assert.deepEqual(seen, ["start", "GET", "end"]);
  });

  await t.step("a head over the limit is head-too-large", () => {
    assert.equal(scan("request", `GET / HTTP/1.1\r\nX: ${"a".repeat(300)}\r\n\r\n`).fault, "head-too-large");
  });

  await t.step("framings that could smuggle a request are refused", () => {
    for (
      const head of [
        "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "POST / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
      ]
    ) assert.equal(scan("request", head).fault, "bad-request", head);
    assert.equal(
      scan("request", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").fault,
      "bad-request",
    );
  });
});

Deno.test("Http1Scanner follows responses", async (t) => {
  await t.step("a chunked SSE stream ends at its last chunk", () => {
    const sse = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n11\r\nevent: ping\ndata:\r\n0\r\n\r\n";
    assert.deepEqual(scan("response", sse, 7, ["POST"]).seen, ["start", "POST:chunked", "end"]);
  });

  await t.step("100 Continue is not the answer; the final response after it is", () => {
    const text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
    assert.deepEqual(scan("response", text, Infinity, ["POST"]).seen, [
      "start",
      "start",
      "POST:length",
      "end",
    ]);
  });

  await t.step("answers to HEAD, 204 and 304 have no body whatever their headers say", () => {
    const head = "HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n";
    assert.deepEqual(scan("response", head, Infinity, ["HEAD"]).seen, ["start", "HEAD:none", "end"]);
    const noContent = "HTTP/1.1 204 No Content\r\n\r\n";
    assert.deepEqual(scan("response", noContent, Infinity, ["GET"]).seen, ["start", "GET:none", "end"]);
  });

  await t.step("a response without length or chunking lasts until the connection closes", () => {
    const text = "HTTP/1.1 200 OK\r\n\r\nsome bytes";
    assert.deepEqual(scan("response", text, Infinity, ["GET"]), {
      seen: ["start", "GET:close"],
      idle: false,
    });
  });
});
