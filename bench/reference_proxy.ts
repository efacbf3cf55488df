/**
 * The two reference proxies relayx is measured against, both forwarding every request to one upstream:
 *
 * - `bytes`: the bare pass-through. The request body and the response bytes go through untouched.
 * - `parse`: PARSE, the JSON work any translating proxy must do and nothing more: it parses and
 *   re-serializes the request body, and the JSON response or every SSE `data:` line of a stream.
 *
 * Run: `deno run --allow-net bench/reference_proxy.ts bytes|parse UPSTREAM_URL`; prints `{"port": N}`.
 *
 * @module
 */
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
