/**
 * relayx for `deno serve`: `deno serve --parallel --allow-net --allow-env jsr:@relayx/server/serve`.
 * The runtime listens (its `--host` and `--port` flags, not `HOST` and `SERVER_PORT`); relayx is built
 * from the environment on the first request, in each worker.
 *
 * On SIGINT or SIGTERM the runtime itself stops accepting and waits for the requests in flight, in every
 * worker; relayx adds the deadline (`RELAYX_SHUTDOWN_TIMEOUT`), after which each worker ends what it still
 * serves with an `overloaded_error`. The connection guard is not available here: the runtime owns the socket.
 *
 * @module
 */
import { createRelay, type Relay } from "./main.ts";
import { onShutdownSignals } from "./src/server/shutdown.ts";

let relay: Promise<Relay> | undefined;

function _build(): Promise<Relay> {
  const built = createRelay(Deno.env.toObject());
  // The runtime drains by itself; relayx only adds the deadline (nothing is in flight before this).
  built.then((r) => {
    onShutdownSignals({ cutoff: r.abortInFlight, shutdownMs: r.config.limits.shutdownMs });
  }, () => {});
  return built;
}

/** The handler `deno serve` calls: builds relayx from `Deno.env` on the first request. */
const serveExport: Deno.ServeDefaultExport = {
  fetch(request: Request): Promise<Response> {
    relay ??= _build();
    return relay.then((r) => r.fetch(request));
  },
};
export default serveExport;
