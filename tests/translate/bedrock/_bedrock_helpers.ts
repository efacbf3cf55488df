/**
 * Shared test helpers for the Bedrock translators: fixed ids, a stream-grammar checker that reassembles
 * the message the client would see, and snapshot-friendly views of large values.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ResponseBlock, StopReason, StreamEvent } from "../../../src/anthropic/types.ts";
import type { IdSource } from "../../../src/translate/id_source.ts";
import { bytesToBase64 } from "../../../src/translate/_encoding.ts";

/** Ids `toolu_test_1`, `toolu_test_2`, ... */
export function fixedIds(): IdSource {
  let tool = 0;
  let message = 0;
  return {
    messageId: () => `msg_test_${++message}`,
    toolUseId: () => `toolu_test_${++tool}`,
  };
}

/** Replays an array as an async iterable, as the SDK's stream would. */
export async function* replay<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

/** Drains an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** What a client reassembles from a stream. */
export interface Reassembled {
  content: ResponseBlock[];
  stopReason: StopReason | null;
  stopSequence: string | null;
  usage: Record<string, unknown>;
}

/**
 * Asserts Anthropic's stream grammar (message_start first; blocks started with contiguous indexes 0,1,2,
 * deltas only to the open block and of its kind, every block stopped; exactly one message_delta after the
 * last block; message_stop last) and returns the reassembled message, tool inputs parsed as JSON.
 */
export function checkStream(events: readonly StreamEvent[]): Reassembled {
  const real = events.filter((e) => e.type !== "ping");
  assert.equal(real[0]?.type, "message_start", "message_start comes first");
  assert.equal(real.at(-1)?.type, "message_stop", "message_stop comes last");
  assert.equal(real.at(-2)?.type, "message_delta", "message_delta precedes message_stop");
  assert.equal(real.filter((e) => e.type === "message_delta").length, 1, "exactly one message_delta");
  assert.equal(real.filter((e) => e.type === "message_start").length, 1, "exactly one message_start");
  const content: ResponseBlock[] = [];
  const json: string[] = [];
  let open: number | undefined;
  let usage: Record<string, unknown> = {};
  let stopReason: StopReason | null = null;
  let stopSequence: string | null = null;
  for (const e of real) {
    switch (e.type) {
      case "message_start":
        usage = { ...e.message.usage };
        break;
      case "content_block_start": {
        assert.equal(open, undefined, `block ${e.index} starts while ${open} is open`);
        assert.equal(e.index, content.length, "block indexes are contiguous");
        open = e.index;
        const b = e.content_block;
        content.push(
          b.type === "tool_use"
            ? { type: "tool_use", id: b.id, name: b.name, input: {} }
            : b.type === "thinking"
            ? { type: "thinking", thinking: "", signature: "" }
            : b.type === "text"
            ? { type: "text", text: "" }
            : b.type === "redacted_thinking"
            ? { type: "redacted_thinking", data: b.data }
            : b,
        );
        json.push("");
        break;
      }
      case "content_block_delta": {
        assert.equal(e.index, open, "deltas go to the open block");
        const b = content[e.index];
        const d = e.delta;
        if (d.type === "text_delta") {
          assert.equal(b?.type, "text");
          if (b?.type === "text") b.text += d.text;
        } else if (d.type === "thinking_delta" || d.type === "signature_delta") {
          assert.equal(b?.type, "thinking");
          if (b?.type === "thinking" && d.type === "thinking_delta") b.thinking += d.thinking;
          if (b?.type === "thinking" && d.type === "signature_delta") b.signature += d.signature;
        } else {
          assert.equal(b?.type, "tool_use");
          json[e.index] += d.partial_json;
        }
        break;
      }
      case "content_block_stop": {
        assert.equal(e.index, open, "the open block is the one stopped");
        const b = content[e.index];
        if (b?.type === "tool_use") b.input = JSON.parse(json[e.index] || "{}");
        open = undefined;
        break;
      }
      case "message_delta":
        assert.equal(open, undefined, "every block is stopped before message_delta");
        stopReason = e.delta.stop_reason;
        stopSequence = e.delta.stop_sequence;
        usage = { ...usage, ...e.usage };
        break;
      case "message_stop":
        break;
      case "error":
        assert.fail("no error event expected");
        break;
      default: {
        const never: never = e;
        assert.fail(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }
  return { content, stopReason, stopSequence, usage };
}

/** A copy where bytes read `<N bytes base64…>` and long strings are shortened, for readable snapshots. */
export function forSnapshot(value: unknown): unknown {
  if (value instanceof Uint8Array) return `<${value.length} bytes ${bytesToBase64(value).slice(0, 16)}…>`;
  if (typeof value === "string") {
    return value.length > 240 ? `${value.slice(0, 120)}…<${value.length} chars>` : value;
  }
  if (Array.isArray(value)) return value.map(forSnapshot);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forSnapshot(v)]));
  }
  return value;
}

/** Collects warnings. */
export function warnings(): { list: string[]; warn(message: string): void } {
  const list: string[] = [];
  return { list, warn: (m) => list.push(m) };
}
