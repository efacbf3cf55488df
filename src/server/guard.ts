/**
 * The connection guard: relayx accepts TCP connections itself and pipes each one to the internal
 * `Deno.serve`, because `Deno.serve` has no header-read timeout, no idle keep-alive timeout, no header size
 * limit and no connection cap. Used when relayx listens beyond loopback (or `RELAYX_GUARD=on`).
 *
 * @module
 */
import type { Limits } from "../limits.ts";
import { GuardedConnection } from "./_guarded_connection.ts";

/** Options for {@linkcode startGuard}. */
export interface GuardOptions {
  /** Interface to listen on. */
  hostname: string;
  /** Port to listen on (0: any free one). */
  port: number;
  /** The internal server connections are piped to. */
  target: Deno.NetAddr;
  /** The inbound limits the guard enforces. */
  limits: Pick<Limits, "headerReadMs" | "keepAliveMs" | "maxConnections" | "maxHeaderBytes">;
}

/** A running guard. */
export interface Guard {
  /** The address it listens on. */
  readonly addr: Deno.NetAddr;
  /** Connections open now. */
  readonly connections: number;
  /**
   * Stops accepting, closes the connections with no request in flight and the others once their last
   * answer is sent; resolves when all are closed.
   */
  close(): Promise<void>;
}

/**
 * Listens on `hostname:port` and pipes every connection to `target`, closing connections whose request
 * head is slower than `headerReadMs` (408) or larger than `maxHeaderBytes` (431), that sit idle for
 * `keepAliveMs` with no request in flight, and keeping at most `maxConnections` open (more wait in the
 * listen queue). Request bodies are not timed here: the app times them, as it must without the guard.
 *
 * @example
 * ```ts
 * const inner = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("hi"));
 * const guard = startGuard({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   target: inner.addr,
 *   limits: { headerReadMs: 30_000, keepAliveMs: 75_000, maxConnections: 1024, maxHeaderBytes: 65_536 },
 * });
 * console.log(await (await fetch(`http://127.0.0.1:${guard.addr.port}/`)).text()); // hi
 * await guard.close();
 * await inner.shutdown();
 * ```
 */
export function startGuard(options: GuardOptions): Guard {
  const { limits, target } = options;
  const listener = Deno.listen({ hostname: options.hostname, port: options.port, transport: "tcp" });
  const open = new Set<GuardedConnection>();
  let closing = false;
  let slot = Promise.withResolvers<void>();
  const allClosed = Promise.withResolvers<void>();
  // One sweep for every connection instead of a timer per connection or per request.
  const tick = Math.min(1000, Math.max(10, Math.min(limits.headerReadMs, limits.keepAliveMs) / 4));
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const connection of open) connection.expire(now);
  }, tick);
  const onClose = (connection: GuardedConnection) => {
    open.delete(connection);
    slot.resolve();
    if (closing && open.size === 0) allClosed.resolve();
  };
  const accepting = (async () => {
    while (!closing) {
      // At the cap, further connections wait in the kernel's listen queue until one closes.
      while (open.size >= limits.maxConnections && !closing) {
        await slot.promise;
        slot = Promise.withResolvers<void>();
      }
      let client: Deno.TcpConn;
      try {
        client = await listener.accept();
      } catch {
        break;
      }
      if (closing) {
        client.close();
        break;
      }
      client.setNoDelay(true);
      const connection: GuardedConnection = new GuardedConnection(client, target, limits, () => {
        onClose(connection);
      });
      open.add(connection);
      connection.start();
    }
  })();
  return {
    addr: listener.addr,
    get connections() {
      return open.size;
    },
    async close() {
      if (!closing) {
        closing = true;
        _quietly(() => listener.close());
        slot.resolve();
        for (const connection of [...open]) connection.drain();
        if (open.size === 0) allClosed.resolve();
      }
      await accepting;
      await allClosed.promise;
      clearInterval(sweep);
    },
  };
}

function _quietly(f: () => void): void {
  try {
    f();
  } catch {
    // Already closed.
  }
}
