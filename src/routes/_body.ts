/**
 * Reading a JSON request body within Anthropic's size limit and relayx's body timeout.
 *
 * @module
 */
import { RelayError } from "../errors.ts";
import { DEFAULT_LIMITS } from "../limits.ts";
import { deadline } from "./_deadline.ts";

/** Anthropic's limit for Messages and count_tokens bodies. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Options for {@linkcode readJson}. */
export interface ReadJsonOptions {
  /** Largest body accepted, in bytes (default {@linkcode MAX_BODY_BYTES}). */
  maxBytes?: number;
  /** Time allowed for the whole body once the headers are in (default `DEFAULT_LIMITS.bodyReadMs`). */
  timeoutMs?: number;
}

function tooLarge(): RelayError {
  return new RelayError("request_too_large", "Request exceeds the maximum allowed number of bytes (32 MB)", {
    shouldRetry: false,
  });
}

/**
 * Reads and parses a JSON body: 413 past the size limit, 408 when the client stops sending before the
 * body is complete, 400 when the connection breaks mid-body or the body is not JSON. All of these are the
 * client's doing, so none of them is a 5xx.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const request = new Request("http://localhost/v1/messages", { method: "POST", body: '{"a":1}' });
 * assert.deepEqual(await readJson(request, { timeoutMs: 1000 }), { a: 1 });
 * ```
 */
export async function readJson(request: Request, options: ReadJsonOptions = {}): Promise<unknown> {
  return parseJsonBody(await readText(request, options));
}

/** Reads a body as text, with the limits and errors of {@linkcode readJson}. */
export async function readText(request: Request, options: ReadJsonOptions = {}): Promise<string> {
  const limit = options.maxBytes ?? MAX_BODY_BYTES;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge();
  const bytes = await _readBody(request, limit, declared, options.timeoutMs ?? DEFAULT_LIMITS.bodyReadMs);
  return new TextDecoder().decode(bytes);
}

/** Parses a body's text: a 400 naming the body when it is not JSON. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RelayError("invalid_request_error", `body: Invalid JSON: ${(err as Error).message}`, {
      shouldRetry: false,
    });
  }
}

// One deadline for the whole body, not one per chunk. A declared length is read in one go by the runtime
// (cheaper than a read loop); a chunked body is counted as it arrives, so that an endless body cannot
// exhaust memory.
async function _readBody(
  request: Request,
  limit: number,
  declared: number,
  timeoutMs: number,
): Promise<Uint8Array> {
  // `request.body` is not touched on the declared-length path: creating the stream object takes the
  // runtime off its faster whole-body read.
  const stream = declared > 0 ? undefined : request.body;
  if (declared <= 0 && !stream) return new Uint8Array(0);
  const counter = { size: 0, reader: undefined as ReadableStreamDefaultReader<Uint8Array> | undefined };
  const { promise: timeout, reject } = Promise.withResolvers<never>();
  const cancel = deadline(timeoutMs, () => {
    counter.reader?.cancel().catch(() => {});
    const received = counter.reader ? ` (received ${counter.size} bytes)` : "";
    reject(
      new RelayError("invalid_request_error", `body: not complete after ${timeoutMs / 1000} s${received}`, {
        status: 408,
        shouldRetry: false,
      }),
    );
  });
  const read = stream ? _readCounted(stream, limit, counter) : request.bytes();
  // Once the timeout has answered, the read is left to fail when the connection closes.
  read.catch(() => {});
  try {
    return await Promise.race([read, timeout]);
  } catch (err) {
    if (err instanceof RelayError) throw err;
    throw new RelayError("invalid_request_error", "body: the connection broke before the body was complete", {
      shouldRetry: false,
      cause: err,
    });
  } finally {
    cancel();
  }
}

async function _readCounted(
  body: ReadableStream<Uint8Array>,
  limit: number,
  counter: { size: number; reader: ReadableStreamDefaultReader<Uint8Array> | undefined },
): Promise<Uint8Array> {
  const reader = body.getReader();
  counter.reader = reader;
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    counter.size += value.byteLength;
    if (counter.size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    parts.push(value);
  }
  const all = new Uint8Array(counter.size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return all;
}
