/**
 * Finds where HTTP/1.1 messages begin and end in one direction of a connection, without copying bodies:
 * what the connection guard needs to time header reads and idle keep-alive connections while the bytes
 * pass through untouched (the server behind it still parses them itself).
 *
 * @module
 */

/** What the scanner tells its owner. */
export interface ScanEvents {
  /** The first byte of a message head arrived. */
  onHeadStart(): void;
  /** A message head is complete (for responses: a final one, not `1xx`). */
  onHead(head: MessageHead): void;
  /** A message (head and body) is complete. */
  onEnd(): void;
}

/** The parts of a head that decide where its message ends. */
export interface MessageHead {
  /** The request's method; for a response, the method of the request it answers. */
  method: string;
  /** The response's status; 0 for a request. */
  status: number;
  /** How the body is delimited. */
  body: "none" | "length" | "chunked" | "close";
}

/** Why a scanner stopped: the head outgrew the limit, or the framing cannot be read safely. */
export type ScanFault = "head-too-large" | "bad-request";

type State = "head" | "length" | "size" | "data" | "data-end" | "trailer" | "close";

const CR = 13;
const LF = 10;
const MAX_LINE = 1024;
const latin1 = new TextDecoder("latin1");
const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP\/1\.[01]$/;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: |$)/;

/**
 * Scans the bytes of one direction of an HTTP/1.1 connection and reports heads and message ends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * const scanner = new Http1Scanner("request", 1024, {
 *   onHeadStart: () => seen.push("start"),
 *   onHead: (head) => seen.push(head.method),
 *   onEnd: () => seen.push("end"),
 * });
 * scanner.scan(new TextEncoder().encode("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"));
 * assert.deepEqual(seen, ["start", "POST", "end"]);
 * ```
 */
export class Http1Scanner {
  #kind: "request" | "response";
  #max: number;
  #events: ScanEvents;
  #state: State = "head";
  #head: Uint8Array | undefined;
  #headLength = 0;
  #lineLength = 0;
  #line = "";
  #remaining = 0;
  #methods: string[] = [];

  /** A scanner of requests or responses whose heads may have up to `maxHeadBytes` bytes. */
  constructor(kind: "request" | "response", maxHeadBytes: number, events: ScanEvents) {
    this.#kind = kind;
    this.#max = maxHeadBytes;
    this.#events = events;
  }

  /** True between messages, before any byte of the next head. */
  get idle(): boolean {
    return this.#state === "head" && this.#headLength === 0;
  }

  /** True while a body is being read. */
  get inBody(): boolean {
    return this.#state !== "head";
  }

  /** True when part of a head has arrived. */
  get inHead(): boolean {
    return this.#state === "head" && this.#headLength > 0;
  }

  /** Response scanners: the method of the next request to be answered (a HEAD answer has no body). */
  expect(method: string): void {
    this.#methods.push(method);
  }

