/**
 * The bench's upstream: a minimal, fast mock of an OpenAI-compatible server and of Bedrock Runtime on
 * one 127.0.0.1 port. Every answer is pre-encoded; a request costs reading its body and one regex.
 *
 * - `POST .../chat/completions`: a chat completion, or with `"stream":true` the 500-line SSE stream.
 * - `POST /model/{id}/converse` and `/converse-stream`: Converse JSON or 500 event-stream frames. The AWS
 *   SDK speaks HTTP/2 cleartext by prior knowledge under Deno; `Deno.serve` accepts it on the same port.
 * - `GET /inference-profiles`: an empty list (relayx's start-up listing).
 *
 * Run: `deno run --allow-net bench/mock_upstream.ts [port]`; prints `{"port": N}` once listening and
 * exits when its standard input closes or after ten minutes.
 *
 * @module
 */
import { converseBytes, converseStreamBytes, openAICompletionBytes, openAIStreamBytes } from "./fixtures.ts";
import { exitWithParent } from "./_process.ts";

/** Writes a streamed response is cut into (25 events each), as a server flushing in batches would. */
const STREAM_WRITES = 20;
const STREAM_RE = /"stream"\s*:\s*true/;

const completion = openAICompletionBytes();
const openAIStream = openAIStreamBytes(STREAM_WRITES);
const converse = converseBytes();
const converseStream = converseStreamBytes(STREAM_WRITES);
const decoder = new TextDecoder();

function streamOf(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      // Copies: a body chunk handed to the runtime may be transferred, and these buffers are reused.
      for (const p of parts) controller.enqueue(p.slice());
      controller.close();
    },
  });
}

const JSON_HEADERS = { "content-type": "application/json" };
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };
const EVENTSTREAM_HEADERS = {
  "content-type": "application/vnd.amazon.eventstream",
  "x-amzn-requestid": "bench-request",
};

/** Answers one request. */
export async function handle(req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (req.method === "GET" && path.startsWith("/inference-profiles")) {
    return new Response('{"inferenceProfileSummaries":[]}', { headers: JSON_HEADERS });
  }
  if (req.method !== "POST") return new Response("not found", { status: 404 });
  const body = await req.bytes();
  if (path.startsWith("/model/")) {
    if (path.endsWith("/converse-stream")) {
      return new Response(streamOf(converseStream), { headers: EVENTSTREAM_HEADERS });
    }
    if (path.endsWith("/converse")) {
      return new Response(converse.slice(), { headers: { ...JSON_HEADERS, "x-amzn-requestid": "bench" } });
    }
    return new Response('{"message":"bench mock: unsupported operation"}', { status: 400 });
  }
  if (path.endsWith("/chat/completions")) {
    if (STREAM_RE.test(decoder.decode(body))) {
      return new Response(streamOf(openAIStream), { headers: SSE_HEADERS });
    }
    return new Response(completion.slice(), { headers: JSON_HEADERS });
  }
  return new Response("not found", { status: 404 });
}

if (import.meta.main) {
  const port = Number(Deno.args[0] ?? "0");
  Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: (addr) => console.log(JSON.stringify({ port: addr.port })),
  }, handle);
  exitWithParent();
}
