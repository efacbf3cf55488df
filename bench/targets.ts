/**
 * The targets of issue 13 (relayx at the speed of PARSE): each figure of relayx against the same figure of
 * PARSE in the same run, or against an absolute limit, and the one-line summary of all of them. Pure: the
 * figures come in, the verdicts and the line go out.
 *
 * @module
 */

/** The figures of one bench row that the targets read (milliseconds, per second, MB). */
export interface Figures {
  nsP50: number;
  nsP99: number;
  rps: number;
  ttfb: number;
  sps: number;
  rssIdle: number;
  rssPeak: number;
}

/** One target: how its value is computed and the bound it must keep. */
export interface TargetSpec {
  /** Short name in the summary line. */
  name: string;
  /** What it measures, for the verdict line. */
  what: string;
  /** `max`: the value must be <= bound; `min`: >= bound. */
  kind: "max" | "min";
  bound: number;
  /** `ratio`: a relayx/PARSE ratio (printed `1.33x`); `mb`: an absolute RSS (printed `62.1MB`). */
  unit: "ratio" | "mb";
  /** The value from relayx's row, PARSE's row and the floor (the client against the mock directly). */
  value: (relayx: Figures, parse: Figures, direct: Figures | undefined) => number;
}

/** The table of issue 13, in its order. */
export const ISSUE_TARGETS: readonly TargetSpec[] = [
  {
    name: "p50",
    what: "non-stream p50 added over direct, relayx/PARSE",
    kind: "max",
    bound: 1.1,
    unit: "ratio",
    // Without the floor the added latency is unknown: NaN makes the target n/a rather than guessed.
    value: (r, p, d) => d ? (r.nsP50 - d.nsP50) / (p.nsP50 - d.nsP50) : NaN,
  },
  {
    name: "p99",
    what: "non-stream p99, relayx/PARSE",
    kind: "max",
    bound: 1.5,
    unit: "ratio",
    value: (r, p) => r.nsP99 / p.nsP99,
  },
  {
    name: "req/s@64",
    what: "requests/s at 64 concurrent, relayx/PARSE",
    kind: "min",
    bound: 0.9,
    unit: "ratio",
    value: (r, p) => r.rps / p.rps,
  },
  {
    name: "TTFB",
    what: "stream time to first byte (p50), relayx/PARSE",
    kind: "max",
    bound: 1.2,
    unit: "ratio",
    value: (r, p) => r.ttfb / p.ttfb,
  },
  {
    name: "streams/s@32",
    what: "streams/s at 32 concurrent, relayx/PARSE",
    kind: "min",
    bound: 1.0,
    unit: "ratio",
    value: (r, p) => r.sps / p.sps,
  },
  {
    name: "idle RSS",
    what: "relayx idle RSS",
    kind: "max",
    bound: 60,
    unit: "mb",
    value: (r) => r.rssIdle,
  },
  {
    name: "peak RSS",
    what: "peak RSS under load, relayx/PARSE",
    kind: "max",
    bound: 1.2,
    unit: "ratio",
    value: (r, p) => r.rssPeak / p.rssPeak,
  },
];

/** A target judged: its value and whether it keeps its bound (undefined when it could not be computed). */
export interface Judged {
  spec: TargetSpec;
  value: number;
  met: boolean | undefined;
}

/**
 * Judges every target on one run's rows. `valid` false (a row failed its correctness check) marks every
 * target missed: figures of a proxy that answers wrongly prove nothing.
 *
 * @example
 * ```ts
 * import { judgeTargets } from "./targets.ts";
 * const row = { nsP50: 2, nsP99: 4, rps: 1000, ttfb: 2, sps: 500, rssIdle: 50, rssPeak: 200 };
 * const judged = judgeTargets(row, row, { ...row, nsP50: 1 }, true);
 * console.assert(judged.every((j) => j.met));
 * ```
 */
export function judgeTargets(
  relayx: Figures,
  parse: Figures,
  direct: Figures | undefined,
  valid: boolean,
  specs: readonly TargetSpec[] = ISSUE_TARGETS,
): Judged[] {
  return specs.map((spec) => {
    const value = spec.value(relayx, parse, direct);
    if (!Number.isFinite(value)) return { spec, value, met: undefined };
    const within = spec.kind === "max" ? value <= spec.bound : value >= spec.bound;
    return { spec, value, met: valid && within };
  });
}

function show(value: number, unit: TargetSpec["unit"]): string {
  if (!Number.isFinite(value)) return "n/a";
  return unit === "ratio" ? `${value.toFixed(2)}x` : `${value.toFixed(1)}MB`;
}

function bound(spec: TargetSpec): string {
  return `${spec.kind === "max" ? "<=" : ">="}${spec.bound}${spec.unit === "ratio" ? "x" : "MB"}`;
}

/** One target as a verdict sentence, e.g. `non-stream p99, relayx/PARSE = 6.02x (target <= 1.5x)`. */
export function describe(j: Judged): string {
  return `${j.spec.what} = ${show(j.value, j.spec.unit)} (target ${bound(j.spec)})`;
}

/**
 * The one-line summary: every target's value against its bound, then how many are met.
 *
 * @example
 * ```ts
 * import { judgeTargets, summaryLine } from "./targets.ts";
 * const row = { nsP50: 2, nsP99: 4, rps: 1000, ttfb: 2, sps: 500, rssIdle: 50, rssPeak: 200 };
 * console.log(summaryLine("targets", judgeTargets(row, row, undefined, true)));
 * // targets: p50 n/a | p99 1.00x (<=1.5x) met | ... | 6 of 7 met
 * ```
 */
export function summaryLine(label: string, judged: readonly Judged[]): string {
  const parts = judged.map((j) =>
    `${j.spec.name} ${show(j.value, j.spec.unit)}` +
    (j.met === undefined ? "" : ` (${bound(j.spec)}) ${j.met ? "met" : "MISSED"}`)
  );
  const met = judged.filter((j) => j.met).length;
  return `${label}: ${parts.join(" | ")} | ${met} of ${judged.length} met`;
}
