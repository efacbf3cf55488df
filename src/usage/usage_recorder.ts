/**
 * Takes each finished request's log record, turns it into a usage record, and keeps it: in a bounded ring
 * of recent records and running totals in memory (what a live view reads), and, when there is a store,
 * in a queue written in batches off the request path (every `flushMs`, or at once past `batchSize`
 * records, in one transaction), with records older than the retention pruned now and then.
 *
 * @module
 */
import type { RequestLog } from "../log.ts";
import type { Redactor } from "../redact.ts";
import type { PriceOf } from "./cost.ts";
import { toUsageRecord, type UsageRecord } from "./usage_record.ts";

/** Where records are written; the SQLite database in production, a fake in tests. */
export interface UsageStore {
  /** Writes records in one transaction (all or none); throws on failure. */
  write(records: readonly UsageRecord[]): void;
  /** Deletes the records that started before `before` (ms since the epoch); returns how many. */
  prune(before: number): number;
  /** Closes the store. */
  close(): void;
}

/** Totals of the records taken since the recorder started. */
export interface UsageTotals {
  /** Model calls. */
  requests: number;
  /** Input tokens, not counting cached ones. */
  inputTokens: number;
  /** Output tokens. */
  outputTokens: number;
  /** Input tokens read from the prompt cache. */
  cacheReadTokens: number;
  /** Input tokens written to the prompt cache. */
  cacheWriteTokens: number;
  /** US dollars over the requests whose price is known. */
  cost: number;
  /** Requests whose cost is unknown. */
  unpriced: number;
}

/** Options for {@linkcode createUsageRecorder}. */
export interface UsageRecorderOptions {
  /** Prices by upstream model and backend. */
  priceOf: PriceOf;
  /** Where records are written; without one they stay in memory only. */
  store?: UsageStore;
  /** Longest a record waits in the queue, in milliseconds (default 1000). */
  flushMs?: number;
  /** Queued records that trigger a write at once (default 200). */
  batchSize?: number;
  /** Recent records kept in memory, with or without a store (default 1,000). */
  recentSize?: number;
  /** Records older than this many days are pruned (default 90). */
  retentionDays?: number;
  /** The clock (default `Date.now`). */
  now?: () => number;
  /** Writes one line for the operator when writing fails (default `console.error`). */
  note?: (line: string) => void;
  /**
   * Hides secrets in the names the client chose (model, session, client), as in the log line; without
   * one they are kept as sent, cut to {@linkcode MAX_NAME} characters.
   */
  redact?: Redactor;
}

/** The longest name (model, session, client) a record keeps. */
export const MAX_NAME = 512;

/** What {@linkcode createUsageRecorder} returns. */
export interface UsageRecorder {
  /** Takes a finished request's log record: the app's `usage` hook. */
  record: (entry: RequestLog) => void;
  /** The recent records, oldest first. */
  recent(): UsageRecord[];
  /** Totals since the recorder started. */
  totals(): UsageTotals;
  /** Records queued for the store and not yet written. */
  pending(): number;
  /**
   * Calls `listener` with each record as it is taken (the live page); returns the function that stops
   * it. A listener that throws is dropped. With no listener, recording does no work for them.
   */
  subscribe(listener: (record: UsageRecord) => void): () => void;
  /** Writes the queue now (a no-op without a store). */
  flush(): void;
  /** Writes the queue and closes the store; later records stay in memory. */
  close(): void;
}

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
// A store that keeps failing (disk full, locked) holds at most this many batches; older records go.
const MAX_QUEUED_BATCHES = 50;

/**
 * A usage recorder over a store, or in memory only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const usage = createUsageRecorder({ priceOf: () => ({ input: 3, output: 15 }) });
 * usage.record({
 *   request_id: "req_1", backend: "bedrock", method: "POST", path: "/v1/messages", status: 200,
 *   upstream_model: "m", input_tokens: 1_000_000, output_tokens: 0, total_ms: 1,
 * });
 * assert.equal(usage.totals().cost, 3);
 * usage.close();
 * ```
 */
