/**
 * Correctness checks on one response of each kind, so that a broken path cannot look fast: the Anthropic
 * event grammar (relayx, peer) or valid OpenAI chunks (direct, pass-through, PARSE), and in both the text
 * and the tool arguments reassembled exactly. Each returns the problems found (none: correct).
 *
 * @module
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { COMPLETE_TEXT, STREAM_TEXT, TOOL_ARGS, TOOL_INPUT, TOOL_NAME, USAGE } from "./fixtures.ts";

type Json = Record<string, unknown>;

const decoder = new TextDecoder();

function rec(v: unknown): Json | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v as Json : undefined;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    const r = rec(v);
    if (!r) return v;
    return Object.fromEntries(Object.keys(r).sort().map((k) => [k, sort(r[k])]));
  };
  return JSON.stringify(sort(a)) === JSON.stringify(sort(b));
}

function argsProblem(args: string, where: string): string | undefined {
  if (args === TOOL_ARGS) return undefined;
  return sameJson(parse(args), TOOL_INPUT)
    ? undefined // Re-serialized but equal: the tool gets the same input.
    : `${where}: tool arguments do not reassemble (${args.length} chars, expected ${TOOL_ARGS.length})`;
}

function textProblem(text: string, expected: string, where: string): string | undefined {
  if (text === expected) return undefined;
  let i = 0;
  while (i < text.length && text[i] === expected[i]) i++;
  return `${where}: text differs at char ${i} (${JSON.stringify(text.slice(i, i + 12))} vs ${
    JSON.stringify(expected.slice(i, i + 12))
  }, ${text.length} vs ${expected.length} chars)`;
}

/** Checks an OpenAI chat-completion SSE body: every chunk valid, text, tool call, finish, usage, [DONE]. */
export function checkOpenAIStream(body: Uint8Array): string[] {
  const problems: string[] = [];
  const lines = decoder.decode(body).split("\n").filter((l) => l.startsWith("data:"));
  let text = "";
  let args = "";
  let name = "";
  let finish: unknown;
  let usage: Json | undefined;
  let done = false;
  for (const [i, line] of lines.entries()) {
    const data = line.slice(5).trim();
    if (data === "[DONE]") {
      done = i === lines.length - 1;
      continue;
    }
    const chunk = rec(parse(data));
    if (!chunk || chunk.object !== "chat.completion.chunk" || !Array.isArray(chunk.choices)) {
      problems.push(`line ${i}: not a chat.completion.chunk`);
      continue;
    }
    if (rec(chunk.usage)) usage = rec(chunk.usage);
    const choice = rec(chunk.choices[0]);
    if (!choice) continue;
    if (choice.finish_reason) finish = choice.finish_reason;
    const delta = rec(choice.delta);
    if (typeof delta?.content === "string") text += delta.content;
    const call = rec(Array.isArray(delta?.tool_calls) ? delta.tool_calls[0] : undefined);
    const fn = rec(call?.function);
    if (typeof fn?.name === "string") name += fn.name;
    if (typeof fn?.arguments === "string") args += fn.arguments;
  }
  if (lines.length !== 500) problems.push(`${lines.length} data lines, expected 500`);
  if (!done) problems.push("no final [DONE]");
  if (finish !== "tool_calls") problems.push(`finish_reason ${String(finish)}`);
  if (usage?.completion_tokens !== USAGE.output) problems.push("no usage chunk");
  if (name !== TOOL_NAME) problems.push(`tool name "${name}"`);
  const t = textProblem(text, STREAM_TEXT, "stream");
  if (t) problems.push(t);
  const a = argsProblem(args, "stream");
  if (a) problems.push(a);
  return problems;
}

