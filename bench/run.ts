/**
 * `deno task bench`: relayx against the floor (the client talking to the mock directly), a bare
 * pass-through, the PARSE limit and the peer (claude-code-router), each proxy in its own process, all
 * against one fast mock upstream on 127.0.0.1. Prints one table, the ratios and which targets are met.
 *
 * Flags: `--duration=MS` per measurement (default 3000), `--warmup=MS` (default 500), `--no-peer`,
 * `--only=direct,pass,parse,relayx,relayx_file,relayx_routed,relayx_bedrock,direct_bedrock,parse_bedrock,peer`
 * (`direct_bedrock`, `parse_bedrock`: the floor and the PARSE limit on the Bedrock side, Converse against the
 * mock, PARSE decoding and re-encoding every event-stream frame; `relayx_file`: the
 * OpenAI-compatible relayx from a one-route configuration file, which serves without the router;
 * `relayx_routed`: the same with a `NAME/MODEL` target, which goes through the router), `--rounds=N`
 * (default 1: measure the targets N times, each round starting one target further on, and report each
 * figure's median, so that a target's place in the run does not decide its figures; the rows of a
 * one-round run measured later get lower rates), `--profile[=stream|complete]` (instead of the
 * table: relayx under load with `--cpu-prof`, then its top self-time functions; `--profile=bedrock[-stream|
 * -complete]` profiles the Bedrock setup), `--soak[=IDLE_MS]` (instead of the table: issue 13's stream soak,
 * `stream_soak.ts`, of PARSE and relayx or the `--only` targets, with a 30 s idle wait after each phase
 * unless given). relayx runs with `deno task start`'s runtime settings, read from deno.json
 * (`start_task.ts`); `BENCH_RELAYX_FLAGS` adds Deno flags to its command line (e.g.
 * `--v8-flags=--max-semi-space-size=2`) and `BENCH_RELAYX_GLIBC_TUNABLES` replaces its `GLIBC_TUNABLES`, to
 * try settings.
 * `OTEL_*` variables are passed to relayx (not to the mock or the peer): `OTEL_DENO=true` measures it
 * with OpenTelemetry on. The last line is the one-line summary of issue 13's targets (relayx
 * OpenAI-compatible against PARSE, every ratio against its bound), a second one for the Bedrock rows.
 *
 * @module
 */
import {
  checkAnthropicMessage,
  checkAnthropicStream,
  checkConverse,
  checkConverseStream,
  checkOpenAICompletion,
  checkOpenAIStream,
} from "./check.ts";
import { claudeCodeBody, smallBody } from "./fixtures.ts";
import { encodeRequest } from "./http_client.ts";
import { fetchOnce, measureLatency, measureThroughput, quantile, sequential } from "./load.ts";
import { installPeer, PEER_API_KEY, PEER_VERSION, peerInstalled, startPeer } from "./peer.ts";
import { summarizeProfile } from "./profile.ts";
import { startTuning } from "./start_task.ts";
import { SOAK_PHASES, SOAK_SAMPLE_MS, soakTable, type SoakTarget, streamSoak } from "./stream_soak.ts";
import { describe, judgeTargets, summaryLine } from "./targets.ts";
import { freePort, memory, type Server, startServer, stopAll } from "./_process.ts";
import claudeCodeHeaders from "../tests/testdata/claude_code/headers_basic.json" with { type: "json" };

const ROOT = new URL("../", import.meta.url).pathname;
/** The whole bench stops after this, whatever happens. */
const BENCH_TIMEOUT_MS = 9 * 60 * 1000;

/** What a target is spoken to in: `bedrock` is Converse on `/model/{id}/converse[-stream]`. */
type Api = "openai" | "anthropic" | "bedrock";
type Key =
  | "direct"
  | "pass"
  | "parse"
  | "relayx"
  | "relayx_file"
  | "relayx_routed"
  | "relayx_bedrock"
  | "direct_bedrock"
  | "parse_bedrock"
  | "peer";

interface Target {
  key: Key;
  label: string;
  api: Api;
  /** Starts the proxy; undefined for the mock itself. */
  start?: (upstream: Server) => Promise<Server>;
}

interface Row {
  target: Target;
  /** Why the target could not be measured. */
  na?: string;
  problems: string[];
  nsP50: number;
  nsP99: number;
  smallP50: number;
  rps: number;
  ttfb: number;
  ttfbP99: number;
  ttlb: number;
  ttlbP99: number;
  sps: number;
  rssIdle: number;
  rssPeak: number;
  errors: string[];
  /** Extra facts for the notes. */
  notes: string[];
}

