/**
 * Test helpers for the OpenAI stream translation: byte streams split anywhere, the Anthropic event
 * grammar as an assertion, and the official SDK's own accumulation of the events.
 */
import assert from "node:assert/strict";
import { MessageStream } from "@anthropic-ai/sdk/lib/MessageStream";
import type { StreamEvent } from "../../../src/anthropic/types.ts";

/** A byte stream of `bytes`, cut at the given offsets (each chunk its own `enqueue`). */
export function bytesStream(bytes: Uint8Array, cuts: number[] = []): ReadableStream<Uint8Array> {
  const points = [0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length];
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i >= points.length - 1) return controller.close();
      controller.enqueue(bytes.slice(points[i], points[i + 1]));
      i++;
    },
  });
}

/** A block as a client assembles it. */
export type Assembled =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "redacted_thinking"; data: string };

/**
 * Asserts the Anthropic stream grammar: `message_start` first; blocks started with contiguous indexes from 0,
 * never interleaved, each stopped; deltas only for the open block and of its kind; a thinking block's
 * signature as its last delta; one `message_delta` with both stop keys, then `message_stop` last.
 * Returns the blocks as a client assembles them (tool input parsed from the concatenated JSON).
 */
export function assertEventGrammar(events: StreamEvent[]): Assembled[] {
  assert.equal(events[0]?.type, "message_start", "message_start comes first");
  assert.equal(events.at(-1)?.type, "message_stop", "message_stop comes last");
  assert.equal(events.at(-2)?.type, "message_delta", "message_delta comes just before message_stop");
  const blocks: Assembled[] = [];
  let open: { index: number; json: string; signed: boolean } | undefined;
  for (const [i, event] of events.entries()) {
    switch (event.type) {
      case "message_start":
        assert.equal(i, 0, "one message_start");
        break;
      case "content_block_start": {
        assert.equal(open, undefined, `event ${i}: the previous block was stopped`);
        assert.equal(event.index, blocks.length, `event ${i}: indexes are contiguous`);
        const b = event.content_block;
        blocks.push(
          b.type === "tool_use"
            ? { type: "tool_use", id: b.id, name: b.name, input: undefined }
            : b.type === "thinking"
            ? { type: "thinking", thinking: "", signature: "" }
            : b.type === "text"
            ? { type: "text", text: "" }
            : { type: "redacted_thinking", data: b.type === "redacted_thinking" ? b.data : "" },
        );
        assert.match(b.type === "tool_use" ? b.id : "x", /^[a-zA-Z0-9_-]+$/, "tool ids are valid");
        open = { index: event.index, json: "", signed: false };
        break;
      }
      case "content_block_delta": {
        assert.ok(open, `event ${i}: a delta belongs to an open block`);
        assert.equal(event.index, open.index, `event ${i}: a delta belongs to the open block`);
        const block = blocks[event.index]!;
        const d = event.delta;
        assert.ok(!open.signed, `event ${i}: nothing follows a signature`);
        if (d.type === "text_delta" && block.type === "text") block.text += d.text;
        else if (d.type === "thinking_delta" && block.type === "thinking") block.thinking += d.thinking;
        else if (d.type === "signature_delta" && block.type === "thinking") {
          block.signature = d.signature;
          open.signed = true;
        } else if (d.type === "input_json_delta" && block.type === "tool_use") open.json += d.partial_json;
        else assert.fail(`event ${i}: ${d.type} in a ${block.type} block`);
        break;
      }
      case "content_block_stop": {
        assert.ok(open && event.index === open.index, `event ${i}: stops the open block`);
        const block = blocks[event.index]!;
        if (block.type === "thinking") assert.ok(open.signed, `event ${i}: every thinking block is signed`);
        if (block.type === "tool_use") block.input = open.json === "" ? {} : JSON.parse(open.json);
        open = undefined;
        break;
      }
      case "message_delta":
        assert.equal(open, undefined, "every block is stopped before message_delta");
        assert.equal(i, events.length - 2, "one message_delta");
        assert.ok("stop_reason" in event.delta && "stop_sequence" in event.delta);
        break;
      case "message_stop":
        assert.equal(i, events.length - 1);
        break;
      case "ping":
        break;
      case "error":
        assert.fail("no error event from a translator");
        break;
      default: {
        const never: never = event;
        assert.fail(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }
  return blocks;
}

/** What the official Anthropic SDK makes of the events (`MessageStream.finalMessage()`). */
export async function sdkFinalMessage(events: StreamEvent[]): Promise<unknown> {
  const ndjson = new TextEncoder().encode(events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  const stream = MessageStream.fromReadableStream(bytesStream(ndjson));
  return await stream.finalMessage();
}

/** Collects an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
