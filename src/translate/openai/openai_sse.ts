/**
 * Server-sent-event decoding of OpenAI-compatible streams: bytes in, `data:` payloads out, with nothing
 * per chunk but a streaming UTF-8 decode and a newline scan (the SDK's layered decoder costs ~10x more;
 * see performance.md).
 *
 * @module
 */
import { RelayError } from "../../errors.ts";
import { chunkParser } from "./_chunk_template.ts";

/**
 * Yields the payload of every `data:` line of an SSE byte stream, up to `data: [DONE]`.
 *
 * Comments (`: keepalive`), `event:`/`id:`/`retry:` lines and blank lines are skipped; `\r\n` and `\n`
 * line ends both work; chunks may split anywhere, inside a line or a multi-byte character. Each `data:`
 * line is one payload: every OpenAI-compatible server sends one JSON object per line, and treating lines
 * alone keeps servers that omit the blank line between events working. Returning early (or `[DONE]`)
 * cancels the body, which releases the upstream connection.
 *
 * @example
 * ```ts
 * const body = new Response('data: {"choices":[]}\n\n: keepalive\n\ndata: [DONE]\n\n').body!;
 * for await (const payload of decodeSse(body)) console.log(payload); // {"choices":[]}
 * ```
 */
export function decodeSse(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  return payloads(body, identity);
}

function identity(payload: string): string {
  return payload;
}

function parseChunk(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch (err) {
    // The chunk is kept whole: it may quote a credential, and a cut here could split one so that the
    // redactor at the backend's edge (src/redact.ts, which also bounds the text) no longer knows it.
    throw new RelayError("api_error", `Upstream sent a malformed stream chunk: ${payload}`, { cause: err });
  }
}

/**
 * The decoding loop, with the per-payload step passed in. It yields the payloads of each network read
 * together: the server translates and writes them as one batch. `onRead` is told of every read, those
 * that complete no payload too (comments, a part of a line).
 */
async function* payloadBatches<T>(
  body: ReadableStream<Uint8Array>,
  map: (payload: string) => T,
  doneMarker?: T,
  onRead?: () => void,
): AsyncGenerator<T[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  // The unfinished last line. Only new text is searched for line ends, and the tail is never searched
  // again, so a long line split over many chunks costs one pass (a search of the growing tail would
  // flatten and rescan it on every chunk).
  let rest = "";
  let finished = false;
  // The payloads of the current read not yet yielded.
  let batch: T[] = [];
  try {
    while (true) {
      batch = [];
      const { done, value } = await reader.read();
      onRead?.();
      // `stream: true` keeps a multi-byte character split across chunks whole.
      const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      let start = 0;
      let nl = text.indexOf("\n");
      while (nl !== -1) {
        const payload = dataOf(rest === "" ? text.slice(start, nl) : rest + text.slice(start, nl));
        rest = "";
        start = nl + 1;
        if (payload !== undefined) {
          if (payload === "[DONE]") {
            if (doneMarker !== undefined) batch.push(doneMarker);
            if (batch.length) yield batch;
            return;
          }
          batch.push(map(payload));
        }
        nl = text.indexOf("\n", start);
      }
      rest += start === 0 ? text : text.slice(start);
      if (done) {
        finished = true;
        // The last line may lack its newline.
        const payload = rest === "" ? undefined : dataOf(rest);
        if (payload !== undefined && payload !== "[DONE]") batch.push(map(payload));
        if (batch.length) yield batch;
        return;
      }
      if (batch.length) yield batch;
    }
  } catch (err) {
    // Payloads of the same read before a malformed one still go out first, as if it had come later.
    if (batch.length) yield batch;
    throw err;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

async function* payloads<T>(
  body: ReadableStream<Uint8Array>,
  map: (payload: string) => T,
): AsyncGenerator<T> {
  for await (const batch of payloadBatches(body, map)) yield* batch;
}

/** The payload of a `data:` line, or `undefined` for any other line. */
function dataOf(rawLine: string): string | undefined {
  // charCode checks instead of startsWith/regex: this runs once per line of every stream.
  const line = rawLine.charCodeAt(rawLine.length - 1) === 13 ? rawLine.slice(0, -1) : rawLine;
  if (
    line.length < 5 || line.charCodeAt(0) !== 100 /* d */ || line.charCodeAt(4) !== 58 /* : */ ||
    !line.startsWith("data")
  ) return undefined;
  const payload = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
  return payload === "" ? undefined : payload;
}

/**
 * Yields each JSON payload of an OpenAI-compatible SSE stream, parsed.
 *
 * @throws {RelayError} `api_error` when a payload is not JSON.
 *
 * @example
 * ```ts
 * const body = new Response('data: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: [DONE]\n\n').body!;
 * for await (const chunk of openAIChunks(body)) console.log(chunk); // { choices: [{ delta: { content: "Hi" } }] }
 * ```
 */
export function openAIChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  return payloads(body, chunkParser(parseChunk));
}

/**
 * Like {@linkcode openAIChunks}, but yields the parsed payloads of each network read together, for
 * translators that write one batch per read; `[DONE]` arrives as {@linkcode OPENAI_DONE}. `onRead` is
 * called after every network read, whether or not it completed a payload (an upstream's idle timer).
 *
 * @throws {RelayError} `api_error` when a payload is not JSON.
 */
export function openAIChunkBatches(
  body: ReadableStream<Uint8Array>,
  onRead?: () => void,
): AsyncGenerator<unknown[]> {
  return payloadBatches<unknown>(body, chunkParser(parseChunk), OPENAI_DONE, onRead);
}

/**
 * Stands for `data: [DONE]` in {@linkcode openAIChunkBatches}: a stream that ends without it (and without
 * a `finish_reason`) was cut off.
 */
export const OPENAI_DONE: Readonly<{ done: true }> = Object.freeze({ done: true });