/** `--profile`'s loads: relayx (OpenAI-compatible) by default, the Bedrock setup with `bedrock`. */
const PROFILE_LOADS = [
  "both",
  "stream",
  "complete",
  "bedrock",
  "bedrock-stream",
  "bedrock-complete",
] as const;
type ProfileLoad = typeof PROFILE_LOADS[number];

interface Options {
  durationMs: number;
  warmupMs: number;
  only?: Set<string>;
  peer: boolean;
  /** Which load to profile relayx under, if any. */
  profile?: ProfileLoad;
  /** How many times the targets are measured, interleaved. */
  rounds: number;
  /** Instead of the table: the stream soak (`stream_soak.ts`), with this idle wait after each phase. */
  soakIdleMs?: number;
}

function parseArgs(args: string[]): Options {
  const opts: Options = { durationMs: 3000, warmupMs: 500, peer: true, rounds: 1 };
  for (const a of args) {
    const [k, v] = a.split("=", 2);
    if (k === "--duration") opts.durationMs = Number(v);
    else if (k === "--warmup") opts.warmupMs = Number(v);
    else if (k === "--only") opts.only = new Set((v ?? "").split(","));
    else if (k === "--no-peer") opts.peer = false;
    else if (k === "--rounds") opts.rounds = Number(v);
    else if (k === "--soak") opts.soakIdleMs = v === undefined ? 30_000 : Number(v);
    else if (k === "--profile" && (v === undefined || PROFILE_LOADS.includes(v as ProfileLoad))) {
      opts.profile = (v ?? "both") as ProfileLoad;
    } else throw new Error(`Unknown flag: "${a}"`);
  }
  if (!(opts.durationMs > 0 && opts.durationMs <= 30_000)) throw new Error("--duration: 1 to 30000 ms");
  if (!(opts.warmupMs >= 0 && opts.warmupMs <= 10_000)) throw new Error("--warmup: 0 to 10000 ms");
  if (!(Number.isInteger(opts.rounds) && opts.rounds >= 1 && opts.rounds <= 9)) {
    throw new Error("--rounds: 1 to 9");
  }
  if (opts.soakIdleMs !== undefined && !(opts.soakIdleMs >= 0 && opts.soakIdleMs <= 60_000)) {
    throw new Error("--soak=IDLE_MS: 0 to 60000");
  }
  return opts;
}

const DENO = Deno.execPath();
const otelEnv = (): Record<string, string> =>
  Object.fromEntries(Object.entries(Deno.env.toObject()).filter(([k]) => k.startsWith("OTEL_")));
const baseEnv = (): Record<string, string> => {
  const env: Record<string, string> = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };
  for (const k of ["HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const v = Deno.env.get(k);
    if (v) env[k] = v;
  }
  return env;
};

function startReference(mode: "bytes" | "parse"): (upstream: Server) => Promise<Server> {
  return (upstream) =>
    startServer({
      name: mode === "bytes" ? "pass-through" : "PARSE",
      command: DENO,
      args: [
        "run",
        "--allow-net",
        `${ROOT}bench/reference_proxy.ts`,
        mode,
        `http://127.0.0.1:${upstream.port}`,
      ],
      env: baseEnv(),
      clearEnv: true,
      cwd: ROOT,
    });
}

/**
 * The environment of `deno task start` (glibc's malloc settings), unless `BENCH_RELAYX_GLIBC_TUNABLES` says
 * otherwise.
 */
function relayxTaskEnv(): Record<string, string> {
  const { env } = startTuning();
  const glibc = Deno.env.get("BENCH_RELAYX_GLIBC_TUNABLES");
  return glibc === undefined ? env : { ...env, GLIBC_TUNABLES: glibc };
}

