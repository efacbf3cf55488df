/**
 * The soak's upstream: the bench's OpenAI-compatible and Bedrock Converse answers, and faults chosen by
 * a `fault:<kind>` marker in the request (relayx passes the user's text on): `busy` (503), `throttle`
 * (429 with `retry-after: 3`), `stall` (no headers for 3 s), `stall-mid` (part of the answer, then
 * nothing until the client leaves), `cut` (part of the answer, then the connection is dropped), `slow`
 * (the answer in 20 writes 50 ms apart). `GET /stats` says how many answers are still open.
 *
 * Run: `deno run --allow-net bench/soak_upstream.ts`; prints `{"port": N}` once listening and exits when
 * its standard input closes.
 *
 * @module
 */
import { converseBytes, converseStreamBytes, openAICompletionBytes, openAIStreamBytes } from "./fixtures.ts";
import { exitWithParent } from "./_process.ts";

const PARTS = 20;
const FAULT_RE = /fault:([a-z-]+)/;
const STREAM_RE = /"stream"\s*:\s*true/;
const STALL_MS = 3000;

const answers = {
  openai: { json: openAICompletionBytes(), stream: openAIStreamBytes(PARTS) },
  bedrock: { json: converseBytes(), stream: converseStreamBytes(PARTS) },
};
const HEADERS = {
  json: { "content-type": "application/json" },
  sse: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  eventstream: { "content-type": "application/vnd.amazon.eventstream" },
};

/** Answers begun and not yet finished or cancelled. */
let open = 0;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A body in parts; `after` decides what follows the first `at` parts. */
function body(parts: Uint8Array[], at: number, after: "end" | "hang" | "cut", gapMs = 0): ReadableStream {
  let i = 0;
  let done = false;
  const finish = () => {
    if (!done) open--;
    done = true;
  };
  open++;
  let wake: (() => void) | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i < (after === "end" ? parts.length : at)) {
        if (gapMs && i > 0) await sleep(gapMs);
        controller.enqueue(parts[i++]!.slice());
        return;
      }
      if (after === "end") {
        finish();
        controller.close();
      } else if (after === "cut") {
        finish();
        controller.error(new Error("soak upstream: connection cut on purpose"));
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    cancel() {
      wake?.();
      finish();
    },
  }, { highWaterMark: 0 });
}

function failure(bedrock: boolean, status: number, retryAfter?: string): Response {
  const headers: Record<string, string> = {
    ...HEADERS.json,
    ...(retryAfter ? { "retry-after": retryAfter } : {}),
  };
  if (bedrock) {
    const name = status === 429 ? "ThrottlingException" : "ServiceUnavailableException";
    headers["x-amzn-errortype"] = `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`;
    return new Response(JSON.stringify({ message: "soak fault" }), { status, headers });
  }
  return new Response(JSON.stringify({ error: { message: "soak fault", type: "server_error" } }), {
    status,
    headers,
  });
}

/** Answers one request. */
export async function handle(req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (req.method === "GET" && path === "/stats") return Response.json({ open });
  if (req.method === "GET" && path.startsWith("/inference-profiles")) {
    return Response.json({ inferenceProfileSummaries: [] });
  }
  const text = await req.text();
  const bedrock = path.startsWith("/model/");
  const stream = bedrock ? path.endsWith("/converse-stream") : STREAM_RE.test(text);
  const fault = FAULT_RE.exec(text)?.[1] ?? "ok";
  const answer = answers[bedrock ? "bedrock" : "openai"];
  const parts = stream ? answer.stream : [answer.json.subarray(0, 200), answer.json.subarray(200)];
  const headers = stream ? (bedrock ? HEADERS.eventstream : HEADERS.sse) : HEADERS.json;
  switch (fault) {
    case "busy":
      return failure(bedrock, 503, "2");
    case "throttle":
      return failure(bedrock, 429, "3");
    case "stall":
      // relayx gives up long before this; the answer then goes nowhere.
      open++;
      await sleep(STALL_MS);
      open--;
      return new Response(body(parts, 0, "end"), { headers });
    case "stall-mid":
      return new Response(body(parts, stream ? 3 : 1, "hang"), { headers });
    case "cut":
      return new Response(body(parts, stream ? 3 : 1, "cut"), { headers });
    case "slow":
      return new Response(body(parts, 0, "end", 50), { headers });
    default:
      return new Response(body(parts, 0, "end"), { headers });
  }
}

if (import.meta.main) {
  Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => console.log(JSON.stringify({ port: addr.port })),
    onError: () => new Response(null, { status: 500 }),
  }, handle);
  exitWithParent();
}
