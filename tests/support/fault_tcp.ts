/**
 * Faults below HTTP, for tests of what relayx does when an upstream's connection fails: a proxy in front
 * of a mock upstream that resets or closes chosen connections before answering, and a port that refuses
 * connections.
 *
 * @example
 * ```ts
 * await using mock = await startMockOpenAI();
 * await using proxy = await startFaultProxy(mock.port, ["reset"]); // the first connection is reset
 * const baseUrl = `${proxy.origin}/v1`;
 * ```
 *
 * @module
 */
import net from "node:net";

/**
 * What the proxy does with one accepted connection: `pass` relays it to the target; `reset` reads the
 * request and answers with a TCP reset (RST); `close` reads the request and closes cleanly (FIN), as a
 * server that drops a kept-alive connection does.
 */
export type ConnectionFault = "pass" | "reset" | "close";

/** A running fault proxy; see {@linkcode startFaultProxy}. */
export interface FaultProxy extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** The port. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /**
   * Relayed connections the client closed while the target still held them open: calls the client
   * cancelled (a pooled connection is never closed by the client otherwise, within a test).
   */
  readonly abandoned: number;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 and treats the n-th accepted connection as `script[n]` says (`pass` once the
 * script is used up).
 */
export async function startFaultProxy(targetPort: number, script: ConnectionFault[]): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let abandoned = 0;
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
  };
  const server = net.createServer((socket) => {
    track(socket);
    const fault = script[connections++] ?? "pass";
    switch (fault) {
      case "reset":
        socket.once("data", () => socket.resetAndDestroy());
        return;
      case "close":
        socket.once("data", () => socket.end());
        return;
      case "pass": {
        const upstream = net.connect(targetPort, "127.0.0.1");
        track(upstream);
        let targetClosed = false;
        socket.pipe(upstream);
        upstream.pipe(socket);
        socket.once("close", () => {
          if (!targetClosed) abandoned++;
          upstream.destroy();
        });
        upstream.once("close", () => {
          targetClosed = true;
          socket.destroy();
        });
        return;
      }
      default: {
        const never: never = fault;
        throw new Error(`Unknown fault: ${String(never)}`);
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  const close = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    get abandoned() {
      return abandoned;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A loopback port nothing listens on: connecting to it is refused. */
export function refusedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}