/** Checks an OpenAI chat completion. */
export function checkOpenAICompletion(body: Uint8Array): string[] {
  const problems: string[] = [];
  const c = rec(parse(decoder.decode(body)));
  const choice = rec(Array.isArray(c?.choices) ? c.choices[0] : undefined);
  const message = rec(choice?.message);
  if (!message) return ["not a chat completion"];
  const t = textProblem(typeof message.content === "string" ? message.content : "", COMPLETE_TEXT, "message");
  if (t) problems.push(t);
  const call = rec(Array.isArray(message.tool_calls) ? message.tool_calls[0] : undefined);
  const fn = rec(call?.function);
  if (fn?.name !== TOOL_NAME) problems.push("no tool call");
  const a = argsProblem(typeof fn?.arguments === "string" ? fn.arguments : "", "message");
  if (a) problems.push(a);
  if (choice?.finish_reason !== "tool_calls") problems.push(`finish_reason ${String(choice?.finish_reason)}`);
  if (rec(c?.usage)?.completion_tokens !== USAGE.output) problems.push("usage missing");
  return problems;
}

/** Parses an Anthropic SSE body into `[event name, data]` pairs. */
function anthropicEvents(text: string): { name: string; data: Json | undefined }[] {
  const out: { name: string; data: Json | undefined }[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (!block.trim()) continue;
    let name = "";
    let data = "";
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(5).trim();
    }
    out.push({ name, data: rec(parse(data)) });
  }
  return out;
}

/**
 * Checks an Anthropic Messages SSE body: message_start first, content blocks opened with contiguous
 * indexes from 0 and closed before the next opens, deltas only to the open block, message_delta after
 * the last block, message_stop last; then the text, the tool_use block and its arguments.
 */
export function checkAnthropicStream(body: Uint8Array): string[] {
  const problems: string[] = [];
  const events = anthropicEvents(decoder.decode(body));
  let phase: "start" | "blocks" | "delta" | "stop" = "start";
  let next = 0;
  let open = -1;
  let text = "";
  let args = "";
  let tool: Json | undefined;
  let stopReason: unknown;
  let blockType = "";
  for (const [i, { name, data }] of events.entries()) {
    const bad = (why: string) => problems.push(`event ${i} (${name}): ${why}`);
    if (!data || data.type !== name) {
      bad("data missing or its type differs from the event name");
      continue;
    }
    if (name === "ping") continue;
    if (name === "error") {
      bad(`error event: ${JSON.stringify(data.error).slice(0, 200)}`);
      continue;
    }
    switch (name) {
      case "message_start":
        if (phase !== "start") bad("message_start not first");
        if (rec(data.message)?.role !== "assistant") bad("no assistant message");
        phase = "blocks";
        break;
      case "content_block_start": {
        if (phase !== "blocks") bad("block outside the message");
        if (open >= 0) bad(`block ${String(data.index)} opened while ${open} is open`);
        if (data.index !== next) bad(`index ${String(data.index)}, expected ${next}`);
        open = next++;
        const block = rec(data.content_block);
        blockType = String(block?.type);
        if (blockType === "tool_use") {
          if (tool) bad("a second tool_use block");
          tool = block;
        }
        break;
      }
      case "content_block_delta": {
        if (data.index !== open) bad(`delta to ${String(data.index)} while ${open} is open`);
        const d = rec(data.delta);
        if (d?.type === "text_delta" && blockType === "text") text += String(d.text);
        else if (d?.type === "input_json_delta" && blockType === "tool_use") args += String(d.partial_json);
        else if (d?.type !== "thinking_delta" && d?.type !== "signature_delta") {
          bad(`${String(d?.type)} in a ${blockType} block`);
        }
        break;
      }
      case "content_block_stop":
        if (data.index !== open) bad(`stop of ${String(data.index)} while ${open} is open`);
        open = -1;
        break;
      case "message_delta":
        if (phase !== "blocks" || open >= 0) bad("message_delta before the blocks are closed");
        stopReason = rec(data.delta)?.stop_reason;
        if (typeof rec(data.usage)?.output_tokens !== "number") bad("no output_tokens");
        phase = "delta";
        break;
      case "message_stop":
        if (phase !== "delta") bad("message_stop without message_delta");
        phase = "stop";
        break;
      default:
        bad("unknown event");
    }
  }
  if (phase !== "stop") problems.push(`stream ended in phase ${phase}`);
  if (stopReason !== "tool_use") problems.push(`stop_reason ${String(stopReason)}`);
  if (tool?.name !== TOOL_NAME) problems.push("no tool_use block");
  const t = textProblem(text, STREAM_TEXT, "stream");
  if (t) problems.push(t);
  const a = argsProblem(args, "stream");
  if (a) problems.push(a);
  return problems.slice(0, 8);
}

