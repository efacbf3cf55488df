import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { EventStreamCodec, Int64 } from "@smithy/eventstream-codec";
import {
  eventStreamBatches,
  invokeEventBatches,
} from "../../../src/translate/bedrock/bedrock_eventstream.ts";

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

/** A frame with headers of every type the format has, around the ones relayx reads. */
function everyType(eventType: string, body: string): Uint8Array {
  return codec.encode({
    headers: {
      "x-true": { type: "boolean", value: true },
      "x-false": { type: "boolean", value: false },
      "x-byte": { type: "byte", value: -3 },
      "x-short": { type: "short", value: 300 },
      "x-int": { type: "integer", value: 70_000 },
      "x-long": { type: "long", value: Int64.fromNumber(-5) },
      "x-binary": { type: "binary", value: new Uint8Array([0, 255, 7]) },
      ":message-type": { type: "string", value: "event" },
      "x-timestamp": { type: "timestamp", value: new Date(1_700_000_000_000) },
      "x-uuid": { type: "uuid", value: "0ff1ce00-dead-beef-cafe-000000000001" },
      ":event-type": { type: "string", value: eventType },
      ":content-type": { type: "string", value: "application/json" },
    },
    body: encoder.encode(body),
  });
}

async function decodeAll(bytes: Uint8Array, cuts: number[] = []): Promise<[string, string, string][]> {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    parts.push(bytes.slice(from, at));
    from = at;
  }
  const got: [string, string, string][] = [];
  for await (const batch of eventStreamBatches(bodyOf(...parts))) {
    got.push(...batch.map((m): [string, string, string] => [m.kind, m.type, decoder.decode(m.body)]));
  }
  return got;
}

Deno.test("eventStreamBatches() skips headers of every value type and reads what the SDK's codec reads", async () => {
  const frames = [
    everyType("contentBlockDelta", '{"contentBlockIndex":0,"delta":{"text":"a"}}'),
    everyType("messageStop", '{"stopReason":"end_turn"}'),
    frame({ ":event-type": "metadata" }, "{}"),
  ];
  const bytes = await new Response(bodyOf(...frames)).bytes();
  // The same frames cut at every byte boundary of the first frame decode alike.
  const expected = frames.map((f): [string, string, string] => {
    const m = codec.decode(f);
    const header = (name: string) => String(m.headers[name]?.value ?? "");
    return [header(":message-type") || "event", header(":event-type"), decoder.decode(m.body)];
  });
  assert.deepEqual(await decodeAll(bytes), expected);
  for (let cut = 1; cut < frames[0]!.length; cut += 7) {
    assert.deepEqual(await decodeAll(bytes, [cut]), expected);
  }
});

Deno.test("eventStreamBatches() rejects a frame the SDK's codec would reject", async (t) => {
  const good = frame(
    { ":message-type": "event", ":event-type": "contentBlockDelta" },
    '{"delta":{"text":"x"}}',
  );
  const cases: [string, (b: Uint8Array) => void, RegExp][] = [
    ["a payload byte changed (message CRC)", (b) => b[b.length - 6]! ^= 1, /message checksum/],
    ["the headers length changed (prelude CRC)", (b) => b[7]! ^= 1, /prelude checksum/],
    // Past the message's end too: the prelude's checksum is checked before the length is used.
    ["the headers length's high byte changed", (b) => b[4]! ^= 1, /prelude checksum/],
    ["a total length below the minimum", (b) => new DataView(b.buffer).setUint32(0, 12), /too short/],
  ];
  for (const [name, mutate, message] of cases) {
    await t.step(name, async () => {
      const bytes = good.slice();
      mutate(bytes);
      assert.throws(() => codec.decode(bytes));
      await assert.rejects(() => decodeAll(bytes), message);
    });
  }
  await t.step("an unknown header value type (CRCs recomputed)", async () => {
    const bytes = good.slice();
    // The first header's type tag, after its one-byte name length and name.
    bytes[12 + 1 + bytes[12]!] = 10;
    const fixed = reCrc(bytes);
    assert.throws(() => codec.decode(fixed));
    await assert.rejects(() => decodeAll(fixed), /unknown header value type/);
  });
  await t.step("headers longer than the message (CRCs recomputed)", async () => {
    const bytes = good.slice();
    new DataView(bytes.buffer).setUint32(4, bytes.length);
    await assert.rejects(() => decodeAll(reCrc(bytes)), /headers longer than the message/);
  });
  await t.step("a body that ends inside a frame", async () => {
    await assert.rejects(() => decodeAll(good.slice(0, good.length - 1)), /Truncated event message/);
  });
});