function relayxArgs(profileDir?: string, configFile?: string): string[] {
  const prof = profileDir
    ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--preload=${ROOT}bench/_exit_on_term.ts`]
    : [];
  // `deno task start`'s runtime flags, then the ones to try.
  const extra = [
    ...startTuning().flags,
    ...Deno.env.get("BENCH_RELAYX_FLAGS")?.split(" ").filter(Boolean) ?? [],
  ];
  const file = configFile
    ? { read: [`--allow-read=${configFile}`], args: ["--config", configFile] }
    : undefined;
  return [
    "run",
    ...prof,
    ...extra,
    "--allow-net",
    "--allow-env",
    ...file?.read ?? [],
    `${ROOT}main.ts`,
    ...file?.args ?? [],
  ];
}

/**
 * How relayx is configured: `openai` and `bedrock` by environment variables; `file` by a configuration
 * file with one route to one backend, the equivalent of `openai`; `routed` the same with a `NAME/MODEL`
 * target, which main.ts serves through the router (a bare `NAME` is served by the backend directly).
 */
type RelayxSetup = "openai" | "bedrock" | "file" | "routed";

/** The configuration file of the `file` and `routed` setups, equivalent to the `openai` environment. */
function oneRouteConfig(url: string, target: string): string {
  return JSON.stringify({
    backends: {
      mock: { type: "openai", baseUrl: `${url}/v1`, apiKey: "bench", model: "mock", provider: "openai" },
    },
    routes: [{ to: target }],
  });
}

function startRelayx(
  setup: RelayxSetup,
  profileDir?: string,
): (upstream: Server) => Promise<Server> {
  return async (upstream) => {
    const port = freePort();
    const url = `http://127.0.0.1:${upstream.port}`;
    let configDir: string | undefined;
    let configFile: string | undefined;
    if (setup === "file" || setup === "routed") {
      configDir = await Deno.makeTempDir({ prefix: "relayx-bench-config-" });
      configFile = `${configDir}/relayx.json`;
      await Deno.writeTextFile(configFile, oneRouteConfig(url, setup === "file" ? "mock" : "mock/mock"));
    }
    const env: Record<string, string> = setup === "file" || setup === "routed" ? {} : setup === "openai"
      ? {
        LLM_BACKEND: "openai_compatible",
        OPENAI_BASE_URL: `${url}/v1`,
        OPENAI_API_KEY: "bench",
        OPENAI_MODEL: "mock",
        OPENAI_PROVIDER: "openai",
      }
      : {
        LLM_BACKEND: "bedrock",
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME: url,
        AWS_ENDPOINT_URL_BEDROCK: url,
        AWS_ACCESS_KEY_ID: "AKIDBENCHBENCHBENCH",
        AWS_SECRET_ACCESS_KEY: "bench-secret",
        AWS_REGION: "us-east-1",
        BEDROCK_MODEL_ID: BEDROCK_MODEL,
        BEDROCK_API: "converse",
      };
    const server = await startServer({
      name: `relayx (${setup})`,
      command: DENO,
      args: relayxArgs(profileDir, configFile),
      // The default log format (one JSON line a request), written where nobody reads it.
      env: {
        ...baseEnv(),
        ...env,
        ...relayxTaskEnv(),
        SERVER_PORT: String(port),
        HOST: "127.0.0.1",
        LOG_FORMAT: "json",
        // OTEL_DENO=true and the OTEL_EXPORTER_OTLP_* settings reach relayx alone: its cost with OpenTelemetry.
        ...otelEnv(),
      },
      clearEnv: true,
      stdout: "null",
      cwd: ROOT,
      port,
      timeoutMs: 60_000,
    }).catch(async (err) => {
      if (configDir) await Deno.remove(configDir, { recursive: true });
      throw err;
    });
    if (!configDir) return server;
    const dir = configDir;
    return {
      ...server,
      stop: async (graceMs) => {
        await server.stop(graceMs);
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      },
    };
  };
}

const TARGETS: Target[] = [
  { key: "direct", label: "direct (floor)", api: "openai" },
  { key: "pass", label: "pass-through", api: "openai", start: startReference("bytes") },
  { key: "parse", label: "PARSE", api: "openai", start: startReference("parse") },
  { key: "relayx", label: "relayx openai", api: "anthropic", start: startRelayx("openai") },
  { key: "relayx_file", label: "relayx openai, file", api: "anthropic", start: startRelayx("file") },
  {
    key: "relayx_routed",
    label: "relayx openai, file NAME/MODEL",
    api: "anthropic",
    start: startRelayx("routed"),
  },
  { key: "relayx_bedrock", label: "relayx bedrock", api: "anthropic", start: startRelayx("bedrock") },
  { key: "direct_bedrock", label: "direct bedrock (floor)", api: "bedrock" },
  { key: "parse_bedrock", label: "PARSE bedrock", api: "bedrock", start: startReference("parse") },
  { key: "peer", label: `CCR ${PEER_VERSION} (peer)`, api: "anthropic", start: (u) => startPeer(u.port) },
];

/** The model id relayx's Bedrock setup asks for, in the path of the Bedrock-side targets' requests. */
const BEDROCK_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

function requestFor(api: Api, port: number, body: Uint8Array, apiKey: string, stream: boolean): Uint8Array {
  if (api === "bedrock") {
    // The body is the Claude Code request as it is (about the size of its Converse form): the mock answers
    // by path, and PARSE's cost is parsing and re-serializing that much JSON, whatever its shape.
    const op = stream ? "converse-stream" : "converse";
    return encodeRequest(port, `/model/${encodeURIComponent(BEDROCK_MODEL)}/${op}`, {
      "content-type": "application/json",
      authorization: "AWS4-HMAC-SHA256 Credential=bench",
    }, body);
  }
  if (api === "openai") {
    return encodeRequest(port, "/v1/chat/completions", {
      "content-type": "application/json",
      authorization: "Bearer bench",
    }, body);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(claudeCodeHeaders as Record<string, string>)) {
    // The client sets these itself; it cannot decode compressed bodies.
    if (!["host", "content-length", "connection", "accept-encoding"].includes(k)) headers[k] = v;
  }
  headers["x-api-key"] = apiKey;
  return encodeRequest(port, "/v1/messages", headers, body);
}

