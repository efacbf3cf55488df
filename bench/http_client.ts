/**
 * A lean HTTP/1.1 keep-alive client for the load loops: one connection, one request at a time, the
 * request pre-encoded, the response read with `Content-Length`, chunked encoding or until close. It does
 * far less work per request than `fetch`, so the proxy, not the client, is what the bench measures.
 *
 * @module
 */

const CR = 13;
const LF = 10;
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** One answered request. */
export interface HttpResult {
  status: number;
  /** Milliseconds from sending to the first body byte (to the end of the headers if there is no body). */
  ttfb: number;
  /** Milliseconds from sending to the last body byte. */
  total: number;
  /** Body length in bytes (after removing chunked framing). */
  length: number;
  /** The body, when asked for. */
  body?: Uint8Array;
  /** Response headers, lower-cased names. */
  headers: Record<string, string>;
}

/** Encodes a complete request for {@linkcode HttpConnection.send}. */
export function encodeRequest(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
): Uint8Array {
  let head = `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-length: ${body.length}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  const h = encoder.encode(head + "\r\n");
  const out = new Uint8Array(h.length + body.length);
  out.set(h);
  out.set(body, h.length);
  return out;
}

/** A keep-alive connection to 127.0.0.1:port that reconnects when the server closes it. */
export class HttpConnection {
  #port: number;
  #conn: Deno.TcpConn | undefined;
  #buf = new Uint8Array(1 << 16);
  #start = 0;
  #end = 0;

  constructor(port: number) {
    this.#port = port;
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.#conn?.close();
    } catch { /* closed */ }
    this.#conn = undefined;
  }

  /**
   * Sends one request and reads the whole response.
   *
   * @param timeoutMs the connection is closed (and the call rejects) past this.
   */
  async send(request: Uint8Array, collect: boolean, timeoutMs: number): Promise<HttpResult> {
    if (!this.#conn) {
      this.#conn = await Deno.connect({ hostname: "127.0.0.1", port: this.#port });
      this.#conn.setNoDelay(true);
      this.#start = this.#end = 0;
    }
    const conn = this.#conn;
    const timer = setTimeout(() => this.close(), timeoutMs);
    try {
      const t0 = performance.now();
      for (let at = 0; at < request.length;) at += await conn.write(request.subarray(at));
      return await this.#read(conn, t0, collect);
    } catch (err) {
      this.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async #fill(conn: Deno.TcpConn): Promise<boolean> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buf.length) {
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
    }
    const n = await conn.read(this.#buf.subarray(this.#end));
    if (n === null) return false;
    this.#end += n;
    return true;
  }

  /** Index of the next CRLF at or after `from`, or -1. */
  #crlf(from: number): number {
    const b = this.#buf;
    for (let i = from; i + 1 < this.#end; i++) if (b[i] === CR && b[i + 1] === LF) return i;
    return -1;
  }

  /** Index of the next CRLFCRLF at or after `from`, or -1. */
  #headEnd(from: number): number {
    const b = this.#buf;
    for (let i = from; i + 3 < this.#end; i++) {
      if (b[i] === CR && b[i + 1] === LF && b[i + 2] === CR && b[i + 3] === LF) return i;
    }
    return -1;
  }

  async #read(conn: Deno.TcpConn, t0: number, collect: boolean): Promise<HttpResult> {
    // Head: up to the empty line.
    let headEnd = this.#headEnd(this.#start);
    while (headEnd < 0) {
      const searched = Math.max(0, this.#end - this.#start - 3);
      if (!await this.#fill(conn)) throw new Error("Connection closed before the response head");
      headEnd = this.#headEnd(this.#start + searched);
    }
    const head = latin1.decode(this.#buf.subarray(this.#start, headEnd)).split("\r\n");
    this.#start = headEnd + 4;
    const status = Number(head[0]?.split(" ")[1] ?? "0");
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const c = line.indexOf(":");
      if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
    }
    const parts: Uint8Array[] = [];
    let length = 0;
    let ttfb = -1;
    const take = (n: number) => {
      if (n <= 0) return;
      if (ttfb < 0) ttfb = performance.now() - t0;
      if (collect) parts.push(this.#buf.slice(this.#start, this.#start + n));
      length += n;
      this.#start += n;
    };
    const closeAfter = headers["connection"]?.toLowerCase() === "close" || head[0]?.startsWith("HTTP/1.0");
    if (headers["transfer-encoding"]?.toLowerCase().includes("chunked")) {
      for (;;) {
        let i = this.#crlf(this.#start);
        while (i < 0) {
          if (!await this.#fill(conn)) throw new Error("Connection closed inside a chunk size");
          i = this.#crlf(this.#start);
        }
        const size = parseInt(latin1.decode(this.#buf.subarray(this.#start, i)).split(";")[0] ?? "", 16);
        this.#start = i + 2;
        if (!Number.isFinite(size)) throw new Error("Bad chunk size");
        if (size === 0) {
          // Trailers (none expected) up to the empty line.
          for (;;) {
            let j = this.#crlf(this.#start);
            while (j < 0) {
              if (!await this.#fill(conn)) throw new Error("Connection closed in the trailer");
              j = this.#crlf(this.#start);
            }
            const empty = j === this.#start;
            this.#start = j + 2;
            if (empty) break;
          }
          break;
        }
        let left = size;
        while (left > 0) {
          if (this.#start === this.#end && !await this.#fill(conn)) {
            throw new Error("Connection closed in a chunk");
          }
          const n = Math.min(left, this.#end - this.#start);
          take(n);
          left -= n;
        }
        while (this.#end - this.#start < 2) {
          if (!await this.#fill(conn)) throw new Error("Connection closed after a chunk");
        }
        this.#start += 2;
      }
    } else if (headers["content-length"] !== undefined) {
      let left = Number(headers["content-length"]);
      while (left > 0) {
        if (this.#start === this.#end && !await this.#fill(conn)) {
          throw new Error("Connection closed in the body");
        }
        const n = Math.min(left, this.#end - this.#start);
        take(n);
        left -= n;
      }
    } else {
      for (;;) {
        take(this.#end - this.#start);
        if (!await this.#fill(conn)) break;
      }
      this.close();
    }
    if (closeAfter) this.close();
    const total = performance.now() - t0;
    let body: Uint8Array | undefined;
    if (collect) {
      body = new Uint8Array(length);
      let at = 0;
      for (const p of parts) {
        body.set(p, at);
        at += p.length;
      }
    }
    return { status, ttfb: ttfb < 0 ? total : ttfb, total, length, body, headers };
  }
}
