/**
 * relayx for `deno serve`: `deno serve --parallel --allow-net --allow-env jsr:@relayx/server/serve`.
 * The runtime listens (its `--host` and `--port` flags, not `HOST` and `SERVER_PORT`); relayx is built
 * on the first request, in each worker, from the configuration file (`--config PATH` after the module,
 * `RELAYX_CONFIG`, or `./relayx.json` where `--allow-read` grants it) and the environment, as under
 * `deno run`.
 *
 * On SIGINT or SIGTERM the runtime itself stops accepting and waits for the requests in flight, in every
 * worker; relayx adds the deadline (`RELAYX_SHUTDOWN_TIMEOUT`), after which each worker ends what it still
 * serves with an `overloaded_error`. The connection guard is not available here: the runtime owns the socket.
 *
 * @module
 */
import { ConfigError, createRelay, type Relay } from "./main.ts";
import { parseCommandLine } from "./src/cli.ts";
import { denoFiles } from "./src/file_access.ts";
import { VERSION } from "./src/version.ts";
import { collectWhenIdle, type IdleGc } from "./src/server/idle_gc.ts";
import { onShutdownSignals } from "./src/server/shutdown.ts";

let relay: Promise<Relay> | undefined;

async function _configured(): Promise<Relay> {
  const env = Deno.env.toObject();
  try {
    const command = parseCommandLine(Deno.args, env, denoFiles, VERSION);
    // --help and --version print under `deno run`; here the configuration is all that matters.
    return await createRelay(env, command.kind === "serve" ? command.config : undefined);
  } catch (err) {
    // Said once per worker, in the same words as `deno run`; every request then gets a 500.
    if (err instanceof ConfigError) console.error(`relayx: configuration error: ${err.message}`);
    throw err;
  }
}

function _build(): Promise<Relay> {
  const built = _configured();
  // The runtime drains by itself; relayx adds the deadline, and ends the live page's streams, which would
  // hold the drain (nothing is in flight before this).
  built.then((r) => {
    onShutdownSignals({
      stopping: r.closeLive,
      cutoff: r.abortInFlight,
      shutdownMs: r.config.limits.shutdownMs,
    });
  }, () => {});
  return built;
}

function _serve(request: Request): Promise<Response> {
  relay ??= _build();
  return relay.then((r) => r.fetch(request));
}

// One full collection whenever the worker falls idle, under `--v8-flags=--expose-gc` (as `deno run`);
// its timer starts with the first request, so that importing this module starts nothing.
let idle: IdleGc | undefined;

/** The handler `deno serve` calls: builds relayx from `Deno.env` on the first request. */
const serveExport: Deno.ServeDefaultExport = {
  fetch(request: Request): Promise<Response> {
    idle ??= collectWhenIdle(_serve);
    return idle.fetch(request);
  },
};
export default serveExport;
