/**
 * The stream soak of issue 13 (`deno task bench --soak`): relayx and PARSE side by side, each in a fresh
 * process against the bench's mock upstream, serve 1,000 sequential 500-chunk streams and then 5,000 at
 * 64 concurrent, every answer checked in full. For each phase: RSS before, its peak during, right after,
 * and after an idle wait (30 s). Memory that comes back after the wait was the heap's working room; memory
 * that stays is what the process keeps.
 *
 * @module
 */
import { HttpConnection } from "./http_client.ts";
import { memory, type Server } from "./_process.ts";

/** A proxy the soak measures: how it starts, what it is sent, how its answer is checked. */
export interface SoakTarget {
  label: string;
  start: (upstream: Server) => Promise<Server>;
  /** The streamed request, encoded for the target's port. */
  request: (port: number) => Uint8Array;
  /** The problems in one answer's body (none: correct). */
  check: (body: Uint8Array) => string[];
}

/** One phase: how many streams, over how many connections at once. */
export interface SoakPhase {
  label: string;
  streams: number;
  concurrency: number;
}

/** The phases of issue 13's soak, in order, on one process. */
export const SOAK_PHASES: readonly SoakPhase[] = [
  { label: "1,000 sequential", streams: 1000, concurrency: 1 },
  { label: "5,000 at 64 concurrent", streams: 5000, concurrency: 64 },
];

/** Options of {@linkcode streamSoak}. */
export interface SoakOptions {
  /** The idle wait after each phase before the last reading (default 30 s). */
  idleMs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** One phase's figures for one target. */
export interface SoakRow {
  target: string;
  phase: string;
  /** Answers with status 200 that passed the check. */
  ok: number;
  streams: number;
  /** The first failure, for the report. */
  firstProblem?: string;
  seconds: number;
  /** RSS in MB. */
  before: number;
  peak: number;
  after: number;
  idle: number;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** How often RSS is read during a phase, in ms. */
export const SOAK_SAMPLE_MS = 50;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The peak RSS of `pid` while `work` runs: the highest reading every {@linkcode SOAK_SAMPLE_MS}, or the
 * kernel's high-water mark when the phase set a new one (it also sees spikes between two readings).
 */
async function peakDuring(pid: number, work: () => Promise<void>): Promise<number> {
  const hwmBefore = memory(pid).hwm;
  let peak = memory(pid).rss;
  const timer = setInterval(() => peak = Math.max(peak, memory(pid).rss), SOAK_SAMPLE_MS);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const { rss, hwm } = memory(pid);
  return Math.max(peak, rss, hwm > hwmBefore ? hwm : 0);
}

/** Sends `phase.streams` streams over `phase.concurrency` keep-alive connections, checking every answer. */
async function runPhase(
  port: number,
  target: SoakTarget,
  phase: SoakPhase,
): Promise<{ ok: number; firstProblem?: string }> {
  const request = target.request(port);
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstProblem: string | undefined;
  const fail = (why: string) => {
    failed++;
    firstProblem ??= why;
  };
  const worker = async () => {
    const conn = new HttpConnection(port);
    try {
      // A broken target would otherwise take every stream's timeout before the soak ends.
      while (next < phase.streams && failed <= 50) {
        next++;
        try {
          const r = await conn.send(request, true, REQUEST_TIMEOUT_MS);
          const problems = r.status === 200 ? target.check(r.body ?? new Uint8Array()) : [`HTTP ${r.status}`];
          if (problems.length === 0) ok++;
          else fail(problems.slice(0, 2).join("; "));
        } catch (err) {
          fail(err instanceof Error ? err.message : String(err));
        }
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: phase.concurrency }, worker));
  return { ok, firstProblem };
}

/** Runs every phase on one fresh process of each target, one target after the other. */
export async function streamSoak(
  upstream: Server,
  targets: readonly SoakTarget[],
  options: SoakOptions = {},
): Promise<SoakRow[]> {
  const idleMs = options.idleMs ?? 30_000;
  const log = options.log ?? (() => {});
  const rows: SoakRow[] = [];
  for (const target of targets) {
    const server = await target.start(upstream);
    try {
      // One answer first, so that "before" is a process that has served (as the bench's idle RSS).
      await runPhase(server.port, target, { label: "warm-up", streams: 1, concurrency: 1 });
      await sleep(1000);
      for (const phase of SOAK_PHASES) {
        log(`soak: ${target.label}: ${phase.label}`);
        const before = memory(server.pid).rss;
        const t0 = performance.now();
        let result: { ok: number; firstProblem?: string } = { ok: 0 };
        const peak = await peakDuring(server.pid, async () => {
          result = await runPhase(server.port, target, phase);
        });
        const seconds = (performance.now() - t0) / 1000;
        const after = memory(server.pid).rss;
        await sleep(idleMs);
        const idle = memory(server.pid).rss;
        rows.push({
          target: target.label,
          phase: phase.label,
          ok: result.ok,
          streams: phase.streams,
          firstProblem: result.firstProblem,
          seconds,
          before,
          peak,
          after,
          idle,
        });
      }
    } finally {
      await server.stop();
    }
  }
  return rows;
}

/** The soak's table (markdown), then a line per phase that had failures. */
export function soakTable(rows: readonly SoakRow[], idleMs = 30_000): string {
  const mb = (n: number) => n.toFixed(1);
  const head = [
    "target",
    "phase",
    "answers ok",
    "streams/s",
    "RSS before MB",
    "peak during MB",
    "right after MB",
    `${idleMs / 1000} s after MB`,
  ];
  const lines = [head, head.map(() => "---")];
  for (const r of rows) {
    lines.push([
      r.target,
      r.phase,
      `${r.ok.toLocaleString("en-US")} of ${r.streams.toLocaleString("en-US")}`,
      Math.round(r.streams / r.seconds).toLocaleString("en-US"),
      mb(r.before),
      mb(r.peak),
      mb(r.after),
      mb(r.idle),
    ]);
  }
  const table = lines.map((l) => `| ${l.join(" | ")} |`).join("\n");
  const failures = rows.filter((r) => r.ok < r.streams).map((r) =>
    `- ${r.target}, ${r.phase}: ${r.streams - r.ok} failed (${r.firstProblem ?? "not sent"})`
  );
  return [table, ...failures].join("\n");
}
