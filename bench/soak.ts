/**
 * The soak (not in CI): 10,000 mixed requests at 64 concurrent through relayx, on each backend, to an
 * upstream that fails some of them on purpose (`soak_upstream.ts`), with some requests aborted by the
 * client. Prints per backend: hung requests (must be 0), unexpected 5xx and wrong answers (must be 0),
 * answers the upstream still holds open afterwards, and relayx's RSS before, right after, and after
 * 30 s idle.
 *
 * Run: `deno run -A bench/soak.ts [--requests=10000] [--concurrency=64] [--idle=30000] [--rounds=1]
 * [--only=openai|bedrock]`; with several rounds the same relayx serves each (does its memory settle?).
 * To look into relayx's memory: `--relayx-env=K=V;K=V` (its environment on top of the soak's, e.g.
 * `--relayx-env=GLIBC_TUNABLES=` for glibc's defaults), `--relayx-v8=--trace-gc` (V8 flags),
 * `--inspect-port=N` (after the idle wait: its V8 heap, a forced GC, and `malloc_trim`), `--dump=PATH` (its
 * `/proc` smaps and output).
 *
 * @module
 */
import { checkAnthropicMessage, checkAnthropicStream } from "./check.ts";
import { freePort, memory, type Server, startServer, stopAll } from "./_process.ts";
import { probeMemory } from "./_memory_probe.ts";
import { startTuning } from "./start_task.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DENO = Deno.execPath();
const HUNG_MS = 30_000;
/** `--relayx-v8=--a,--b`: V8 flags for relayx only (to measure memory settings). */
const V8 = flag("relayx-v8", "") ? [`--v8-flags=${flag("relayx-v8", "")}`] : [];
/** `--inspect-port=N`: relayx runs under the inspector, to read its heap and force a GC after the idle wait. */
const INSPECT = Number(flag("inspect-port", "0"));
/** `--relayx-env=K=V;K=V`: extra environment for relayx only (e.g. glibc malloc tunables). */
const EXTRA_ENV: Record<string, string> = Object.fromEntries(
  flag("relayx-env", "").split(";").filter(Boolean).map((
    kv,
  ) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);

function flag(name: string, fallback: string): string {
  return Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}

/** What a request asks the upstream for, and what the client must then see. */
interface Kind {
  fault: string;
  stream: boolean;
  /** HTTP status, or 200 with a stream ending in this error type (`event:`), or a checked answer (`ok`). */
  want: number | `event:${string}` | "ok";
  /** The client leaves: `early` right after sending, `mid` after the first bytes of the answer. */
  abort?: "early" | "mid";
}

// Per 100 requests.
const MIX: [number, Kind][] = [
  [30, { fault: "ok", stream: false, want: "ok" }],
  [33, { fault: "ok", stream: true, want: "ok" }],
  [3, { fault: "busy", stream: false, want: 529 }],
  [2, { fault: "busy", stream: true, want: 529 }],
  [3, { fault: "throttle", stream: true, want: 429 }],
  [2, { fault: "throttle", stream: false, want: 429 }],
  [1, { fault: "stall", stream: false, want: 504 }],
  [1, { fault: "stall", stream: true, want: 504 }],
  [1, { fault: "stall-mid", stream: false, want: 504 }],
  [3, { fault: "stall-mid", stream: true, want: "event:timeout_error" }],
  [1, { fault: "cut", stream: false, want: 500 }],
  [4, { fault: "cut", stream: true, want: "event:api_error" }],
  [11, { fault: "slow", stream: true, want: "ok", abort: "mid" }],
  [5, { fault: "stall", stream: false, want: "ok", abort: "early" }],
];
const PLAN: Kind[] = MIX.flatMap(([n, kind]) => Array<Kind>(n).fill(kind));

function body(kind: Kind, i: number): string {
  return (JSON.stringify({
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    stream: kind.stream,
    messages: [{ role: "user", content: `fault:${kind.fault} request ${i}: list the files here.` }],
  }));
}

/** Why the answer is not what `kind` wants (empty: as wanted). */
async function judge(res: Response, kind: Kind): Promise<string> {
  const bytes = await res.bytes();
  if (kind.want === "ok") {
    if (res.status !== 200) return `status ${res.status}`;
    const problems = kind.stream ? checkAnthropicStream(bytes) : checkAnthropicMessage(bytes);
    return problems.slice(0, 2).join("; ");
  }
  if (typeof kind.want === "number") {
    if (res.status !== kind.want) return `status ${res.status}, wanted ${kind.want}`;
    if (kind.want === 429 && res.headers.get("retry-after") !== "3") return "retry-after lost";
    return "";
  }
  const text = new TextDecoder().decode(bytes);
  const last = text.trimEnd().split("\n\n").at(-1) ?? "";
  const type = kind.want.slice("event:".length);
  return res.status === 200 && last.startsWith("event: error") && last.includes(`"type":"${type}"`)
    ? ""
    : `status ${res.status}, stream ended with ${last.slice(0, 120)}`;
}

interface Tally {
  done: number;
  hung: number;
  aborted: number;
  unexpected5xx: number;
  wrong: number;
  examples: string[];
}

async function one(url: string, kind: Kind, i: number, t: Tally): Promise<void> {
  const leave = new AbortController();
  const hung = AbortSignal.timeout(HUNG_MS);
  const signal = AbortSignal.any([leave.signal, hung]);
  if (kind.abort === "early") setTimeout(() => leave.abort(), 100);
  try {
    const res = await fetch(`${url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body(kind, i),
      signal,
    });
    if (kind.abort === "mid") {
      const reader = res.body!.getReader();
      await reader.read();
      leave.abort();
      await reader.cancel().catch(() => {});
      t.aborted++;
      return;
    }
    const why = await judge(res, kind);
    if (why) {
      if (res.status >= 500 && res.status !== kind.want) t.unexpected5xx++;
      else t.wrong++;
      if (t.examples.length < 5) t.examples.push(`${kind.fault}/${kind.stream ? "stream" : "json"}: ${why}`);
    }
  } catch (err) {
    if (hung.aborted) {
      t.hung++;
      if (t.examples.length < 5) t.examples.push(`hung: ${kind.fault}/${kind.stream ? "stream" : "json"}`);
    } else if (leave.signal.aborted) t.aborted++;
    else {
      t.wrong++;
      if (t.examples.length < 5) t.examples.push(`${kind.fault}: ${String(err).slice(0, 120)}`);
    }
  } finally {
    t.done++;
  }
}

async function run(url: string, requests: number, concurrency: number): Promise<Tally> {
  const t: Tally = { done: 0, hung: 0, aborted: 0, unexpected5xx: 0, wrong: 0, examples: [] };
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      await one(url, PLAN[(i * 37) % PLAN.length]!, i, t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return t;
}

function relayxEnv(backend: string, upstream: Server, port: number): Record<string, string> {
  const url = `http://127.0.0.1:${upstream.port}`;
  const common = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    SERVER_PORT: String(port),
    HOST: "127.0.0.1",
    LOG_FORMAT: "off",
    RELAYX_UPSTREAM_CONNECT_TIMEOUT: "0.5",
    RELAYX_UPSTREAM_HEADERS_TIMEOUT: "1",
    RELAYX_UPSTREAM_IDLE_TIMEOUT: "1",
    // As `deno task start` sets it (GLIBC_TUNABLES: blocks of 64 KiB and more, stream buffers, are mapped
    // on their own and unmapped when freed, instead of fragmenting glibc's main heap).
    ...startTuning().env,
  };
  return backend === "openai"
    ? {
      ...common,
      LLM_BACKEND: "openai_compatible",
      OPENAI_BASE_URL: `${url}/v1`,
      OPENAI_API_KEY: "soak",
      OPENAI_MODEL: "mock",
      OPENAI_PROVIDER: "openai",
    }
    : {
      ...common,
      LLM_BACKEND: "bedrock",
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: url,
      AWS_ENDPOINT_URL_BEDROCK: url,
      AWS_ACCESS_KEY_ID: "AKIDSOAKSOAKSOAK",
      AWS_SECRET_ACCESS_KEY: "soak-secret",
      AWS_REGION: "us-east-1",
      BEDROCK_MODEL_ID: "us.amazon.nova-pro-v1:0",
      BEDROCK_API: "converse",
    };
}

interface Options {
  requests: number;
  concurrency: number;
  idleMs: number;
  rounds: number;
}

async function start(backend: string): Promise<{ upstream: Server; relayx: Server }> {
  const upstream = await startServer({
    name: "soak upstream",
    command: DENO,
    args: ["run", "--allow-net", `${ROOT}bench/soak_upstream.ts`],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "" },
    cwd: ROOT,
  });
  const port = freePort();
  const relayx = await startServer({
    name: `relayx (${backend})`,
    command: DENO,
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      ...startTuning().flags,
      ...V8,
      ...(INSPECT ? [`--inspect=127.0.0.1:${INSPECT}`, "--allow-ffi"] : []),
      `${ROOT}main.ts`,
    ],
    env: { ...relayxEnv(backend, upstream, port), ...EXTRA_ENV },
    clearEnv: true,
    stdout: V8.length ? "piped" : "null",
    cwd: ROOT,
    port,
    timeoutMs: 60_000,
  });
  return { upstream, relayx };
}

