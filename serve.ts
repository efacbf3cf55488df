/**
 * relayx for `deno serve`: `deno serve --parallel --allow-net --allow-env jsr:@relayx/server/serve`.
 * The runtime listens (its `--host` and `--port` flags, not `HOST` and `SERVER_PORT`); relayx is built
 * from the environment on the first request, in each worker.
 *
 * @module
 */
import { createRelay, type Relay } from "./main.ts";

let relay: Promise<Relay> | undefined;

/** The handler `deno serve` calls: builds relayx from `Deno.env` on the first request. */
const serveExport: Deno.ServeDefaultExport = {
  fetch(request: Request): Promise<Response> {
    relay ??= createRelay(Deno.env.toObject());
    return relay.then((r) => r.fetch(request));
  },
};
export default serveExport;
