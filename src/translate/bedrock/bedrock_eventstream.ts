/**
 * Bedrock's streaming responses decoded straight off the wire: `application/vnd.amazon.eventstream` frames
 * split and checked (both CRC32s, as the SDK's codec checks them), then turned into ConverseStream union
 * members or the Anthropic events inside InvokeModelWithResponseStream chunks. The backend takes the raw body
 * from the SDK (`backends/bedrock/raw_body.ts`), because the SDK's per-event layers cost several times the
 * decoding itself (see performance.md); and the frames are read here rather than by the SDK's codec, which
 * builds an object for every header of every frame where relayx reads two or three strings: half the cost
 * of a 500-frame stream's decoding (bench).
 *
 * @module
 */
import { crc32 } from "node:zlib";
import { binaryToBytes } from "../_encoding.ts";
import { RelayError } from "../../errors.ts";
import { type BedrockErrorOptions, streamExceptionToError } from "./bedrock_errors.ts";
import { chunkBytes, converseDelta } from "./_stream_payloads.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * A header string value: short ASCII strings (`contentBlockDelta`, `event`, ...), nearly always the same
 * few, are built once and found again by a hash of their bytes, where a TextDecoder call each cost more.
 * Anything longer or not ASCII goes to the TextDecoder.
 */
function headerText(bytes: Uint8Array, from: number, to: number): string {
  const n = to - from;
  if (n > 64) return decoder.decode(bytes.subarray(from, to));
  let hash = n;
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (c > 0x7f) return decoder.decode(bytes.subarray(from, to));
    hash = (Math.imul(hash, 31) + c) | 0;
  }
  const known = headerStrings.get(hash);
  if (known !== undefined && sameAscii(known, bytes, from, to)) return known;
  // Every byte is ASCII, so each is its own UTF-16 code unit.
  const text = String.fromCharCode.apply(null, bytes.subarray(from, to) as unknown as number[]);
  if (headerStrings.size < HEADER_STRINGS_MAX) headerStrings.set(hash, text);
  return text;
}

const headerStrings = new Map<number, string>();
const HEADER_STRINGS_MAX = 512;

function sameAscii(text: string, bytes: Uint8Array, from: number, to: number): boolean {
  if (text.length !== to - from) return false;
  for (let i = from; i < to; i++) if (text.charCodeAt(i - from) !== bytes[i]) return false;
  return true;
}

/** The headers relayx reads, by the index {@linkcode headerIndex} gives their names. */
const HEADER_NAMES = [":message-type", ":event-type", ":exception-type", ":error-code", ":error-message"]
  .map((name) => encoder.encode(name));
const MESSAGE_TYPE = 0;
const EVENT_TYPE = 1;
const EXCEPTION_TYPE = 2;
const ERROR_CODE = 3;
const ERROR_MESSAGE = 4;

// Which of HEADER_NAMES the name at bytes[from, to) is, or -1: compared as bytes, never decoded.
function headerIndex(bytes: Uint8Array, from: number, to: number): number {
  next: for (let h = 0; h < HEADER_NAMES.length; h++) {
    const name = HEADER_NAMES[h]!;
    if (name.length !== to - from) continue;
    for (let i = 0; i < name.length; i++) if (name[i] !== bytes[from + i]) continue next;
    return h;
  }
  return -1;
}

// The fixed sizes of header values by type tag (0 and 1 are booleans with no value); 6 and 7 (bytes and
// string) have a 2-byte length instead; 10 and above are not types.
const VALUE_SIZE = [0, 0, 1, 2, 4, 8, -1, -1, 8, 16];
const STRING = 7;

/** Frame layout: total length, headers length, prelude CRC, then headers, payload, message CRC. */
const PRELUDE = 12;
const FRAME_MIN = 16;

function malformed(what: string): Error {
  return new Error(`Malformed event stream message: ${what}`);
}

/**
 * Decodes the frame of `total` bytes at `off` (all of it in `bytes`), CRCs first, reading the string values
 * of the headers relayx uses; the payload is a view of `bytes`.
 */