/** RSS of relayx across the 1,000 sequential streams. */
let flat: { before: number; mid: number; after: number; ok: number } | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => console.error(s);

async function measureTarget(target: Target, upstream: Server, opts: Options, round: number): Promise<Row> {
  const row: Row = {
    target,
    problems: [],
    nsP50: NaN,
    nsP99: NaN,
    smallP50: NaN,
    rps: NaN,
    ttfb: NaN,
    ttfbP99: NaN,
    ttlb: NaN,
    ttlbP99: NaN,
    sps: NaN,
    rssIdle: NaN,
    rssPeak: NaN,
    errors: [],
    notes: [],
  };
  let server: Server | undefined;
  try {
    server = target.start ? await target.start(upstream) : undefined;
  } catch (err) {
    row.na = (err instanceof Error ? err.message : String(err)).split("\n").slice(0, 3).join(" | ");
    return row;
  }
  const port = server?.port ?? upstream.port;
  const key = target.key === "peer" ? PEER_API_KEY : "bench";
  const req = (body: Uint8Array, stream: boolean) => requestFor(target.api, port, body, key, stream);
  const ccStream = req(claudeCodeBody(true), true);
  const ccComplete = req(claudeCodeBody(false), false);
  const smallComplete = req(smallBody(false), false);
  const smallStream = req(smallBody(true), true);
  try {
    // Correctness first: one response of each kind, checked in full.
    const checks: [string, Uint8Array, (b: Uint8Array) => string[]][] = target.api === "bedrock"
      ? [
        ["stream", ccStream, checkConverseStream],
        ["complete", ccComplete, checkConverse],
        ["small", smallComplete, checkConverse],
      ]
      : target.api === "openai"
      ? [
        ["stream", ccStream, checkOpenAIStream],
        ["complete", ccComplete, checkOpenAICompletion],
        ["small", smallComplete, checkOpenAICompletion],
      ]
      : [
        ["stream", ccStream, checkAnthropicStream],
        ["complete", ccComplete, checkAnthropicMessage],
        ["small", smallComplete, checkAnthropicMessage],
        ["small stream", smallStream, checkAnthropicStream],
      ];
    for (const [name, request, check] of checks) {
      try {
        const r = await fetchOnce(port, request);
        if (r.status !== 200) {
          row.problems.push(`${name}: HTTP ${r.status} ${new TextDecoder().decode(r.body).slice(0, 200)}`);
        } else {
          for (const p of check(r.body)) row.problems.push(`${name}: ${p}`);
        }
      } catch (err) {
        row.problems.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (server) {
      await sleep(1000);
      row.rssIdle = memory(server.pid).rss;
    }
    if (target.key === "relayx" && server && round === 0) {
      // Leaks show as growth across many streams; the mid-point separates heap warm-up from a slope.
      const before = memory(server.pid).rss;
      const half = await sequential(port, ccStream, 500, 60_000);
      const mid = memory(server.pid).rss;
      const rest = await sequential(port, ccStream, 500, 60_000);
      const after = memory(server.pid).rss;
      row.notes.push(
        `relayx RSS across 1,000 sequential 500-chunk streams (${half + rest} ok): before ${
          before.toFixed(1)
        } MB, ` +
          `after 500 ${mid.toFixed(1)} MB, after 1,000 ${after.toFixed(1)} MB`,
      );
      flat = { before, mid, after, ok: half + rest };
    }
    const d = opts.durationMs;
    const w = opts.warmupMs;
    log(`  ${target.label}: non-stream latency`);
    const ns = await measureLatency(port, ccComplete, d, w);
    row.nsP50 = quantile(ns.total, 0.5);
    row.nsP99 = quantile(ns.total, 0.99);
    if (ns.errors) row.errors.push(`non-stream c1: ${ns.errors} errors (${ns.firstError})`);
    const small = await measureLatency(port, smallComplete, Math.max(500, d / 2), Math.min(w, 200));
    row.smallP50 = quantile(small.total, 0.5);
    if (small.errors) row.errors.push(`small c1: ${small.errors} errors (${small.firstError})`);
    log(`  ${target.label}: requests/s at 64`);
    const rps = await measureThroughput(port, ccComplete, 64, d, w);
    row.rps = rps.rate;
    if (rps.errors) row.errors.push(`req/s c64: ${rps.errors} errors (${rps.firstError})`);
    log(`  ${target.label}: stream latency`);
    const st = await measureLatency(port, ccStream, d, w);
    row.ttfb = quantile(st.ttfb, 0.5);
    row.ttfbP99 = quantile(st.ttfb, 0.99);
    row.ttlb = quantile(st.total, 0.5);
    row.ttlbP99 = quantile(st.total, 0.99);
    if (st.errors) row.errors.push(`stream c1: ${st.errors} errors (${st.firstError})`);
    log(`  ${target.label}: streams/s at 32`);
    const sps = await measureThroughput(port, ccStream, 32, d, w);
    row.sps = sps.rate;
    if (sps.errors) row.errors.push(`streams/s c32: ${sps.errors} errors (${sps.firstError})`);
    if (server) {
      row.rssPeak = memory(server.pid).hwm;
      if (target.key === "peer" && "managerPid" in server && typeof server.managerPid === "number") {
        const m = memory(server.managerPid);
        row.notes.push(
          `CCR's management process (not in the table) adds ${m.rss.toFixed(0)} MB RSS, peak ${
            m.hwm.toFixed(0)
          } MB`,
        );
      }
    }
  } finally {
    await server?.stop();
  }
  return row;
}

const FIGURES = [
  "nsP50",
  "nsP99",
  "smallP50",
  "rps",
  "ttfb",
  "ttfbP99",
  "ttlb",
  "ttlbP99",
  "sps",
  "rssIdle",
  "rssPeak",
] as const;

/** One target's rounds as one row: each figure's median; every problem and error, once. */
function medianRow(rows: Row[]): Row {
  const measured = rows.filter((r) => !r.na);
  const first = measured[0] ?? rows[0]!;
  if (rows.length === 1 || measured.length === 0) return first;
  const out: Row = { ...first, problems: [], errors: [], notes: [] };
  for (const key of FIGURES) {
    out[key] = quantile(measured.map((r) => r[key]).filter(Number.isFinite).sort((a, b) => a - b), 0.5);
  }
  for (const r of measured) {
    for (const list of ["problems", "errors", "notes"] as const) {
      for (const item of r[list]) if (!out[list].includes(item)) out[list].push(item);
    }
  }
  return out;
}

// -----------------------------------------------------------------------------------------------------
// Report

const f = (n: number, digits = 2) => Number.isFinite(n) ? n.toFixed(digits) : "-";
const fi = (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-";

function table(rows: Row[]): string {
  const head = [
    "target",
    "check",
    "non-stream p50 ms",
    "p99 ms",
    "small p50 ms",
    "req/s @64",
    "stream TTFB ms",
    "p99 ms",
    "stream TTLB ms",
    "p99 ms",
    "streams/s @32",
    "RSS idle MB",
    "RSS peak MB",
  ];
  const lines = [head, head.map(() => "---")];
  for (const r of rows) {
    if (r.na) {
      lines.push([r.target.label, "n/a", ...head.slice(2).map(() => "n/a")]);
      continue;
    }
    lines.push([
      r.target.label,
      r.problems.length ? "FAIL" : r.errors.length ? "errors" : "ok",
      f(r.nsP50),
      f(r.nsP99),
      f(r.smallP50),
      fi(r.rps),
      f(r.ttfb),
      f(r.ttfbP99),
      f(r.ttlb),
      f(r.ttlbP99),
      fi(r.sps),
      f(r.rssIdle, 1),
      f(r.rssPeak, 1),
    ]);
  }
  return lines.map((l) => `| ${l.join(" | ")} |`).join("\n");
}

interface Verdict {
  text: string;
  met: boolean | undefined;
}

function verdicts(rows: Row[]): Verdict[] {
  const get = (k: Key) => rows.find((r) => r.target.key === k && !r.na);
  const direct = get("direct");
  const parse = get("parse");
  const pass = get("pass");
  const relayx = get("relayx");
  const peer = get("peer");
  const valid = (r: Row | undefined) => r !== undefined && r.problems.length === 0;
  const out: Verdict[] = [];
  const judge = (text: string, value: number, ok: (v: number) => boolean, ...need: (Row | undefined)[]) => {
    if (!Number.isFinite(value) || need.some((r) => r === undefined)) {
      out.push({ text: `${text}: n/a`, met: undefined });
      return;
    }
    const broken = need.filter((r) => !valid(r)).map((r) => r?.target.label);
    const met = ok(value) && broken.length === 0;
    out.push({
      text: `${text}${broken.length ? ` (INVALID: ${broken.join(", ")} failed its check)` : ""}`,
      met,
    });
  };
  // The table of issue 13, one verdict a target; the same judgement gives the summary line.
  if (relayx && parse) {
    const checked = [relayx, parse, direct].filter((r) => r !== undefined);
    const broken = checked.filter((r) => !valid(r)).map((r) => r.target.label);
    for (const j of judgeTargets(relayx, parse, direct, broken.length === 0)) {
      out.push({
        text: describe(j) + (broken.length ? ` (INVALID: ${broken.join(", ")} failed its check)` : ""),
        met: j.met,
      });
    }
    out.push({
      text: `(info) tails, relayx/PARSE: stream TTFB p99 ${f(relayx.ttfbP99)} vs ${f(parse.ttfbP99)} ms = ${
        f(relayx.ttfbP99 / parse.ttfbP99)
      }x; stream TTLB p99 ${f(relayx.ttlbP99)} vs ${f(parse.ttlbP99)} ms = ${
        f(relayx.ttlbP99 / parse.ttlbP99)
      }x; non-stream p99 added over direct ${direct ? f(relayx.nsP99 - direct.nsP99) : "-"} vs ${
        direct ? f(parse.nsP99 - direct.nsP99) : "-"
      } ms`,
      met: undefined,
    });
  }
  if (relayx && peer) {
    const v = relayx.rps / peer.rps;
    judge(`requests/s relayx/peer = ${f(v, 1)}x (target >= 10x)`, v, (x) => x >= 10, relayx, peer);
  } else {
    out.push({
      text: `requests/s relayx/peer: n/a (${rows.find((r) => r.target.key === "peer")?.na ?? "not run"})`,
      met: undefined,
    });
  }
  if (flat && relayx) {
    const growth = flat.after - flat.before;
    judge(
      `relayx RSS across 1,000 streams: ${f(flat.before, 1)} -> ${f(flat.after, 1)} MB (${
        growth >= 0 ? "+" : ""
      }${f(growth, 1)} MB; target: flat, growth < 10 MB, all 1,000 ok)`,
      growth,
      (g) => g < 10 && flat?.ok === 1000,
      relayx,
    );
  }
  if (relayx && pass && direct) {
    out.push({
      text: `(info) vs pass-through: added latency relayx ${f(relayx.nsP50 - direct.nsP50)} ms vs ${
        f(pass.nsP50 - direct.nsP50)
      } ms; req/s ${f(relayx.rps / pass.rps)}x; streams/s ${f(relayx.sps / pass.sps)}x`,
      met: undefined,
    });
  }
  // A one-route configuration file must cost nothing over the environment's configuration; the NAME/MODEL
  // target shows the router's own cost. Rows of one run; 0.9x leaves room for this machine's noise.
  for (
    const [key, what] of [["relayx_file", "file"], ["relayx_routed", "file, NAME/MODEL (router)"]] as const
  ) {
    const row = get(key);
    if (!relayx || !row) continue;
    const rps = row.rps / relayx.rps;
    const sps = row.sps / relayx.sps;
    judge(
      `relayx ${what} / env: req/s ${f(rps)}x, streams/s ${f(sps)}x, non-stream p50 ${f(row.nsP50)} vs ${
        f(relayx.nsP50)
      } ms, stream TTLB ${f(row.ttlb)} vs ${f(relayx.ttlb)} ms (target: not slower, both rates >= 0.9x)`,
      Math.min(rps, sps),
      (v) => v >= 0.9,
      relayx,
      row,
    );
  }
  const bedrock = get("relayx_bedrock");
  if (bedrock && parse && direct) {
    out.push({
      text: `(info) relayx bedrock: added latency ${f(bedrock.nsP50 - direct.nsP50)} ms; req/s ${
        f(bedrock.rps / parse.rps)
      }x PARSE; streams/s ${f(bedrock.sps / parse.sps)}x PARSE`,
      met: undefined,
    });
  }
  // The Bedrock rows against their own limit (PARSE decoding and re-encoding the event-stream frames).
  const parseBedrock = get("parse_bedrock");
  if (bedrock && parseBedrock) {
    const directBedrock = get("direct_bedrock");
    const checked = [bedrock, parseBedrock, directBedrock].filter((r) => r !== undefined);
    const broken = checked.filter((r) => !valid(r)).map((r) => r.target.label);
    for (const j of judgeTargets(bedrock, parseBedrock, directBedrock, broken.length === 0)) {
      out.push({
        text: `bedrock: ${describe(j)}` +
          (broken.length ? ` (INVALID: ${broken.join(", ")} failed its check)` : ""),
        met: j.met,
      });
    }
  }
  // Issue 13: the Bedrock rows within 0.8x of the OpenAI-compatible rows.
  if (bedrock && relayx) {
    const v = Math.min(bedrock.rps / relayx.rps, bedrock.sps / relayx.sps);
    judge(
      `relayx bedrock / openai: req/s ${f(bedrock.rps / relayx.rps)}x, streams/s ${
        f(bedrock.sps / relayx.sps)
      }x (target: both >= 0.8x)`,
      v,
      (x) => x >= 0.8,
      bedrock,
      relayx,
    );
  }
  return out;
}

/**
 * The one-line summary of issue 13's targets, relayx (OpenAI-compatible) against PARSE in this run (says
 * why when a row it needs is missing), and a second line for relayx bedrock against PARSE bedrock when
 * those rows were measured.
 */
function summary(rows: Row[]): string {
  const get = (k: Key) => rows.find((r) => r.target.key === k && !r.na);
  const line = (label: string, relayx: Row | undefined, parse: Row | undefined, direct: Row | undefined) => {
    if (!relayx || !parse) return undefined;
    const valid = [relayx, parse, direct].every((r) => r === undefined || r.problems.length === 0);
    return summaryLine(label, judgeTargets(relayx, parse, direct, valid)) +
      (valid ? "" : " (INVALID: a check failed)");
  };
  const lines = [
    line("targets", get("relayx"), get("parse"), get("direct")) ??
      "targets: n/a (needs the relayx and parse rows; add --only=direct,parse,relayx)",
    // The Bedrock rows against their own limit, when they were measured.
    line("bedrock targets", get("relayx_bedrock"), get("parse_bedrock"), get("direct_bedrock")),
  ];
  return lines.filter((l) => l !== undefined).join("\n");
}

// -----------------------------------------------------------------------------------------------------
// Profile mode

async function profile(upstream: Server, opts: Options, which: ProfileLoad): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "relayx-bench-prof-" });
  const bedrock = which.startsWith("bedrock");
  const load = which === "bedrock" ? "both" : which.replace("bedrock-", "");
  const server = await startRelayx(bedrock ? "bedrock" : "openai", dir)(upstream);
  try {
    const stream = requestFor("anthropic", server.port, claudeCodeBody(true), "bench", true);
    const complete = requestFor("anthropic", server.port, claudeCodeBody(false), "bench", false);
    if (load !== "complete") {
      log("profile: relayx under streams at 32");
      const s = await measureThroughput(server.port, stream, 32, opts.durationMs, opts.warmupMs);
      console.log(`streams/s @32 ${fi(s.rate)} (errors ${s.errors})`);
    }
    if (load !== "stream") {
      log("profile: relayx under non-stream requests at 64");
      const c = await measureThroughput(server.port, complete, 64, opts.durationMs, opts.warmupMs);
      console.log(`req/s @64 ${fi(c.rate)} (errors ${c.errors})`);
    }
  } finally {
    await server.stop(10_000);
  }
  const file = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".cpuprofile"));
  if (!file) throw new Error(`relayx wrote no profile into ${dir}`);
  const path = `${dir}/${file.name}`;
  const summary = summarizeProfile(await Deno.readTextFile(path));
  const pct = (ms: number) => `${(100 * ms / summary.busyMs).toFixed(1)}%`;
  console.log(`\nrelayx CPU profile: ${f(summary.busyMs, 0)} ms busy (idle excluded); ${path}`);
  console.log("by origin: " + summary.origins.slice(0, 8).map(([o, ms]) => `${o} ${pct(ms)}`).join(", "));
  console.log("\ntop self time in relayx's own code (src/, main.ts):");
  for (const fn of summary.functions.filter((x) => x.origin === "relayx").slice(0, 15)) {
    console.log(`  ${pct(fn.ms).padStart(6)}  ${fn.name}`);
  }
  console.log("\ntop self time overall:");
  for (const fn of summary.functions.slice(0, 15)) {
    console.log(`  ${pct(fn.ms).padStart(6)}  ${fn.origin}  ${fn.name}`);
  }
}

