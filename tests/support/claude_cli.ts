/**
 * Runs the real Claude Code CLI (installed by tests/install_claude_code.sh) against a relayx URL, fully
 * isolated: a temporary HOME and working directory, no non-essential traffic, a dummy key.
 */

const VERSION = "2.1.332";

/** Where tests/install_claude_code.sh puts the CLI. */
export function claudeBinary(): string {
  const env = Deno.env.toObject();
  const dir = env.RELAYX_CLAUDE_DIR ??
    `${env.XDG_CACHE_HOME ?? `${env.HOME}/.cache`}/relayx/claude-code-${VERSION}`;
  return `${dir}/node_modules/.bin/claude`;
}

/** True when the CLI is installed. */
export function haveClaude(): boolean {
  try {
    return Deno.statSync(claudeBinary()).isFile;
  } catch {
    return false;
  }
}

/** What a run produced. */
export interface ClaudeRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The parsed `--output-format json` result, when stdout was JSON. */
  result?: Record<string, unknown>;
  /** The working directory the CLI ran in (files it wrote are here). */
  cwd: string;
}

/** Options for {@linkcode runClaude}. */
export interface ClaudeOptions {
  baseUrl: string;
  prompt: string;
  args?: string[];
  env?: Record<string, string>;
  /** The working directory (a new temporary one when absent). */
  cwd?: string;
  /** Files to create in the working directory first. */
  files?: Record<string, Uint8Array | string>;
  timeoutMs?: number;
}

/** Runs `claude -p` once and returns its output; tools run (IS_SANDBOX + skip permissions, as root). */
export async function runClaude(opts: ClaudeOptions): Promise<ClaudeRun> {
  const home = await Deno.makeTempDir({ prefix: "relayx-cc-home-" });
  const cwd = opts.cwd ?? await Deno.makeTempDir({ prefix: "relayx-cc-cwd-" });
  for (const [name, content] of Object.entries(opts.files ?? {})) {
    if (typeof content === "string") await Deno.writeTextFile(`${cwd}/${name}`, content);
    else await Deno.writeFile(`${cwd}/${name}`, content);
  }
  const command = new Deno.Command(claudeBinary(), {
    args: [
      "-p",
      opts.prompt,
      "--output-format",
      "json",
      "--dangerously-skip-permissions",
      ...(opts.args ?? []),
    ],
    cwd,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: home,
      ANTHROPIC_BASE_URL: opts.baseUrl,
      ANTHROPIC_API_KEY: "dummy",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      IS_SANDBOX: "1",
      ...opts.env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
  });
  const out = await command.output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  let result: Record<string, unknown> | undefined;
  try {
    result = JSON.parse(stdout);
  } catch {
    result = undefined;
  }
  await Deno.remove(home, { recursive: true }).catch(() => {});
  return { code: out.code, stdout, stderr, result, cwd };
}
