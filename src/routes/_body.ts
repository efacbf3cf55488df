/**
 * Reading a JSON request body within Anthropic's size limit.
 *
 * @module
 */
import { RelayError } from "../errors.ts";

/** Anthropic's limit for Messages and count_tokens bodies. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

function tooLarge(): RelayError {
  return new RelayError("request_too_large", "Request exceeds the maximum allowed number of bytes (32 MB)", {
    shouldRetry: false,
  });
}

/**
 * Reads and parses a JSON body; 413 past 32 MB, 400 for anything that is not JSON.
 */
export async function readJson(request: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge();
  let text: string;
  if (declared > 0) {
    text = await request.text();
  } else {
    // No length declared (chunked): count while reading so that an endless body cannot exhaust memory.
    const reader = request.body?.getReader();
    const parts: Uint8Array[] = [];
    let size = 0;
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw tooLarge();
      }
      parts.push(value);
    }
    const all = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.byteLength;
    }
    text = new TextDecoder().decode(all);
  }
  if (text.length > limit) throw tooLarge();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RelayError("invalid_request_error", `body: Invalid JSON: ${(err as Error).message}`, {
      shouldRetry: false,
    });
  }
}
