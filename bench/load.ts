/**
 * The measurement loops: latency at concurrency 1, and throughput at N concurrent keep-alive
 * connections. Every loop is bounded by a duration and by a request count.
 *
 * @module
 */
import { HttpConnection } from "./http_client.ts";

/** No single request may take longer than this. */
const REQUEST_TIMEOUT_MS = 30_000;
/** No loop sends more requests than this, however fast the target. */
const MAX_REQUESTS = 500_000;

/** Latency samples of one loop, sorted ascending. */
export interface LatencySamples {
  /** Milliseconds to the first body byte. */
  ttfb: number[];
  /** Milliseconds to the last body byte. */
  total: number[];
  /** Responses that were not 200 or failed. */
  errors: number;
  /** The first failure, for the report. */
  firstError?: string;
}

/** Sends `request` one at a time for `durationMs` (after `warmupMs` not measured). */
export async function measureLatency(
  port: number,
  request: Uint8Array,
  durationMs: number,
  warmupMs: number,
): Promise<LatencySamples> {
  const conn = new HttpConnection(port);
  const out: LatencySamples = { ttfb: [], total: [], errors: 0 };
  try {
    for (const [ms, keep] of [[warmupMs, false], [durationMs, true]] as const) {
      const end = performance.now() + ms;
      for (let i = 0; i < MAX_REQUESTS && performance.now() < end; i++) {
        try {
          const r = await conn.send(request, false, REQUEST_TIMEOUT_MS);
          if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
          if (keep) {
            out.ttfb.push(r.ttfb);
            out.total.push(r.total);
          }
        } catch (err) {
          out.errors++;
          out.firstError ??= err instanceof Error ? err.message : String(err);
          if (out.errors > 20) return sorted(out);
        }
      }
    }
  } finally {
    conn.close();
  }
  return sorted(out);
}

function sorted(s: LatencySamples): LatencySamples {
  s.ttfb.sort((a, b) => a - b);
  s.total.sort((a, b) => a - b);
  return s;
}

/** The q-quantile (0..1) of sorted samples, NaN when there are none. */
export function quantile(sortedSamples: number[], q: number): number {
  if (!sortedSamples.length) return NaN;
  return sortedSamples[Math.min(sortedSamples.length - 1, Math.floor(q * sortedSamples.length))] ?? NaN;
}

/** The outcome of a throughput loop. */
export interface Throughput {
  /**
   * Completed 200 responses per second: the median over three equal windows of the measurement, so that a
   * burst of unrelated work on the machine moves it less than it moves the mean.
   */
  rate: number;
  /** The mean over the whole measurement. */
  mean: number;
  completed: number;
  errors: number;
  firstError?: string;
}

const WINDOWS = 3;

/**
 * Sends `request` over `concurrency` connections for `durationMs` after `warmupMs`; counts the 200
 * responses completed in the measured window.
 */
export async function measureThroughput(
  port: number,
  request: Uint8Array,
  concurrency: number,
  durationMs: number,
  warmupMs: number,
): Promise<Throughput> {
  const conns = Array.from({ length: concurrency }, () => new HttpConnection(port));
  const t0 = performance.now();
  const startAt = t0 + warmupMs;
  const endAt = startAt + durationMs;
  const windows = new Array<number>(WINDOWS).fill(0);
  let errors = 0;
  let firstError: string | undefined;
  let sent = 0;
  const worker = async (conn: HttpConnection) => {
    while (performance.now() < endAt && sent < MAX_REQUESTS && errors <= 50) {
      sent++;
      try {
        const r = await conn.send(request, false, REQUEST_TIMEOUT_MS);
        if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
        const now = performance.now();
        if (now >= startAt && now < endAt) {
          const w = Math.floor((now - startAt) / (durationMs / WINDOWS));
          windows[w] = (windows[w] ?? 0) + 1;
        }
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  try {
    await Promise.all(conns.map(worker));
  } finally {
    for (const c of conns) c.close();
  }
  const completed = windows.reduce((a, b) => a + b, 0);
  const perWindow = windows.map((n) => n / (durationMs / WINDOWS / 1000)).sort((a, b) => a - b);
  return {
    rate: perWindow[Math.floor(WINDOWS / 2)] ?? NaN,
    mean: completed / (durationMs / 1000),
    completed,
    errors,
    firstError,
  };
}

/** Sends one request and returns its status and body (for the correctness checks). */
export async function fetchOnce(
  port: number,
  request: Uint8Array,
): Promise<{ status: number; body: Uint8Array; headers: Record<string, string> }> {
  const conn = new HttpConnection(port);
  try {
    const r = await conn.send(request, true, REQUEST_TIMEOUT_MS);
    return { status: r.status, body: r.body ?? new Uint8Array(), headers: r.headers };
  } finally {
    conn.close();
  }
}

/**
 * Sends `count` requests one after another (bounded by `maxMs`), returning how many succeeded.
 */
export async function sequential(
  port: number,
  request: Uint8Array,
  count: number,
  maxMs: number,
): Promise<number> {
  const conn = new HttpConnection(port);
  const end = performance.now() + maxMs;
  let ok = 0;
  try {
    for (let i = 0; i < count && performance.now() < end; i++) {
      try {
        const r = await conn.send(request, false, REQUEST_TIMEOUT_MS);
        if (r.status === 200) ok++;
      } catch { /* counted as missing */ }
    }
  } finally {
    conn.close();
  }
  return ok;
}