function decodeFrame(bytes: Uint8Array, view: DataView, off: number, total: number): EventStreamMessage {
  if (total < FRAME_MIN) throw malformed("too short for its prelude and checksums");
  const preludeCrc = crc32(bytes.subarray(off, off + 8));
  if (preludeCrc !== view.getUint32(off + 8, false)) throw malformed("prelude checksum mismatch");
  const headersEnd = off + PRELUDE + view.getUint32(off + 4, false);
  const end = off + total - 4;
  if (headersEnd > end) throw malformed("headers longer than the message");
  if (crc32(bytes.subarray(off + 8, end), preludeCrc) !== view.getUint32(end, false)) {
    throw malformed("message checksum mismatch");
  }
  const values: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  let at = off + PRELUDE;
  while (at < headersEnd) {
    const nameEnd = at + 1 + bytes[at]!;
    if (nameEnd >= headersEnd) throw malformed("header past the headers' end");
    const tag = bytes[nameEnd]!;
    const fixed = VALUE_SIZE[tag];
    if (fixed === undefined) throw malformed("unknown header value type");
    const valueAt = fixed >= 0 ? nameEnd + 1 : nameEnd + 3;
    const valueEnd = fixed >= 0 ? valueAt + fixed : valueAt + view.getUint16(nameEnd + 1, false);
    if (valueEnd > headersEnd) throw malformed("header past the headers' end");
    const h = headerIndex(bytes, at + 1, nameEnd);
    // A later header of the same name wins, as in the SDK's codec; a value of another type reads as "".
    if (h >= 0) values[h] = tag === STRING ? headerText(bytes, valueAt, valueEnd) : "";
    at = valueEnd;
  }
  const body = bytes.subarray(headersEnd, end);
  const kind = values[MESSAGE_TYPE];
  if (kind === "exception") return { kind, type: values[EXCEPTION_TYPE] ?? "", body };
  if (kind === "error") {
    return { kind, type: values[ERROR_CODE] ?? "", body: encoder.encode(values[ERROR_MESSAGE] ?? "") };
  }
  return { kind: "event", type: values[EVENT_TYPE] ?? "", body };
}

/** One decoded frame. */
export interface EventStreamMessage {
  /** `event` (typed by `:event-type`), `exception` (by `:exception-type`) or `error` (by `:error-code`). */
  kind: "event" | "exception" | "error";
  /** The event or exception type, or the error code. */
  type: string;
  /** The frame's payload (JSON for Bedrock). */
  body: Uint8Array;
}

/**
 * Splits an event-stream body into frames and decodes each (CRCs checked), yielding the
 * frames of each network read together. `onRead` is called after every network read, whether or not it
 * completed a frame (an upstream's idle timer).
 *
 * @throws {Error} when the body ends inside a frame.
 */
