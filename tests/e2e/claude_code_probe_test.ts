/**
 * The real Claude Code CLI, started interactively (in a pseudo-terminal from util-linux's `script`), sends
 * its connectivity probe `HEAD /api/hello` to relayx at start, without a key even when it holds one:
 * relayx answers 200 although it requires a key everywhere else.
 */
import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import type { RequestLog } from "../../src/log.ts";
import { claudeBinary } from "../support/claude_cli.ts";
import { fakeBackend } from "../support/fakes.ts";

function haveScript(): boolean {
  if (Deno.build.os !== "linux") return false;
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

const KEY = "relayx-client-key-e2e";

Deno.test({
  name: "Claude Code's interactive start probes HEAD /api/hello without a key, and relayx answers 200",
  ignore: !haveScript(),
  async fn() {
    const logs: RequestLog[] = [];
    const probes: Headers[] = [];
    const app = createApp({ backend: fakeBackend(), apiKey: KEY, log: (l) => logs.push(l) });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
      if (new URL(req.url).pathname === "/api/hello") probes.push(req.headers);
      return app.fetch(req);
    });
    const home = await Deno.makeTempDir({ prefix: "relayx-cc-home-" });
    const cwd = await Deno.makeTempDir({ prefix: "relayx-cc-cwd-" });
    // Past the first-run screens, as a user who has run it once; the probe is sent at every start.
    await Deno.writeTextFile(`${home}/.claude.json`, JSON.stringify({ hasCompletedOnboarding: true }));
    const child = new Deno.Command("script", {
      args: ["-qec", claudeBinary(), "/dev/null"],
      cwd,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: home,
        TERM: "xterm",
        ANTHROPIC_BASE_URL: `http://127.0.0.1:${server.addr.port}`,
        ANTHROPIC_API_KEY: KEY,
        IS_SANDBOX: "1",
      },
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      // The probe comes within the CLI's start (about a second); give a loaded machine plenty more.
      for (let waited = 0; probes.length === 0 && waited < 60_000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      child.kill("SIGTERM");
      await child.stdin.close().catch(() => {});
      await child.status;
      await server.shutdown();
      await Deno.remove(home, { recursive: true }).catch(() => {});
      await Deno.remove(cwd, { recursive: true }).catch(() => {});
    }
    assert.ok(probes.length > 0, "the CLI sent no /api/hello");
    const probe = probes[0]!;
    assert.equal(probe.get("x-api-key"), null, "the probe carries no key");
    assert.equal(probe.get("authorization"), null);
    const line = logs.find((l) => l.path === "/api/hello");
    assert.deepEqual([line?.method, line?.status], ["HEAD", 200]);
  },
});
