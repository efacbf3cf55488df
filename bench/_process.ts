/**
 * Child processes of the bench: starting a server, waiting for its port, reading its memory, stopping it.
 *
 * @module
 */

/** The longest a bench child lives, whatever happens to the bench. */
const MAX_LIFETIME_MS = 10 * 60 * 1000;

/**
 * In a child: exits when the parent closes standard input (or dies), or after ten minutes, so that no
 * server outlives the bench.
 */
export function exitWithParent(): void {
  setTimeout(() => Deno.exit(0), MAX_LIFETIME_MS);
  (async () => {
    const buf = new Uint8Array(64);
    try {
      while ((await Deno.stdin.read(buf)) !== null) { /* the parent never writes */ }
    } catch { /* closed */ }
    Deno.exit(0);
  })();
}

/** A running child server. */
export interface Server {
  /** What it is (for messages). */
  name: string;
  /** The process id whose memory is read. */
  pid: number;
  /** The port it listens on. */
  port: number;
  /** Everything it printed so far (stdout and stderr), for error messages. */
  output: () => string;
  /** Stops it (SIGTERM, then SIGKILL after `graceMs`). */
  stop: (graceMs?: number) => Promise<void>;
}

/** How to start a server and know it is ready. */
export interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Start from an empty environment (default: the bench's, with `env` on top). */
  clearEnv?: boolean;
  /** Where its standard output goes (default piped and kept, for the port line and error messages). */
  stdout?: "piped" | "null";
  cwd?: string;
  /** The port, when known beforehand; otherwise read from a `{"port": N}` line on stdout. */
  port?: number;
  /** How long start-up may take. */
  timeoutMs?: number;
}

const running = new Set<Server>();

/** Stops every server still running (on the bench's way out, whatever ended it). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop(1000)));
}

/** The process ids whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      // The fields after the parenthesised command: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(e.name));
    } catch { /* gone */ }
  }
  return out;
}

function kill(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch { /* gone */ }
}

/**
 * Starts a server and resolves once its port accepts connections. It runs under coreutils `timeout`,
 * so that it ends by itself even if the bench is killed; the pid reported is the server's own.
 */
export async function startServer(spec: ServerSpec): Promise<Server> {
  const child = new Deno.Command("timeout", {
    args: ["-k", "5", String(MAX_LIFETIME_MS / 1000), spec.command, ...spec.args],
    env: spec.env,
    clearEnv: spec.clearEnv,
    cwd: spec.cwd,
    stdin: "piped",
    stdout: spec.stdout ?? "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let announced: number | undefined;
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const s of stream.pipeThrough(new TextDecoderStream())) {
      // Kept short (the tail): a chatty server must not grow the bench's memory.
      text = (text + s).slice(-64_000);
      const m = announced === undefined ? /\{"port":\s*(\d+)\}/.exec(text) : null;
      if (m) announced = Number(m[1]);
    }
  };
  const pumps = Promise.all([spec.stdout === "null" ? undefined : pump(child.stdout), pump(child.stderr)])
    .catch(() => {});
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  let pid: number | undefined;
  const server: Server = {
    name: spec.name,
    pid: child.pid,
    port: 0,
    output: () => text,
    stop: async (graceMs = 3000): Promise<void> => {
      running.delete(server);
      if (!exited) {
        // timeout passes SIGTERM on to the server.
        kill(child.pid, "SIGTERM");
        const timer = setTimeout(() => {
          if (pid !== undefined) kill(pid, "SIGKILL");
          kill(child.pid, "SIGKILL");
        }, graceMs);
        await status;
        clearTimeout(timer);
      }
      try {
        await child.stdin.close();
      } catch { /* closed */ }
      await pumps;
    },
  };
  running.add(server);
  const deadline = Date.now() + (spec.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited) break;
    const port = spec.port ?? announced;
    if (port !== undefined && await canConnect(port)) {
      pid = childrenOf(child.pid)[0];
      if (pid === undefined) break;
      server.pid = pid;
      server.port = port;
      return server;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await server.stop(500);
  throw new Error(`${spec.name} did not start: ${exited ? "it exited" : "timed out"}\n${text.slice(-3000)}`);
}

async function canConnect(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Resident and peak resident memory of a process, in MB, from `/proc/PID/status`. */
export function memory(pid: number): { rss: number; hwm: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/** A free port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
