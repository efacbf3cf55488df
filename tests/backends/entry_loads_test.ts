/**
 * What a fresh process really loads when it imports an entry point: each backend subpath only its own
 * SDK, and main.ts and the translate surface neither (main.ts loads a backend only once it is the
 * configured one). Checked at run time, not on the static graph: a child `deno run --inspect-wait`
 * imports the entry, and every script V8 parses is reported by the inspector's `Debugger.scriptParsed`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));
const TIMEOUT_MS = 60_000;

/** The npm package a script URL belongs to (`@aws-sdk/core`, `openai`), from Deno's cache or node_modules. */
function npmPackage(url: string): string | undefined {
  const inNodeModules = url.match(/.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (inNodeModules) return inNodeModules[1];
  return url.match(/\/npm\/[^/]+\/((?:@[^/]+\/)?[^/]+)\/[^/]+\//)?.[1];
}

/** The child's stderr as it arrives, and a wait for a pattern in it. */
function watchText(stream: ReadableStream<Uint8Array>) {
  let text = "";
  let ended = false;
  let check = () => {};
  const done = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      check();
    }
    ended = true;
    check();
  })();
  const waitFor = (re: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      check = () => {
        const m = text.match(re);
        if (m) resolve(m);
        else if (ended) reject(new Error(`The child ended without printing ${re}: ${text}`));
      };
      check();
    });
  return { waitFor, done };
}

/** Sends inspector commands and collects every parsed script's URL. */
async function connect(url: string) {
  const ws = new WebSocket(url);
  const scripts: string[] = [];
  const replies = new Map<number, () => void>();
  let nextId = 1;
  const closed = new Promise<void>((resolve) => ws.onclose = () => resolve());
  ws.onmessage = (e) => {
    const message = JSON.parse(String(e.data));
    if (message.method === "Debugger.scriptParsed") scripts.push(String(message.params.url));
    replies.get(message.id)?.();
  };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`Cannot connect to the inspector at ${url}`));
  });
  const send = (method: string, params: Record<string, unknown> = {}) => {
    const id = nextId++;
    const reply = new Promise<void>((resolve) => replies.set(id, resolve));
    ws.send(JSON.stringify({ id, method, params }));
    return reply;
  };
  return { scripts, send, close: () => (ws.close(), closed) };
}

/** The scripts and npm packages a fresh `deno run` evaluates when it imports `entry` and nothing else. */
async function loadedBy(entry: string): Promise<{ scripts: string[]; packages: Set<string> }> {
  const dir = await Deno.makeTempDir({ prefix: "relayx_entry_loads_" });
  const script = `${dir}/import_entry.ts`;
  await Deno.writeTextFile(script, `import ${JSON.stringify(new URL(entry, import.meta.url).href)};\n`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--inspect-wait=127.0.0.1:0", "-A", "--config", CONFIG, script],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill(), TIMEOUT_MS);
  const stderr = watchText(child.stderr);
  try {
    const [url] = await stderr.waitFor(/ws:\/\/127\.0\.0\.1:\d+\/\S+/);
    const inspector = await connect(url);
    await inspector.send("Debugger.enable");
    await inspector.send("Runtime.runIfWaitingForDebugger");
    // Printed once the program has run to its end; the child then waits for the debugger to go.
    await stderr.waitFor(/Waiting for the debugger to disconnect/);
    // Answered after every notification sent before it: no scriptParsed is still on its way.
    await inspector.send("Debugger.setSkipAllPauses", { skip: true });
    await inspector.close();
    const status = await child.status;
    assert.ok(status.success, `importing ${entry} failed`);
    return {
      scripts: inspector.scripts,
      packages: new Set(inspector.scripts.flatMap((u) => npmPackage(u) ?? [])),
    };
  } finally {
    clearTimeout(timer);
    await stderr.done;
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

async function packagesLoadedBy(entry: string): Promise<Set<string>> {
  return (await loadedBy(entry)).packages;
}

function awsPackages(packages: Set<string>): string[] {
  return [...packages].filter((p) => p.startsWith("@aws-sdk/") || p.startsWith("@smithy/"));
}

Deno.test("each entry point loads only its own upstream's SDK", async (t) => {
  await t.step("src/backends/openai.ts loads openai and nothing of the AWS SDK", async () => {
    const packages = await packagesLoadedBy("../../src/backends/openai.ts");
    assert.ok(packages.has("openai"), `openai not loaded: ${[...packages].join(", ")}`);
    assert.deepEqual(awsPackages(packages), []);
  });

  await t.step("src/backends/bedrock/mod.ts loads the AWS SDK and not openai", async () => {
    const packages = await packagesLoadedBy("../../src/backends/bedrock/mod.ts");
    assert.ok(
      packages.has("@aws-sdk/client-bedrock-runtime"),
      `@aws-sdk/client-bedrock-runtime not loaded: ${[...packages].join(", ")}`,
    );
    assert.ok(!packages.has("openai"));
  });

  await t.step("src/backends/anthropic/anthropic_backend.ts loads neither SDK (plain fetch)", async () => {
    const packages = await packagesLoadedBy("../../src/backends/anthropic/anthropic_backend.ts");
    assert.ok(!packages.has("openai"), `openai loaded: ${[...packages].join(", ")}`);
    assert.deepEqual(awsPackages(packages), []);
  });

  await t.step("main.ts loads neither backend's SDK", async () => {
    const packages = await packagesLoadedBy("../../main.ts");
    assert.ok(packages.has("hono"), `no npm package seen, not even hono: the probe is broken`);
    assert.ok(!packages.has("openai"), `openai loaded: ${[...packages].join(", ")}`);
    assert.ok(
      !packages.has("@aws-sdk/client-bedrock-runtime"),
      `@aws-sdk/client-bedrock-runtime loaded: ${[...packages].join(", ")}`,
    );
  });

  await t.step("src/translate/mod.ts loads no npm package at all", async () => {
    const { scripts, packages } = await loadedBy("../../src/translate/mod.ts");
    // The translators themselves were seen: the probe works.
    assert.ok(
      scripts.some((u) => u.endsWith("/src/translate/bedrock/bedrock_eventstream.ts")),
      "probe saw nothing",
    );
    assert.deepEqual([...packages], []);
  });
});
