/**
 * Reads a V8 `.cpuprofile` (from `deno run --cpu-prof`) into self time per function and per origin.
 *
 * @module
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function. */
export interface FunctionTime {
  /** `name (file:line)`. */
  name: string;
  /** Where it comes from (see {@linkcode origin}). */
  origin: string;
  ms: number;
}

/** A profile summarised. */
export interface ProfileSummary {
  /** Sampled milliseconds, idle excluded. */
  busyMs: number;
  /** Milliseconds per origin, largest first. */
  origins: [string, number][];
  /** Functions by self time, largest first. */
  functions: FunctionTime[];
}

// The checkout this bench runs from (a worktree as well as /work/main).
const ROOT = new URL("../", import.meta.url).href;

/** Groups a script URL: relayx's own code, an npm package, the runtime, or a V8 pseudo-frame. */
export function origin(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  if (url.startsWith(`${ROOT}src/`) || url === `${ROOT}main.ts`) return "relayx";
  const npm = /\/npm\/[^/]+\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (npm) return `npm:${npm[1]}`;
  if (url.startsWith("ext:") || url.startsWith("node:")) return "runtime";
  return "other";
}

function shortUrl(url: string): string {
  if (url.startsWith(ROOT)) return url.slice(ROOT.length);
  const npm = /\/npm\/[^/]+\/((?:@[^/]+\/)?[^/]+)\/[^/]+\/(.*)$/.exec(url);
  if (npm) return `${npm[1]}/${npm[2]}`;
  return url.replace(/^ext:/, "");
}

/** Summarises a `.cpuprofile` file. */
export function summarizeProfile(text: string): ProfileSummary {
  const profile = JSON.parse(text) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const fns = new Map<string, FunctionTime>();
  const origins = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i] ?? -1);
    // Each delta is the time before the sample; the next one is the time spent in it.
    const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    if (!node || node.callFrame.functionName === "(idle)") continue;
    busy += ms;
    const o = origin(node.callFrame);
    origins.set(o, (origins.get(o) ?? 0) + ms);
    const f = node.callFrame;
    const name = `${f.functionName || "(anonymous)"} (${shortUrl(f.url)}:${f.lineNumber + 1})`;
    const entry = fns.get(name) ?? { name, origin: o, ms: 0 };
    entry.ms += ms;
    fns.set(name, entry);
  }
  return {
    busyMs: busy,
    origins: [...origins].sort((a, b) => b[1] - a[1]),
    functions: [...fns.values()].sort((a, b) => b.ms - a.ms),
  };
}
