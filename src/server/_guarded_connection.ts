/**
 * One client connection of the connection guard: piped to the internal server once its first request head
 * is complete, with the deadlines the guard's sweep enforces.
 *
 * @module
 */
import { errorEnvelope } from "../errors.ts";
import { requestId } from "../ids.ts";
import { Http1Scanner, type ScanFault } from "./http1_scanner.ts";

/** The limits one connection is held to, in milliseconds and bytes. */
export interface ConnectionLimits {
  /** Time to receive a whole request head, from its first byte (from the accept for the first one). */
  headerReadMs: number;
  /** Time a connection may sit with no request in flight. */
  keepAliveMs: number;
  /** Size of a request head. */
  maxHeaderBytes: number;
}

const BUFFER_BYTES = 16 * 1024;
const encoder = new TextEncoder();

/** A client connection between accept and close. */
export class GuardedConnection {
  /** When the current deadline passes (performance.now()), or 0 for none. */
  deadline = 0;
  #deadlineKind: "header" | "idle" = "header";
  #client: Deno.TcpConn;
  #inner: Deno.TcpConn | undefined;
  #target: Deno.NetAddr;
  #limits: ConnectionLimits;
  #requests: Http1Scanner;
  #responses: Http1Scanner;
  #inFlight = 0;
  #ended = 0;
  #untracked = false;
  #draining = false;
  #closed = false;
  #onClose: () => void;

  /** Wraps an accepted connection; `start()` begins reading it. */
  constructor(client: Deno.TcpConn, target: Deno.NetAddr, limits: ConnectionLimits, onClose: () => void) {
    this.#client = client;
    this.#target = target;
    this.#limits = limits;
    this.#onClose = onClose;
    this.deadline = performance.now() + limits.headerReadMs;
    this.#requests = new Http1Scanner("request", limits.maxHeaderBytes, {
      onHeadStart: () => {
        if (this.#deadlineKind === "header" && this.deadline) return;
        this.#deadlineKind = "header";
        this.deadline = performance.now() + limits.headerReadMs;
      },
      onHead: (head) => {
        this.deadline = 0;
        this.#inFlight++;
        this.#responses.expect(head.method);
      },
      onEnd: () => {},
    });
    this.#responses = new Http1Scanner("response", 1024 * 1024, {
      onHeadStart: () => {},
      onHead: () => {},
      onEnd: () => this.#ended++,
    });
  }

  /** Reads the client until it or the internal server closes. */
  start(): void {
    this.#pumpRequests().catch(() => this.close());
  }

  /** Ends the connection if its deadline has passed. */
  expire(now: number): void {
    if (!this.deadline || now < this.deadline || this.#closed) return;
    // A client part-way through a head is told why; an idle one is just closed (an unrequested 408 on a
    // kept-alive connection would be read as the answer to the client's next request).
    if (this.#deadlineKind === "header" && this.#requests.inHead && this.#inFlight === 0) {
      this.#refuse(408, "Request Timeout", "Request headers were not received in time");
    } else this.close();
  }

  /** At shutdown: closes now if no request is in flight, otherwise once the last answer is sent. */
  drain(): void {
    this.#draining = true;
    if (this.#inFlight === 0) this.close();
  }

  /** Closes both sides. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.deadline = 0;
    _quietly(() => this.#client.close());
    _quietly(() => this.#inner?.close());
    this.#onClose();
  }

  async #pumpRequests(): Promise<void> {
    const buffer = new Uint8Array(BUFFER_BYTES);
    const held: Uint8Array[] = [];
    for (;;) {
      const n = await _read(this.#client, buffer);
      if (n === null || this.#closed) break;
      const chunk = buffer.subarray(0, n);
      const fault = this.#requests.scan(chunk);
      if (fault) return this.#fault(fault);
      if (!this.#inner) {
        // Nothing reaches the internal server before a whole head has: a slow client costs one socket.
        held.push(chunk.slice());
        if (this.#inFlight === 0) continue;
        this.#inner = await Deno.connect({ hostname: this.#target.hostname, port: this.#target.port });
        this.#inner.setNoDelay(true);
        this.#pumpResponses().catch(() => this.close());
        for (const part of held.splice(0)) await _writeAll(this.#inner, part);
        continue;
      }
      await _writeAll(this.#inner, chunk);
    }
    // The client is done sending: let an answer in progress finish, as the server would see it directly.
    if (this.#inner && this.#inFlight > 0 && !this.#closed) await this.#inner.closeWrite().catch(() => {});
    else this.close();
  }

  async #pumpResponses(): Promise<void> {
    const inner = this.#inner!;
    const buffer = new Uint8Array(BUFFER_BYTES);
    for (;;) {
      const n = await _read(inner, buffer);
      if (n === null || this.#closed) break;
      const chunk = buffer.subarray(0, n);
      // A response the guard cannot follow still passes; the connection just keeps no idle deadline.
      if (!this.#untracked && this.#responses.scan(chunk)) this.#untracked = true;
      await _writeAll(this.#client, chunk);
      if (this.#ended) this.#answered();
    }
    this.close();
  }

  // Runs after the end of an answer has been written to the client.
  #answered(): void {
    this.#inFlight -= this.#ended;
    this.#ended = 0;
    if (this.#inFlight > 0) return;
    // The server answered before the request's body was all sent (a 408 or 413): the rest of that body
    // would be read as the next request, and the server would wait for it forever.
    if (this.#draining || this.#requests.inBody) return this.close();
    if (this.#requests.idle) {
      this.#deadlineKind = "idle";
      this.deadline = performance.now() + this.#limits.keepAliveMs;
    }
  }

  #fault(fault: ScanFault): void {
    if (this.#inFlight > 0) return this.close();
    if (fault === "head-too-large") {
      this.#refuse(
        431,
        "Request Header Fields Too Large",
        `Request headers exceed ${this.#limits.maxHeaderBytes} bytes`,
      );
    } else this.#refuse(400, "Bad Request", "Malformed HTTP request framing");
  }

  #refuse(status: number, reason: string, message: string): void {
    const id = requestId();
    const body = JSON.stringify(errorEnvelope("invalid_request_error", message, id));
    const bytes = encoder.encode(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\nrequest-id: ${id}\r\n` +
        `x-should-retry: false\r\ncontent-length: ${encoder.encode(body).byteLength}\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
    this.deadline = 0;
    _writeAll(this.#client, bytes).catch(() => {}).finally(() => this.close());
  }
}

async function _read(conn: Deno.Conn, buffer: Uint8Array): Promise<number | null> {
  try {
    return await conn.read(buffer);
  } catch {
    // Reset, or closed by the other pump: either way this direction is over.
    return null;
  }
}

async function _writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.byteLength) at += await conn.write(bytes.subarray(at));
}

function _quietly(f: () => void): void {
  try {
    f();
  } catch {
    // Already closed.
  }
}