/** One round of requests against a running relayx, then the idle wait; prints one line. */
async function round(label: string, upstream: Server, relayx: Server, o: Options): Promise<void> {
  const url = `http://127.0.0.1:${relayx.port}`;
  const before = memory(relayx.pid).rss;
  const began = performance.now();
  const t = await run(url, o.requests, o.concurrency);
  const seconds = (performance.now() - began) / 1000;
  const after = memory(relayx.pid);
  // Stalls end 3 s after they began, whatever relayx does; anything still open after that was leaked.
  await new Promise((r) => setTimeout(r, 3500));
  const { open } = await (await fetch(`http://127.0.0.1:${upstream.port}/stats`)).json();
  const health = (await fetch(`${url}/health`)).status;
  await new Promise((r) => setTimeout(r, Math.max(0, o.idleMs - 3500)));
  const idle = memory(relayx.pid).rss;
  console.log(
    `${label}: ${t.done} requests in ${seconds.toFixed(1)} s at ${o.concurrency} concurrent | ` +
      `hung ${t.hung} | unexpected 5xx ${t.unexpected5xx} | wrong ${t.wrong} | aborted by client ` +
      `${t.aborted} | upstream answers still open ${open} | /health ${health} | RSS MB: before ` +
      `${before.toFixed(1)}, after ${after.rss.toFixed(1)} (peak ${after.hwm.toFixed(1)}), after ` +
      `${(o.idleMs / 1000).toFixed(0)} s idle ${idle.toFixed(1)}`,
  );
  for (const e of t.examples) console.log(`  ${e}`);
  await probeMemory(relayx, { inspectPort: INSPECT, dump: flag("dump", "") });
}

async function soak(backend: string, o: Options): Promise<void> {
  const { upstream, relayx } = await start(backend);
  try {
    for (let i = 1; i <= o.rounds; i++) {
      await round(o.rounds > 1 ? `${backend} round ${i}` : backend, upstream, relayx, o);
    }
  } finally {
    await relayx.stop();
    await upstream.stop();
  }
}

if (import.meta.main) {
  const o: Options = {
    requests: Number(flag("requests", "10000")),
    concurrency: Number(flag("concurrency", "64")),
    idleMs: Number(flag("idle", "30000")),
    rounds: Number(flag("rounds", "1")),
  };
  const only = flag("only", "");
  try {
    for (const backend of ["openai", "bedrock"]) {
      if (!only || only === backend) await soak(backend, o);
    }
  } finally {
    await stopAll();
  }
}
