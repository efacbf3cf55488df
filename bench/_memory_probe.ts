/**
 * Looking into a bench child's memory after a soak round (bench only: relayx itself has no such endpoint).
 *
 * @module
 */
import { memory, type Server } from "./_process.ts";

/** One DevTools call to relayx's inspector. */
async function _cdp(port: number, method: string, params: Record<string, unknown> = {}): Promise<unknown> {
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r) => ws.onopen = r);
  const reply = new Promise<unknown>((r) => ws.onmessage = (e) => r(JSON.parse(e.data).result));
  ws.send(JSON.stringify({ id: 1, method, params }));
  const result = await reply;
  ws.close();
  return result;
}

/** Prints relayx's heap figures, forces a full GC, then prints the heap and RSS again. */
async function _inspect(port: number, pid: number): Promise<void> {
  const usage = async () => {
    const r = await _cdp(port, "Runtime.evaluate", {
      expression: "JSON.stringify(Object.fromEntries(Object.entries(Deno.memoryUsage())" +
        ".map(([k, v]) => [k, Math.round(v / 1048576)])))",
    }) as { result: { value: string } };
    return r.result.value;
  };
  console.log(`  memoryUsage MB ${await usage()}`);
  await _cdp(port, "HeapProfiler.collectGarbage");
  await new Promise((r) => setTimeout(r, 2000));
  console.log(`  after a forced full GC: memoryUsage MB ${await usage()}, RSS ${memory(pid).rss.toFixed(1)}`);
  // Free memory that glibc keeps inside its heap (not at its top) goes back to the system only on malloc_trim.
  await _cdp(port, "Runtime.evaluate", {
    expression: `Deno.dlopen("libc.so.6", { malloc_trim: { parameters: ["usize"], result: "i32" } })` +
      ".symbols.malloc_trim(0)",
  });
  await new Promise((r) => setTimeout(r, 1000));
  console.log(`  after malloc_trim(0): RSS ${memory(pid).rss.toFixed(1)}`);
}

/** What to look at: the inspector port relayx runs under (0: none), a path prefix for dumps (empty: none). */
export interface ProbeOptions {
  inspectPort: number;
  dump: string;
}

/**
 * Prints what holds relayx's memory: its V8 heap and RSS before and after a forced GC and `malloc_trim`
 * (under the inspector), its last GC lines (under `--trace-gc`); writes its smaps and output (`dump`).
 */
export async function probeMemory(relayx: Server, o: ProbeOptions): Promise<void> {
  if (o.inspectPort) await _inspect(o.inspectPort, relayx.pid);
  if (o.dump) {
    Deno.writeTextFileSync(`${o.dump}.smaps`, Deno.readTextFileSync(`/proc/${relayx.pid}/smaps`));
    Deno.writeTextFileSync(`${o.dump}.out`, relayx.output());
  }
  // With `--relayx-v8=--trace-gc`: the V8 heap after its last collection, to set against the RSS.
  const gc = relayx.output().split("\n").filter((l) => / ms: (Mark-Compact|Scavenge|Mark-Sweep)/.test(l));
  const full = gc.filter((l) => l.includes("Mark-"));
  for (const l of [full.at(-1), gc.at(-1)]) if (l) console.log(`  gc: ${l.trim().slice(0, 120)}`);
}