  /** Scans the next bytes; returns a fault when the stream cannot be followed any further. */
  scan(bytes: Uint8Array): ScanFault | undefined {
    let i = 0;
    while (i < bytes.length) {
      switch (this.#state) {
        case "head": {
          const r = this.#scanHead(bytes, i);
          if (typeof r === "string") return r;
          i = r;
          break;
        }
        case "length": {
          const take = Math.min(this.#remaining, bytes.length - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#end();
          break;
        }
        case "data": {
          const take = Math.min(this.#remaining, bytes.length - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = "data-end";
          break;
        }
        case "size":
        case "data-end":
        case "trailer": {
          const r = this.#scanChunkLine(bytes[i]!);
          if (r) return r;
          i++;
          break;
        }
        case "close":
          return undefined;
        default: {
          const never: never = this.#state;
          return never;
        }
      }
    }
    return undefined;
  }

  #scanHead(bytes: Uint8Array, from: number): number | ScanFault {
    for (let i = from; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.#headLength === 0) {
        // Empty lines before a request line are allowed (RFC 9112 2.2); some clients send one after a body.
        if (b === CR || b === LF) continue;
        this.#lineLength = 0;
        this.#events.onHeadStart();
      }
      if (this.#headLength >= this.#max) return "head-too-large";
      const head = this.#headLength < (this.#head?.length ?? 0) ? this.#head! : this.#grow();
      head[this.#headLength++] = b;
      if (b === LF) {
        if (this.#lineLength === 0) {
          const fault = this.#startBody();
          return fault ?? i + 1;
        }
        this.#lineLength = 0;
      } else if (b !== CR) {
        this.#lineLength++;
      }
    }
    return bytes.length;
  }

  // Heads are small (Claude Code's about 1 KiB): the buffer starts at 4 KiB and doubles up to the limit,
  // so that a thousand connections that each sent one byte do not hold a full limit each.
  #grow(): Uint8Array {
    const bigger = new Uint8Array(Math.min(this.#max, Math.max(4096, (this.#head?.length ?? 0) * 2)));
    if (this.#head) bigger.set(this.#head);
    this.#head = bigger;
    return bigger;
  }

  // One byte of a chunk-size line, of the CRLF after chunk data, or of the trailer section.
  #scanChunkLine(b: number): ScanFault | undefined {
    if (this.#state === "data-end") {
      if (b === LF) this.#state = "size";
      else if (b !== CR) return "bad-request";
      return undefined;
    }
    if (b !== LF) {
      if (b !== CR) this.#line += String.fromCharCode(b);
      return this.#line.length > MAX_LINE ? "bad-request" : undefined;
    }
    const line = this.#line;
    this.#line = "";
    if (this.#state === "trailer") {
      if (line === "") this.#end();
      return undefined;
    }
    const hex = line.split(";", 1)[0]!.trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) return "bad-request";
    this.#remaining = parseInt(hex, 16);
    this.#state = this.#remaining === 0 ? "trailer" : "data";
    return undefined;
  }

  #startBody(): ScanFault | undefined {
    const text = latin1.decode(this.#head!.subarray(0, this.#headLength));
    this.#headLength = 0;
    const lines = text.split(/\r?\n/);
    const head = this.#kind === "request" ? _requestHead(lines) : this.#responseHead(lines);
    if (head === undefined) return "bad-request";
    if (head === "interim") return undefined;
    this.#events.onHead(head.head);
    if (head.head.body === "none" || (head.head.body === "length" && head.length === 0)) this.#end();
    else if (head.head.body === "length") {
      this.#state = "length";
      this.#remaining = head.length;
    } else this.#state = head.head.body === "chunked" ? "size" : "close";
    return undefined;
  }

  #responseHead(lines: string[]): { head: MessageHead; length: number } | "interim" | undefined {
    const status = Number(STATUS_LINE.exec(lines[0] ?? "")?.[1]);
    if (!status) return undefined;
    // 100 Continue and other interim answers come before the final one; 101 hands the socket over.
    if (status < 200 && status !== 101) return "interim";
    const method = this.#methods.shift() ?? "GET";
    const fields = _fields(lines);
    if (!fields) return undefined;
    const head: MessageHead = { method, status, body: "close" };
    if (status === 101) return { head, length: 0 };
    if (method === "HEAD" || status === 204 || status === 304) head.body = "none";
    else if (fields.chunked) head.body = "chunked";
    else if (fields.encoded) head.body = "close";
    else if (fields.length !== undefined) head.body = "length";
    return { head, length: fields.length ?? 0 };
  }

  #end(): void {
    this.#state = "head";
    this.#events.onEnd();
  }
}

function _requestHead(lines: string[]): { head: MessageHead; length: number } | undefined {
  const first = lines[0] ?? "";
  if (!REQUEST_LINE.test(first)) return undefined;
  const fields = _fields(lines);
  // Both framings at once, or an encoding that does not end in chunked, are how requests are smuggled.
  if (!fields || (fields.encoded && (!fields.chunked || fields.length !== undefined))) return undefined;
  const method = first.slice(0, first.indexOf(" "));
  const body = fields.chunked ? "chunked" : fields.length ? "length" : "none";
  return { head: { method, status: 0, body }, length: fields.length ?? 0 };
}

interface Fields {
  length?: number;
  encoded: boolean;
  chunked: boolean;
}

function _fields(lines: string[]): Fields | undefined {
  const fields: Fields = { encoded: false, chunked: false };
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line === "") break;
    const colon = line.indexOf(":");
    // A folded line (leading space) or a field without a name cannot be framed with certainty.
    if (colon <= 0 || line[0] === " " || line[0] === "\t") return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length") {
      for (const part of value.split(",")) {
        if (!/^\d{1,15}$/.test(part.trim())) return undefined;
        const length = Number(part.trim());
        if (fields.length !== undefined && fields.length !== length) return undefined;
        fields.length = length;
      }
    } else if (name === "transfer-encoding") {
      fields.encoded = true;
      const codings = value.toLowerCase().split(",").map((s) => s.trim());
      fields.chunked = codings.at(-1) === "chunked";
    }
  }
  return fields;
}
