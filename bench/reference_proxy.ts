/**
 * The two reference proxies relayx is measured against, both forwarding every request to one upstream:
 *
 * - `bytes`: the bare pass-through. The request body and the response bytes go through untouched.
 * - `parse`: PARSE, the JSON work any translating proxy must do and nothing more: it parses and
 *   re-serializes the request body, and the JSON response or every SSE `data:` line of a stream. On the
 *   Bedrock side (an `application/vnd.amazon.eventstream` response) it decodes every AWS event-stream
 *   frame, parses and re-serializes its JSON payload and encodes the frame again (new CRCs): the limit of
 *   a proxy in front of Bedrock's ConverseStream.
 *
 * Run: `deno run --allow-net bench/reference_proxy.ts bytes|parse UPSTREAM_URL`; prints `{"port": N}`.
 *
 * @module
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { crc32 } from "node:zlib";
import { exitWithParent } from "./_process.ts";

/** What the proxy does to the bytes. */
export type ProxyMode = "bytes" | "parse";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "host", "content-length"]);

function forwardHeaders(from: Headers): Headers {
  const out = new Headers();
  for (const [k, v] of from) if (!HOP_BY_HOP.has(k)) out.set(k, v);
  return out;
}

/**
 * Re-serializes every `data:` line of an SSE byte stream; everything else goes through unchanged. One
 * stage (decode, split, parse, stringify, encode) so that only the JSON work is added to the pass-through.
 */
export function reserializeSse(): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let rest = "";
  const line = (l: string): string =>
    l.startsWith("data: ") && l !== "data: [DONE]" ? `data: ${JSON.stringify(JSON.parse(l.slice(6)))}` : l;
  return new TransformStream({
    transform(bytes, controller) {
      const lines = (rest + decoder.decode(bytes, { stream: true })).split("\n");
      rest = lines.pop() ?? "";
      if (lines.length) controller.enqueue(encoder.encode(lines.map(line).join("\n") + "\n"));
    },
    flush(controller) {
      rest += decoder.decode();
      if (rest) controller.enqueue(encoder.encode(line(rest)));
    },
  });
}

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();
const codec = new EventStreamCodec((b) => textDecoder.decode(b), (s) => textEncoder.encode(s));

/**
 * One event-stream frame: prelude (total length, headers length, their CRC32), the headers as encoded,
 * the payload, the CRC32 of all before it. The headers are the input frame's bytes: PARSE changes only the
 * payload, and the codec's own `encode` (which formats every header again) costs about seven times its
 * `decode` (5.0 against 0.75 ms a 500-frame stream on the bench machine), most of the 6 ms relayx takes
 * for the whole stream: a limit that slow would prove nothing.
 */
function encodeFrame(headers: Uint8Array, body: Uint8Array): Uint8Array {
  const total = 12 + headers.length + body.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headers.length);
  view.setUint32(8, crc32(out.subarray(0, 8)));
  out.set(headers, 12);
  out.set(body, 12 + headers.length);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)));
  return out;
}

/**
 * Decodes every AWS event-stream frame (the codec checks both CRCs and parses the headers), re-serializes
 * its JSON payload and encodes the frame again with new lengths and CRCs; the frames of one input chunk go
 * out as one chunk, as they came. A frame split across chunks waits for its rest (the first four bytes of
 * a frame are its total length).
 */
export function reframeEventStream(): TransformStream<Uint8Array, Uint8Array> {
  let pending = new Uint8Array(0);
  return new TransformStream({
    transform(bytes, controller) {
      let buf = bytes;
      if (pending.length) {
        buf = new Uint8Array(pending.length + bytes.length);
        buf.set(pending);
        buf.set(bytes, pending.length);
      }
      const out: Uint8Array[] = [];
      let at = 0;
      while (buf.length - at >= 4) {
        const total = new DataView(buf.buffer, buf.byteOffset + at, 4).getUint32(0);
        if (buf.length - at < total) break;
        const message = codec.decode(buf.subarray(at, at + total));
        const body = message.body.length
          ? textEncoder.encode(JSON.stringify(JSON.parse(textDecoder.decode(message.body))))
          : message.body;
        const headersLength = new DataView(buf.buffer, buf.byteOffset + at + 4, 4).getUint32(0);
        out.push(encodeFrame(buf.subarray(at + 12, at + 12 + headersLength), body));
        at += total;
      }
      pending = buf.slice(at);
      if (out.length === 1) controller.enqueue(out[0]!);
      else if (out.length) {
        const joined = new Uint8Array(out.reduce((n, o) => n + o.length, 0));
        let w = 0;
        for (const o of out) {
          joined.set(o, w);
          w += o.length;
        }
        controller.enqueue(joined);
      }
    },
    flush() {
      if (pending.length) throw new Error(`event stream ends inside a frame (${pending.length} bytes)`);
    },
  });
}

/** Builds the proxy's request handler. */
export function createProxy(mode: ProxyMode, upstream: string): (req: Request) => Promise<Response> {
  const base = upstream.replace(/\/+$/, "");
  return async (req) => {
    const url = new URL(req.url);
    const body = mode === "parse" ? JSON.stringify(JSON.parse(await req.text())) : await req.bytes();
    const res = await fetch(base + url.pathname + url.search, {
      method: req.method,
      headers: forwardHeaders(req.headers),
      body: req.method === "GET" ? undefined : body,
      signal: req.signal,
    });
    const headers = forwardHeaders(res.headers);
    if (mode === "bytes" || !res.body) return new Response(res.body, { status: res.status, headers });
    if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
      return new Response(res.body.pipeThrough(reserializeSse()), { status: res.status, headers });
    }
    if ((res.headers.get("content-type") ?? "").startsWith("application/vnd.amazon.eventstream")) {
      return new Response(res.body.pipeThrough(reframeEventStream()), { status: res.status, headers });
    }
    const text = JSON.stringify(JSON.parse(await res.text()));
    return new Response(text, { status: res.status, headers });
  };
}

if (import.meta.main) {
  const [mode, upstream] = Deno.args;
  if ((mode !== "bytes" && mode !== "parse") || !upstream) {
    console.error("Usage: reference_proxy.ts bytes|parse UPSTREAM_URL");
    Deno.exit(2);
  }
  Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => console.log(JSON.stringify({ port: addr.port })),
  }, createProxy(mode, upstream));
  exitWithParent();
}
