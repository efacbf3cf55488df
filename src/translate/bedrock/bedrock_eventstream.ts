/**
 * Bedrock's streaming responses decoded straight off the wire: `application/vnd.amazon.eventstream` frames
 * split and checked with the SDK's own frame codec, then turned into ConverseStream union members or the
 * Anthropic events inside InvokeModelWithResponseStream chunks. The backend takes the raw body from the SDK
 * (`backends/bedrock/raw_body.ts`), because the SDK's per-event layers cost several times the decoding
 * itself (see performance.md).
 *
 * @module
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { RelayError } from "../../errors.ts";
import { type BedrockErrorOptions, streamExceptionToError } from "./bedrock_errors.ts";
import { base64ToBytes } from "../_encoding.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const codec = new EventStreamCodec(headerText, (text) => encoder.encode(text));

/**
 * The codec's decoder of header names and string values: six short ASCII strings a frame, nearly always
 * the same few (`:event-type`, `contentBlockDelta`, ...), so each is built once and found again by a hash
 * of its bytes, where a TextDecoder call each cost more. Anything longer or not ASCII goes to the
 * TextDecoder.
 */
function headerText(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n > 64) return decoder.decode(bytes);
  let hash = n;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c > 0x7f) return decoder.decode(bytes);
    hash = (Math.imul(hash, 31) + c) | 0;
  }
  const known = headerStrings.get(hash);
  if (known !== undefined && sameAscii(known, bytes)) return known;
  // Every byte is ASCII, so each is its own UTF-16 code unit.
  const text = String.fromCharCode.apply(null, bytes as unknown as number[]);
  if (headerStrings.size < HEADER_STRINGS_MAX) headerStrings.set(hash, text);
  return text;
}

const headerStrings = new Map<number, string>();
const HEADER_STRINGS_MAX = 512;

function sameAscii(text: string, bytes: Uint8Array): boolean {
  if (text.length !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (text.charCodeAt(i) !== bytes[i]) return false;
  return true;
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

function headerString(headers: Record<string, { value: unknown }>, name: string): string {
  const v = headers[name]?.value;
  return typeof v === "string" ? v : "";
}

/**
 * Splits an event-stream body into frames and decodes each (CRCs checked by the codec), yielding the
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
      let off = 0;
      while (buf.length - off >= 12) {
        const total = new DataView(buf.buffer, buf.byteOffset + off, 4).getUint32(0, false);
        if (buf.length - off < total) break;
        const message = codec.decode(buf.subarray(off, off + total));
        off += total;
        const headers = message.headers as Record<string, { value: unknown }>;
        const kind = headerString(headers, ":message-type");
        if (kind === "exception") {
          batch.push({ kind, type: headerString(headers, ":exception-type"), body: message.body });
        } else if (kind === "error") {
          batch.push({
            kind,
            type: headerString(headers, ":error-code"),
            body: encoder.encode(headerString(headers, ":error-message")),
          });
        } else {
          batch.push({ kind: "event", type: headerString(headers, ":event-type"), body: message.body });
        }
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

function json(bytes: Uint8Array, m: EventStreamMessage): unknown {
  return bytes.length ? parse(decoder.decode(bytes), `${m.kind} frame ${m.type}`) : {};
}

function streamError(m: EventStreamMessage): RelayError {
  const text = decoder.decode(m.body);
  return new RelayError("api_error", `Bedrock stream error ${m.type}: ${text}`.trim());
}

function converseEvent(m: EventStreamMessage): Record<string, unknown> {
  if (m.kind === "error") throw streamError(m);
  return { [m.type]: json(m.body, m) };
}

/** The Anthropic event inside an InvokeModelWithResponseStream frame, if it carries one. */
function invokeEvent(m: EventStreamMessage, errors?: BedrockErrorOptions): unknown {
  if (m.kind === "error") throw streamError(m);
  if (m.kind === "exception") throw streamExceptionToError(m.type, json(m.body, m), errors);
  if (m.type !== "chunk") return undefined;
  const payload = json(m.body, m) as { bytes?: unknown };
  return typeof payload.bytes === "string"
    ? parse(decoder.decode(base64ToBytes(payload.bytes)), "chunk")
    : undefined;
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