/** Checks an Anthropic message. */
export function checkAnthropicMessage(body: Uint8Array): string[] {
  const problems: string[] = [];
  const m = rec(parse(decoder.decode(body)));
  if (m?.type !== "message" || !Array.isArray(m.content)) return ["not a message"];
  const blocks = m.content.map(rec);
  const text = blocks.filter((b) => b?.type === "text").map((b) => String(b?.text)).join("");
  const t = textProblem(text, COMPLETE_TEXT, "message");
  if (t) problems.push(t);
  const tool = blocks.find((b) => b?.type === "tool_use");
  if (tool?.name !== TOOL_NAME) problems.push("no tool_use block");
  else if (!sameJson(tool.input, TOOL_INPUT)) problems.push("tool input differs");
  if (m.stop_reason !== "tool_use") problems.push(`stop_reason ${String(m.stop_reason)}`);
  if (rec(m.usage)?.output_tokens !== USAGE.output) problems.push("usage missing");
  return problems;
}

const codec = new EventStreamCodec((b) => decoder.decode(b), (s) => new TextEncoder().encode(s));

/** Checks a Converse response: the text, the tool use with its input, `tool_use` and the usage. */
export function checkConverse(body: Uint8Array): string[] {
  const msg = rec(parse(decoder.decode(body)));
  if (!msg) return ["body is not a JSON object"];
  const problems: string[] = [];
  const content = rec(rec(msg.output)?.message)?.content;
  const blocks = Array.isArray(content) ? content.map(rec) : [];
  const text = blocks.map((b) => typeof b?.text === "string" ? b.text : "").join("");
  const t = textProblem(text, COMPLETE_TEXT, "text");
  if (t) problems.push(t);
  const tool = blocks.map((b) => rec(b?.toolUse)).find((u) => u !== undefined);
  if (tool?.name !== TOOL_NAME) problems.push(`tool use: name ${JSON.stringify(tool?.name)}`);
  if (!sameJson(tool?.input, TOOL_INPUT)) problems.push("tool use: input differs");
  if (msg.stopReason !== "tool_use") problems.push(`stopReason ${JSON.stringify(msg.stopReason)}`);
  if (rec(msg.usage)?.inputTokens !== USAGE.input) problems.push("usage: inputTokens missing or wrong");
  return problems;
}

/**
 * Checks a ConverseStream body: every frame decodes (lengths and CRCs) with a JSON payload, the text and
 * the tool input reassemble, and it ends with `messageStop` (`tool_use`) and `metadata`.
 */
export function checkConverseStream(body: Uint8Array): string[] {
  const problems: string[] = [];
  const types: string[] = [];
  let text = "";
  let args = "";
  let stop: unknown;
  let at = 0;
  while (at < body.length) {
    if (body.length - at < 4) return [...problems, `trailing ${body.length - at} bytes`];
    const total = new DataView(body.buffer, body.byteOffset + at, 4).getUint32(0);
    let event: Json | undefined;
    let type: unknown;
    try {
      const m = codec.decode(body.subarray(at, at + total));
      type = m.headers[":event-type"]?.value;
      event = rec(parse(decoder.decode(m.body)));
    } catch (err) {
      return [...problems, `frame ${types.length}: ${err instanceof Error ? err.message : String(err)}`];
    }
    at += total;
    if (typeof type !== "string" || !event) {
      problems.push(`frame ${types.length}: no event type or no JSON payload`);
      continue;
    }
    types.push(type);
    const delta = rec(event.delta);
    if (typeof delta?.text === "string") text += delta.text;
    const input = rec(delta?.toolUse)?.input;
    if (typeof input === "string") args += input;
    if (type === "messageStop") stop = event.stopReason;
  }
  const t = textProblem(text, STREAM_TEXT, "text");
  if (t) problems.push(t);
  const a = argsProblem(args, "tool use");
  if (a) problems.push(a);
  if (stop !== "tool_use") problems.push(`stopReason ${JSON.stringify(stop)}`);
  if (types.at(-1) !== "metadata") problems.push(`last event ${JSON.stringify(types.at(-1))}, not metadata`);
  return problems;
}
