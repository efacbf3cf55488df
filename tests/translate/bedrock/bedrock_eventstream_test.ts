import assert from "node:assert/strict";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { eventStreamBatches } from "../../../src/translate/bedrock/bedrock_eventstream.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const codec = new EventStreamCodec((b) => decoder.decode(b), (s) => encoder.encode(s));

function frame(headers: Record<string, string>, body: string): Uint8Array {
  const h = Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, { type: "string" as const, value: v }]),
  );
  return codec.encode({ headers: h, body: encoder.encode(body) });
}

function bodyOf(...frames: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const f of frames) c.enqueue(f);
      c.close();
    },
  });
}

Deno.test("eventStreamBatches() reads header strings, ASCII or not, as the codec writes them", async () => {
  const long = `x-${"a".repeat(100)}`;
  const frames = [
    frame({ ":message-type": "event", ":event-type": "contentBlockDelta" }, '{"delta":{"text":"é"}}'),
    frame({ ":message-type": "exception", ":exception-type": "throttlingException" }, '{"message":"slow"}'),
    frame(
      { ":message-type": "error", ":error-code": "InternalFailure", ":error-message": "échec ⚠ " + long },
      "",
    ),
  ];
  const got = [];
  for await (const batch of eventStreamBatches(bodyOf(...frames))) got.push(...batch);
  assert.deepEqual(got.map((m) => [m.kind, m.type, decoder.decode(m.body)]), [
    ["event", "contentBlockDelta", '{"delta":{"text":"é"}}'],
    ["exception", "throttlingException", '{"message":"slow"}'],
    ["error", "InternalFailure", "échec ⚠ " + long],
  ]);
});

Deno.test("eventStreamBatches() tells apart header strings whose bytes hash alike", async () => {
  // "Aa" and "BB" share a 31-multiplier hash (Java's String.hashCode collision).
  const frames = ["Aa", "BB", "Aa", "BB"].map((type) =>
    frame({ ":message-type": "event", ":event-type": type }, "{}")
  );
  const types = [];
  for await (const batch of eventStreamBatches(bodyOf(...frames))) types.push(...batch.map((m) => m.type));
  assert.deepEqual(types, ["Aa", "BB", "Aa", "BB"]);
});
