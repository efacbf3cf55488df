/**
 * The fault suite's harness: a real relayx on a loopback port over a backend pointed at a fault-injecting
 * mock, what a client receives read back as one {@linkcode Outcome}, and a table runner that asserts each
 * fault's outcome, that the upstream call was cancelled where it stalled, and that relayx still serves.
 */
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { createApp } from "../../src/app.ts";
import type { Backend } from "../../src/backends/backend.ts";
import type { UpstreamLimits } from "../../src/backends/upstream_watch.ts";
import type { RequestLog } from "../../src/log.ts";

v8.setFlagsFromString("--expose-gc");
/** A full garbage collection, on demand. */
export const collectGarbage = vm.runInNewContext("gc") as () => void;

/**
 * Small timeouts, so that a stalled upstream costs a test a fraction of a second. The idle timeout keeps
 * a margin of 350 ms over the slow-but-steady streams' 100 ms gaps, which a loaded 2-core machine needs.
 */
export const FAULT_LIMITS: UpstreamLimits = {
  upstreamConnectMs: 100,
  upstreamHeadersMs: 300,
  upstreamIdleMs: 450,
};

/** A relayx served on a free loopback port. */
export interface FaultRelay extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** One record per finished request. */
  logs: RequestLog[];
}

/** Serves `backend` (pings at the default 15 s: no fault here lasts that long). */
export function serveRelay(backend: Backend): FaultRelay {
  const logs: RequestLog[] = [];
  const app = createApp({ backend, log: (e) => logs.push(e) });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    logs,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** What a client received. */
export interface Outcome {
  /** The HTTP status. */
  status: number;
  /** The error type of an error answer, or of the stream's final `error` event. */
  error?: string;
  /** Its message. */
  message?: string;
  /** The `retry-after` header. */
  retryAfter?: string | null;
  /** The `x-should-retry` header. */
  shouldRetry?: string | null;
  /** The event types of a stream, in order. */
  events?: string[];
  /** The text of a message, or of a stream's text deltas. */
  text?: string;
}

/** What a fault must produce. */
export type Expect =
  /** An HTTP error (before any byte of an answer): status, type, and the retry headers (null: absent). */
  | { http: number; error: string; retryAfter?: string | null; shouldRetry?: string | null; message?: RegExp }
  /** A 200 stream that ends with an `error` event of this type. */
  | { event: string; message?: RegExp }
  /** A normal answer with this text. */
  | { text: string };

const MESSAGE = { max_tokens: 64, messages: [{ role: "user", content: "Hi" }] };

/** Posts a one-line message; `model` is what the client asks for. */
export function ask(relay: FaultRelay, model: string, stream: boolean): Promise<Response> {
  return fetch(`${relay.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...MESSAGE, model, stream }),
    // Generous: only there to turn a hang into a failure.
    signal: AbortSignal.timeout(10_000),
  });
}

function sseEvents(text: string): { type: string; data: Record<string, unknown> }[] {
  return text.split("\n\n").filter((block) => block.trim() !== "").map((block) => {
    const type = block.match(/^event: (.*)$/m)?.[1] ?? "";
    const data = block.match(/^data: (.*)$/m)?.[1] ?? "{}";
    return { type, data: JSON.parse(data) };
  });
}

/** Reads a response to the end. */
export async function outcome(res: Response): Promise<Outcome> {
  const out: Outcome = {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    shouldRetry: res.headers.get("x-should-retry"),
  };
  const text = await res.text();
  if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    const events = sseEvents(text);
    out.events = events.map((e) => e.type);
    out.text = "";
    for (const e of events) {
      const delta = e.data.delta as { type?: string; text?: string } | undefined;
      if (e.type === "content_block_delta" && delta?.type === "text_delta") out.text += delta.text;
      if (e.type === "error") {
        const error = e.data.error as { type: string; message: string };
        out.error = error.type;
        out.message = error.message;
      }
    }
    return out;
  }
  const body = JSON.parse(text);
  if (res.status === 200) out.text = body.content.map((b: { text?: string }) => b.text ?? "").join("");
  else {
    out.error = body.error.type;
    out.message = body.error.message;
  }
  return out;
}

/** Asserts that an outcome is what was expected. */
export function assertOutcome(got: Outcome, want: Expect): void {
  if ("http" in want) {
    assert.deepEqual({ status: got.status, error: got.error }, { status: want.http, error: want.error });
    assert.ok(!got.events, "an error before the first byte is an HTTP error, not a stream");
    if (want.retryAfter !== undefined) assert.equal(got.retryAfter, want.retryAfter, "retry-after");
    if (want.shouldRetry !== undefined) assert.equal(got.shouldRetry, want.shouldRetry, "x-should-retry");
    if (want.message) assert.match(got.message ?? "", want.message);
  } else if ("event" in want) {
    assert.equal(got.status, 200);
    assert.equal(got.events?.at(-1), "error", `the stream ends with an error event: ${got.events}`);
    assert.equal(got.error, want.event);
    assert.ok(!got.events?.includes("message_stop"), "a failed stream is never a finished message");
    if (want.message) assert.match(got.message ?? "", want.message);
  } else {
    assert.deepEqual({ status: got.status, text: got.text }, { status: 200, text: want.text });
    if (got.events) assert.equal(got.events.at(-1), "message_stop");
  }
}

/** One row of a fault table. */
export interface FaultCase<R> {
  /** What goes wrong. */
  name: string;
  /** The mock's reply, for the path under test. */
  reply: (path: string) => R;
  /** The outcome of a non-stream request (the case is skipped for non-stream when absent). */
  json?: Expect;
  /** The outcome of a stream request (skipped when absent). */
  stream?: Expect;
  /** The upstream call must have been cancelled (a stall: relayx gave up on it). */
  cancels?: boolean;
}

/** A backend path under test, with its mock. */
export interface FaultTarget<R> {
  /** The path's name (`openai`, `converse`, `invoke`). */
  path: string;
  /** The relay in front of the mock. */
  relay: FaultRelay;
  /** The model the client asks for. */
  model: string;
  /** Queues a mock reply. */
  enqueue(reply: R): void;
  /** How many calls the mock saw cancelled by their client (relayx). */
  aborted(): number;
}

async function cancelled(target: FaultTarget<unknown>, before: number): Promise<void> {
  // The cancellation reaches the mock a moment after relayx answered.
  for (let waited = 0; target.aborted() === before; waited += 10) {
    if (waited > 2000) assert.fail("relayx did not cancel the stalled upstream call");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs every case of a table on a target, stream and non-stream, each followed by a normal request. */
export async function runFaults<R>(
  t: Deno.TestContext,
  target: FaultTarget<R>,
  cases: FaultCase<R>[],
): Promise<void> {
  for (const c of cases) {
    for (const stream of [false, true]) {
      const want = stream ? c.stream : c.json;
      if (!want) continue;
      await t.step(`${target.path}, ${stream ? "stream" : "non-stream"}: ${c.name}`, async () => {
        const before = target.aborted();
        target.enqueue(c.reply(target.path));
        // While relayx waits on a stalled upstream, a collection must not cut its way to cancel the call.
        const gc = c.cancels ? setTimeout(collectGarbage, 150) : undefined;
        assertOutcome(await outcome(await ask(target.relay, target.model, stream)), want);
        clearTimeout(gc);
        if (c.cancels) await cancelled(target, before);
        assertOutcome(await outcome(await ask(target.relay, target.model, stream)), { text: "ok" });
      });
    }
  }
}
