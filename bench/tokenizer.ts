/**
 * `deno run -A bench/tokenizer.ts`: the cost of the BPE count behind `count_tokens` on the worst inputs
 * we could construct, 100,000 UTF-16 units each, before (the whole text to `gpt-tokenizer`, as relayx did
 * on the event loop) and after (cut into whole pieces of at most 256 units first, as its worker does),
 * and what a count through relayx's token counter does to the event loop. Prints a Markdown table.
 *
 * Flags: `--no-before` skips the old way (minutes in all); `--budget=MS` is the longest single "before"
 * measurement (default 10,000): past it the 100,000-unit figure is extrapolated from halves (marked ~).
 *
 * @module
 */
import { clearMergeCache, countTokens, setMergeCacheSize } from "gpt-tokenizer";
import { DEFAULT_LIMITS } from "../src/limits.ts";
import { createTokenCounter } from "../src/tokens/token_counter.ts";
import { O200K_PIECES, splitRuns } from "../src/tokens/split_runs.ts";
import claudeCode from "../tests/testdata/claude_code/request_haiku_4_5.json" with { type: "json" };

const SIZE = 100_000;
const MAX_PIECE = 256;
const OPTIONS = { disallowedSpecial: new Set<string>() };

let seed = 0x9e3779b9;
function random(n: number): number {
  // xorshift32: the same inputs on every run.
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}
function build(unit: () => string): string {
  const parts: string[] = [];
  let length = 0;
  while (length < SIZE) {
    const u = unit();
    parts.push(u);
    length += u.length;
  }
  return parts.join("").slice(0, SIZE).replace(/[\ud800-\udbff]$/, "x");
}
const from = (chars: string) => () => chars[random(chars.length)] ?? "";
const range = (first: number, count: number) => () => String.fromCodePoint(first + random(count));

function allText(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) { for (const v of value) allText(v, out); }
  else if (value && typeof value === "object") { for (const v of Object.values(value)) allText(v, out); }
  return out;
}

const INPUTS: Record<string, () => string> = {
  "Claude Code request text (normal)": () => build(() => allText(claudeCode).join("\n")),
  "emoji, random": () => build(range(0x1f300, 0x350)),
  "emoji, one repeated": () => "😀".repeat(SIZE / 2),
  "CJK, random": () => build(range(0x4e00, 0x5000)),
  "CJK, one repeated": () => "你".repeat(SIZE),
  "Thai letters, random": () => build(range(0xe01, 40)),
  "Arabic letters, random": () => build(range(0x627, 20)),
  "Cyrillic letters, random": () => build(range(0x430, 32)),
  "lower-case letters, random": () => build(range(0x61, 26)),
  "one letter repeated": () => "a".repeat(SIZE),
  "spaces": () => " ".repeat(SIZE),
  "whitespace, random (\\t \\n \\r space)": () => build(from(" \t\n\r")),
  "punctuation, random": () => build(from("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")),
  "letters + combining marks": () =>
    build(() => String.fromCharCode(0x61 + random(26), 0x300 + random(0x70))),
  "base64": () => build(from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")),
  "random bytes as Latin-1": () => build(() => String.fromCharCode(random(256))),
  "random BMP code units": () => build(() => String.fromCharCode(0x20 + random(0xd000))),
  "deep JSON arrays": () => "[".repeat(SIZE / 2) + "]".repeat(SIZE / 2),
  "deep JSON objects": () => ('{"a":'.repeat(SIZE / 10) + "1").padEnd(SIZE, "}"),
};

function timed(f: () => number): { ms: number; tokens: number } {
  clearMergeCache();
  const start = performance.now();
  const tokens = f();
  return { ms: performance.now() - start, tokens };
}

const whole = (text: string) => countTokens(text, OPTIONS);
const split = (text: string) => {
  let n = 0;
  for (const part of splitRuns(text, MAX_PIECE, O200K_PIECES)) n += countTokens(part, OPTIONS);
  return n;
};

// The old way on the whole text, growing it by halves until one measurement passes the budget.
function before(text: string, budgetMs: number): { label: string; tokens?: number } {
  let previous: { size: number; ms: number } | undefined;
  for (let size = SIZE / 8; size <= SIZE; size *= 2) {
    const r = timed(() => whole(text.slice(0, size)));
    if (size === SIZE) return { label: `${Math.round(r.ms)}`, tokens: r.tokens };
    if (r.ms > budgetMs) {
      const exponent = previous ? Math.log(r.ms / previous.ms) / Math.log(2) : 2;
      return { label: `~${Math.round(r.ms * (SIZE / size) ** Math.max(1, exponent))}` };
    }
    previous = { size, ms: r.ms };
  }
  return { label: "?" };
}

async function eventLoopStall(text: string): Promise<{ stall: number; total: number; method: string }> {
  const counter = createTokenCounter({ ...DEFAULT_LIMITS, tokenizerTimeoutMs: 60_000 });
  const request = {
    model: "m",
    messages: [{ role: "user" as const, content: [{ type: "text" as const, text }] }],
  };
  await counter.count({
    model: "m",
    messages: [{ role: "user", content: [{ type: "text", text: "warm" }] }],
  });
  let last = performance.now();
  let stall = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 5);
  const start = performance.now();
  const count = await counter.count(request);
  const total = performance.now() - start;
  clearInterval(tick);
  counter.close();
  return { stall, total, method: count.method };
}

// The same 5 ms interval with nothing to do: the stall a busy machine causes by itself.
async function idleStall(ms: number): Promise<number> {
  let last = performance.now();
  let stall = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 5);
  await new Promise((r) => setTimeout(r, ms));
  clearInterval(tick);
  return stall;
}

async function main(): Promise<void> {
  const withBefore = !Deno.args.includes("--no-before");
  const budget = Number(Deno.args.find((a) => a.startsWith("--budget="))?.slice(9) ?? 10_000);
  setMergeCacheSize(10_000);
  console.log(
    `| input (${SIZE.toLocaleString("en")} UTF-16 units) | before, ms | after, ms | after, tokens | ` +
      `split vs whole | worker: event-loop stall / total ms |`,
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const [name, make] of Object.entries(INPUTS)) {
    const text = make();
    const old = withBefore ? before(text, budget) : { label: "-" };
    const after = Math.min(...[0, 1, 2].map(() => timed(() => split(text)).ms));
    const tokens = split(text);
    const drift = old.tokens === undefined
      ? "-"
      : `${(((tokens - old.tokens) / old.tokens) * 100).toFixed(2)}%`;
    const loop = await eventLoopStall(text);
    console.log(
      `| ${name} | ${old.label} | ${after.toFixed(0)} | ${tokens} | ${drift} | ` +
        `${loop.stall.toFixed(0)} / ${loop.total.toFixed(0)} (${loop.method}) |`,
    );
  }
  console.log(
    `\nThe same 5 ms interval over 1 s with no count: longest gap ${(await idleStall(1000)).toFixed(0)} ms.`,
  );
}

if (import.meta.main) await main();