export async function* eventStreamBatches(
  body: ReadableStream<Uint8Array>,
  onRead?: () => void,
): AsyncGenerator<EventStreamMessage[]> {
  const reader = body.getReader();
  let buf: Uint8Array = new Uint8Array(0);
  let done = false;
  try {
    while (true) {
      const next = await reader.read();
      onRead?.();
      if (next.done) break;
      const chunk = next.value;
      buf = buf.length === 0 ? chunk : concat(buf, chunk);
      const batch: EventStreamMessage[] = [];
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      let off = 0;
      while (buf.length - off >= PRELUDE) {
        const total = view.getUint32(off, false);
        if (total >= FRAME_MIN && buf.length - off < total) break;
        batch.push(decodeFrame(buf, view, off, total));
        off += total;
      }
      buf = off === buf.length ? new Uint8Array(0) : buf.subarray(off);
      if (batch.length) yield batch;
    }
    if (buf.length) throw new Error("Truncated event message received.");
    done = true;
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Splits an event-stream body into frames, one at a time.
 *
 * @throws {Error} when the body ends inside a frame.
 */
export async function* eventStreamMessages(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<EventStreamMessage> {
  for await (const batch of eventStreamBatches(body)) yield* batch;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // The text is kept whole: the backend's redactor (src/redact.ts) hides any credential in it and
    // bounds it, which a cut made here could defeat. The parser's own message quotes a cut of it.
    throw new RelayError("api_error", `Bedrock sent a malformed ${what}: ${text}`, { cause: err });
  }
}

// How a frame is named in the error for a payload that is not JSON.
function frameName(m: EventStreamMessage): string {
  return `${m.kind} frame ${m.type}`;
}

function json(bytes: Uint8Array, m: EventStreamMessage): unknown {
  return bytes.length ? parse(decoder.decode(bytes), frameName(m)) : {};
}

function streamError(m: EventStreamMessage): RelayError {
  const text = decoder.decode(m.body);
  return new RelayError("api_error", `Bedrock stream error ${m.type}: ${text}`.trim());
}

function converseEvent(m: EventStreamMessage): Record<string, unknown> {
  if (m.kind === "error") throw streamError(m);
  if (m.type === "contentBlockDelta" && m.kind === "event" && m.body.length) {
    // Nearly every frame of a stream: its common shapes are read without a full parse.
    const text = decoder.decode(m.body);
    return { contentBlockDelta: converseDelta(text) ?? parse(text, frameName(m)) };
  }
  return { [m.type]: json(m.body, m) };
}

/** The Anthropic event inside an InvokeModelWithResponseStream frame, if it carries one. */
function invokeEvent(m: EventStreamMessage, errors?: BedrockErrorOptions): unknown {
  if (m.kind === "error") throw streamError(m);
  if (m.kind === "exception") throw streamExceptionToError(m.type, json(m.body, m), errors);
  if (m.type !== "chunk") return undefined;
  let bytes: unknown;
  if (m.body.length) {
    const text = decoder.decode(m.body);
    bytes = chunkBytes(text) ?? (parse(text, frameName(m)) as { bytes?: unknown }).bytes;
  }
  return typeof bytes === "string" ? parse(chunkText(bytes), "chunk") : undefined;
}

const NOT_ASCII = /[\x80-\uffff]/;

/** The UTF-8 text inside a chunk's base64. */
function chunkText(b64: string): string {
  const binary = atob(b64);
  // A binary string of ASCII bytes (most events: JSON escapes little) is already their UTF-8 decoding.
  return NOT_ASCII.test(binary) ? decoder.decode(binaryToBytes(binary)) : binary;
}

/** {@linkcode converseEvents}, one array per network read; `onRead` as for {@linkcode eventStreamBatches}. */
export async function* converseEventBatches(
  body: ReadableStream<Uint8Array>,
  onRead?: () => void,
): AsyncGenerator<Record<string, unknown>[]> {
  for await (const batch of eventStreamBatches(body, onRead)) {
    const events: Record<string, unknown>[] = [];
    try {
      for (const m of batch) events.push(converseEvent(m));
    } catch (err) {
      // Events decoded before the failing frame still go out first, as if it had come in a later read.
      if (events.length) yield events;
      throw err;
    }
    yield events;
  }
}

/**
 * {@linkcode invokeEvents}, one array per network read. `errors` sizes a context overflow reported by an
 * exception frame (the prompt's estimate and the model's window); `onRead` as for
 * {@linkcode eventStreamBatches}.
 */
export async function* invokeEventBatches(
  body: ReadableStream<Uint8Array>,
  errors?: BedrockErrorOptions,
  onRead?: () => void,
): AsyncGenerator<unknown[]> {
  for await (const batch of eventStreamBatches(body, onRead)) {
    const events: unknown[] = [];
    try {
      for (const m of batch) {
        const e = invokeEvent(m, errors);
        if (e !== undefined) events.push(e);
      }
    } catch (err) {
      // Events decoded before the exception frame still go out first, as if it had come in a later read.
      if (events.length) yield events;
      throw err;
    }
    if (events.length) yield events;
  }
}

/**
 * A ConverseStream body as the union members the SDK would yield (`{contentBlockDelta: {...}}`,
 * `{throttlingException: {...}}`); byte fields stay base64 strings, which the translator accepts.
 */
export async function* converseEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<Record<string, unknown>> {
  for await (const m of eventStreamMessages(body)) yield converseEvent(m);
}

/**
 * An InvokeModelWithResponseStream body as the Anthropic events inside its chunks.
 *
 * @throws {RelayError} for an exception frame (mapped like the SDK's exceptions).
 */
export async function* invokeEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  for await (const m of eventStreamMessages(body)) {
    const e = invokeEvent(m);
    if (e !== undefined) yield e;
  }
}
