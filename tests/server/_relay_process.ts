/**
 * relayx as users start it, in a child process: `deno run`, `deno task start` or `deno serve`, with a
 * clean environment, so that tests can signal it and read its exit code.
 */
const root = new URL("../..", import.meta.url).pathname;

/** A relayx child process. */
export interface RelayProcess extends AsyncDisposable {
  child: Deno.ChildProcess;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit status (output is read to the end first). */
  status: Promise<Deno.CommandStatus>;
}

/** A free loopback port (for `deno serve`, whose port must be given). */
export function freePort(): number {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  return port;
}

/**
 * Runs `deno <args>` in the repository with `env` (plus PATH and HOME) and resolves once it answers
 * `/health` on `port` (or on the port its start-up line names when `port` is 0).
 */
export async function spawnRelay(
  args: string[],
  env: Record<string, string>,
  port = 0,
): Promise<RelayProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/tmp", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const drain = (stream: ReadableStream<Uint8Array>) =>
    stream.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({
        write(chunk) {
          text += chunk;
        },
      }),
    ).catch(() => {});
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const status = child.status.then(async (s) => {
    await drained;
    return s;
  });
  let exited = false;
  status.then(() => exited = true);
  for (let i = 0; i < 300 && !exited; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const named = Number(text.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1]);
    const at = port || named;
    if (!at) continue;
    const ok = await fetch(`http://127.0.0.1:${at}/health`, { headers: { connection: "close" } })
      .then((r) => r.body?.cancel().then(() => r.ok), () => false);
    if (ok) {
      port = at;
      break;
    }
  }
  if (!port || exited) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await status;
    throw new Error(`relayx did not start:\n${text}`);
  }
  const dispose = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await status;
  };
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    port,
    output: () => text,
    status,
    [Symbol.asyncDispose]: dispose,
  };
}

/** Reads a response body to its end; a connection cut mid-body is noted at the end instead of thrown. */
export async function readAll(res: Response): Promise<string> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += value;
    }
  } catch (err) {
    return `${text}[cut: ${(err as Error).message}]`;
  }
}

/** Resolves once `f()` is true (checked every 10 ms); rejects after `ms`. */
export async function until(f: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