export function createUsageRecorder(options: UsageRecorderOptions): UsageRecorder {
  const now = options.now ?? Date.now;
  const note = options.note ?? ((line: string) => console.error(line));
  const flushMs = options.flushMs ?? 1000;
  const batchSize = options.batchSize ?? 200;
  const retentionMs = (options.retentionDays ?? 90) * DAY_MS;
  let store = options.store;
  const ring = _ring<UsageRecord>(options.recentSize ?? 1000);
  const totals: UsageTotals = {
    requests: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cost: 0,
    unpriced: 0,
  };
  let queue: UsageRecord[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastPrune = -Infinity;
  let failing = false;
  const listeners = new Set<(record: UsageRecord) => void>();

  function flush(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (!store) return;
    const batch = queue;
    queue = [];
    try {
      store.write(batch);
      if (failing) note("relayx: usage records are written again");
      failing = false;
      if (now() - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = now();
        store.prune(now() - retentionMs);
      }
    } catch (err) {
      // Kept for the next flush, bounded; said once per run of failures.
      queue = [...batch, ...queue].slice(-batchSize * MAX_QUEUED_BATCHES);
      if (!failing) {
        note(`relayx: cannot write usage records (kept in memory, retried): ${_message(err)}`);
      }
      failing = true;
      _schedule(flushMs);
    }
  }

  function _schedule(ms: number): void {
    if (timer !== undefined) return;
    const id = setTimeout(flush, ms);
    // Pending records must not keep a stopping relayx alive; the shutdown path flushes them.
    Deno.unrefTimer(id);
    timer = id;
  }

  const redact = options.redact;
  const name = (text: string | undefined) =>
    text === undefined ? undefined : redact ? redact.text(text, MAX_NAME) : text.slice(0, MAX_NAME);

  function record(entry: RequestLog): void {
    const r = toUsageRecord(entry, now(), options.priceOf);
    if (!r) return;
    // A client may send anything as a model name or header; only what passes the redactor is kept.
    r.model = name(r.model);
    r.upstreamModel = name(r.upstreamModel);
    r.session = name(r.session);
    r.client = name(r.client);
    ring.push(r);
    totals.requests++;
    totals.inputTokens += r.inputTokens;
    totals.outputTokens += r.outputTokens;
    totals.cacheReadTokens += r.cacheReadTokens;
    totals.cacheWriteTokens += r.cacheWriteTokens;
    if (r.cost === undefined) totals.unpriced++;
    else totals.cost += r.cost;
    if (listeners.size !== 0) _tell(r);
    if (!store) return;
    queue.push(r);
    if (queue.length >= batchSize && !failing) {
      // At once, but not inside the request's own call.
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      _schedule(0);
    } else _schedule(flushMs);
  }

  function _tell(r: UsageRecord): void {
    for (const listener of [...listeners]) {
      try {
        listener(r);
      } catch {
        // A listener's failure must not fail the request that is being recorded.
        listeners.delete(listener);
      }
    }
  }

  return {
    record,
    recent: () => ring.items(),
    totals: () => ({ ...totals }),
    pending: () => queue.length,
    subscribe(listener) {
      // Wrapped, so that the same function subscribed twice is two subscriptions.
      const own = (r: UsageRecord) => listener(r);
      listeners.add(own);
      return () => listeners.delete(own);
    },
    flush,
    close() {
      flush();
      store?.close();
      store = undefined;
    },
  };
}

function _message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// A fixed-size ring: the newest `size` items, oldest first.
function _ring<T>(size: number): { push(item: T): void; items(): T[] } {
  const buffer: T[] = [];
  let next = 0;
  return {
    push(item) {
      if (buffer.length < size) buffer.push(item);
      else buffer[next] = item;
      next = (next + 1) % size;
    },
    items: () => buffer.length < size ? [...buffer] : [...buffer.slice(next), ...buffer.slice(0, next)],
  };
}