// -----------------------------------------------------------------------------------------------------
// Soak mode

/** The soak's targets: PARSE and relayx (OpenAI-compatible) unless `--only` names others. */
const SOAK_DEFAULT: readonly Key[] = ["parse", "relayx"];

async function soak(upstream: Server, opts: Options, idleMs: number): Promise<void> {
  const checkOf: Record<Api, (b: Uint8Array) => string[]> = {
    openai: checkOpenAIStream,
    anthropic: checkAnthropicStream,
    bedrock: checkConverseStream,
  };
  const targets: SoakTarget[] = TARGETS
    .filter((t) => t.start && (opts.only ? opts.only.has(t.key) : SOAK_DEFAULT.includes(t.key)))
    .map((t) => ({
      label: t.label,
      start: t.start!,
      request: (port) =>
        requestFor(t.api, port, claudeCodeBody(true), t.key === "peer" ? PEER_API_KEY : "bench", true),
      check: checkOf[t.api],
    }));
  if (targets.length === 0) {
    throw new Error("--soak: no target to soak (--only names none that starts a proxy)");
  }
  const started = performance.now();
  const rows = await streamSoak(upstream, targets, { idleMs, log });
  console.log(
    `\nrelayx stream soak, ${new Date().toISOString().slice(0, 16)}Z, Deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} CPUs. Each target in a fresh process (after one warm-up stream): ` +
      `${SOAK_PHASES.map((p) => p.label).join(", then ")} streams of the Claude Code request (500 chunks ` +
      `each, every answer checked); RSS read before, every ${SOAK_SAMPLE_MS} ms during (or the kernel's high-water mark), ` +
      `right after, and ${idleMs / 1000} s after each phase.\n`,
  );
  console.log(soakTable(rows, idleMs));
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

// -----------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseArgs(Deno.args);
  const bail = (why: string) => {
    console.error(`bench: ${why}; stopping`);
    stopAll().finally(() => Deno.exit(1));
  };
  const guard = setTimeout(() => bail("took longer than its limit"), BENCH_TIMEOUT_MS * opts.rounds);
  const onInt = () => bail("interrupted");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onInt);
  const started = performance.now();
  const upstream = await startServer({
    name: "mock upstream",
    command: DENO,
    args: ["run", "--allow-net", `${ROOT}bench/mock_upstream.ts`],
    env: baseEnv(),
    clearEnv: true,
    cwd: ROOT,
  });
  try {
    if (opts.profile) {
      await profile(upstream, opts, opts.profile);
      return;
    }
    if (opts.soakIdleMs !== undefined) {
      await soak(upstream, opts, opts.soakIdleMs);
      return;
    }
    const targets = TARGETS.filter((t) =>
      (!opts.only || opts.only.has(t.key)) && (opts.peer || t.key !== "peer")
    );
    if (targets.some((t) => t.key === "peer") && !peerInstalled()) {
      try {
        await installPeer(log);
      } catch (err) {
        log(`peer: install failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const rounds: Row[][] = targets.map(() => []);
    for (let round = 0; round < opts.rounds; round++) {
      // Each round starts one target further on: a target measured late in a run gets lower rates (the
      // shared mock and load client have aged), so every target takes each place in turn.
      for (let k = 0; k < targets.length; k++) {
        const i = (k + round) % targets.length;
        const t = targets[i]!;
        log(`${t.label}: starting${opts.rounds > 1 ? ` (round ${round + 1} of ${opts.rounds})` : ""}`);
        rounds[i]!.push(await measureTarget(t, upstream, opts, round));
      }
    }
    const rows = rounds.map(medianRow);
    const cpus = navigator.hardwareConcurrency;
    console.log(
      `\nrelayx bench, ${new Date().toISOString().slice(0, 16)}Z, Deno ${Deno.version.deno}, ${cpus} CPUs; ` +
        `${opts.durationMs} ms per measurement after ${opts.warmupMs} ms warm-up` +
        (opts.rounds > 1 ? `; each figure the median of ${opts.rounds} rounds in rotated order.` : "."),
    );
    console.log(
      `Request: the real Claude Code 2.1.332 request (${
        claudeCodeBody(false).length
      } bytes; non-stream with ` +
        `max_tokens 8192), small: ${
          smallBody(false).length
        } bytes. Stream: 500 chunks (text deltas, a tool ` +
        `call with split arguments, finish, usage, [DONE]). Direct, pass-through and PARSE get the same bodies ` +
        `on /v1/chat/completions, their Bedrock counterparts on /model/{id}/converse[-stream] (the mock answers by ` +
        `path; PARSE bedrock re-encodes every event-stream frame).`,
    );
    console.log(
      `The load client, the mock and the proxy share ${cpus} cores: compare rows of one run, not across machines. ` +
        `TTFB is to the first body byte; latencies at concurrency 1; req/s and streams/s are the median of three ` +
        `windows.\n`,
    );
    console.log(table(rows));
    console.log("");
    for (const r of rows) {
      if (r.na) console.log(`- ${r.target.label}: n/a: ${r.na}`);
      for (const p of r.problems.slice(0, 6)) console.log(`- ${r.target.label} CHECK FAILED: ${p}`);
      for (const e of r.errors) console.log(`- ${r.target.label}: ${e}`);
      for (const n of r.notes) console.log(`- ${n}`);
    }
    console.log("\nTargets:");
    for (const v of verdicts(rows)) {
      console.log(`- ${v.met === undefined ? "" : v.met ? "[met] " : "[MISSED] "}${v.text}`);
    }
    console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
    console.log(summary(rows));
  } finally {
    await upstream.stop();
    await stopAll();
    clearTimeout(guard);
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onInt);
  }
}

if (import.meta.main) await main();