/** The frame with both CRCs written again for its (changed) bytes. */
function reCrc(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(8, crc32(bytes.subarray(0, 8)));
  view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)));
  return bytes;
}

Deno.test("invokeEventBatches() reads padded chunks, ASCII or not, as the events they carry", async () => {
  const events = [
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "plain" } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: 'é ⚠ 😀 "q" \\ \n' } },
    { type: "message_stop" },
  ];
  const b64 = (e: unknown) => btoa(String.fromCharCode(...encoder.encode(JSON.stringify(e))));
  const frames = events.map((e, i) =>
    frame(
      { ":message-type": "event", ":event-type": "chunk" },
      i === 2
        ? JSON.stringify({ bytes: b64(e) })
        : JSON.stringify({ bytes: b64(e), p: "abcdefg".slice(0, i + 2) }),
    )
  );
  const got: unknown[] = [];
  for await (const batch of invokeEventBatches(bodyOf(...frames))) got.push(...batch);
  assert.deepEqual(got, events);
});

Deno.test("invokeEventBatches() parses a chunk in another spelling in full", async () => {
  const event = { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "x" } };
  const bytes = btoa(JSON.stringify(event));
  // Keys swapped, and whitespace: not Bedrock's own spelling, so not read by the shortcut.
  const frames = [`{"p":"abc","bytes":"${bytes}"}`, `{ "bytes": "${bytes}" }`].map((payload) =>
    frame({ ":message-type": "event", ":event-type": "chunk" }, payload)
  );
  const got: unknown[] = [];
  for await (const batch of invokeEventBatches(bodyOf(...frames))) got.push(...batch);
  assert.deepEqual(got, [event, event]);
});

Deno.test("eventStreamBatches() takes the last of two headers with one name, as the SDK's codec does", async () => {
  const bytes = codec.encode({
    headers: { ":event-type": { type: "string", value: "first" } },
    body: encoder.encode("{}"),
  });
  // A second ":event-type" header appended to the headers (the codec's headers are an object: one per name).
  const extra = codec.formatHeaders({ ":event-type": { type: "string", value: "second" } });
  const headersLength = new DataView(bytes.buffer).getUint32(4);
  const out = new Uint8Array(bytes.length + extra.length);
  out.set(bytes.subarray(0, 12 + headersLength));
  out.set(extra, 12 + headersLength);
  out.set(bytes.subarray(12 + headersLength), 12 + headersLength + extra.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, out.length);
  view.setUint32(4, headersLength + extra.length);
  const fixed = reCrc(out);
  const sdk = codec.decode(fixed).headers[":event-type"]?.value;
  const got = await decodeAll(fixed);
  assert.deepEqual(got.map(([, type]) => type), [sdk]);
  assert.equal(sdk, "second");
});

Deno.test("eventStreamBatches() rejects a header value that runs past the headers", async () => {
  const good = frame({ ":message-type": "event", ":event-type": "contentBlockDelta" }, '{"a":1}');
  const bytes = good.slice();
  // The first header's string length (after its name length, name and type tag), made longer than the
  // headers: its value would take bytes of the payload.
  const lengthAt = 12 + 1 + bytes[12]! + 1;
  new DataView(bytes.buffer).setUint16(lengthAt, 200);
  await assert.rejects(() => decodeAll(reCrc(bytes)), /header past the headers' end/);
});
