/**
 * Serving relayx over `Deno.serve`, directly on loopback or behind the connection guard.
 *
 * @module
 */
import type { Limits } from "../limits.ts";
import { startGuard } from "./guard.ts";
import { isLoopbackHost } from "./host_check.ts";

/** Options for {@linkcode serveRelay}. */
export interface ServeRelayOptions {
  /** Interface to listen on. */
  hostname: string;
  /** Port to listen on (0: any free one). */
  port: number;
  /** The limits; `guard` decides whether connections go through the guard. */
  limits: Limits;
}

/** A running relayx server. */
export interface RelayServer {
  /** The address clients connect to. */
  addr: Deno.NetAddr;
  /** True when connections go through the connection guard. */
  guarded: boolean;
  /** Stops accepting and resolves once every request in flight has finished and every connection closed. */
  shutdown(): Promise<void>;
}

/**
 * True when connections should go through the connection guard: `guard` is `on`, or `auto` and
 * `hostname` is not loopback (where the extra hop buys nothing, and the benchmark measures the direct path).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(usesGuard("127.0.0.1", "auto"), false);
 * assert.equal(usesGuard("0.0.0.0", "auto"), true);
 * ```
 */
export function usesGuard(hostname: string, guard: Limits["guard"]): boolean {
  return guard === "on" || (guard === "auto" && !isLoopbackHost(hostname));
}

/**
 * Serves `handler` on `hostname:port`. Behind the guard, `Deno.serve` listens on a free loopback port that
 * the guard pipes to (a unix socket would need file permissions beyond `--allow-net --allow-env`).
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS } from "../limits.ts";
 *
 * const server = serveRelay(() => new Response("hi"), {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   limits: { ...DEFAULT_LIMITS, guard: "on" },
 * });
 * console.log(await (await fetch(`http://127.0.0.1:${server.addr.port}/`)).text()); // hi
 * await server.shutdown();
 * ```
 */
export function serveRelay(
  handler: (request: Request) => Response | Promise<Response>,
  options: ServeRelayOptions,
): RelayServer {
  if (!usesGuard(options.hostname, options.limits.guard)) {
    const server = Deno.serve({ hostname: options.hostname, port: options.port, onListen() {} }, handler);
    return { addr: server.addr, guarded: false, shutdown: () => server.shutdown() };
  }
  const inner = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const guard = startGuard({ ...options, target: inner.addr });
  return {
    addr: guard.addr,
    guarded: true,
    async shutdown() {
      const closed = guard.close();
      await inner.shutdown();
      await closed;
    },
  };
}
