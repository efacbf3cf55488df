/**
 * What the bench sends and what its mock upstreams answer, built once: the request bodies, the OpenAI
 * and Bedrock responses (pre-encoded bytes), and the text and tool arguments every target must hand back.
 *
 * @module
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import claudeCodeRequest from "../tests/testdata/claude_code/request_basic.json" with { type: "json" };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Data lines in a streamed response: 499 JSON chunks and `[DONE]` (OpenAI), or 500 events (Bedrock). */
export const STREAM_CHUNKS = 500;
/** Tool-call argument pieces in the OpenAI stream. */
const ARG_PIECES = 96;
/** Text deltas in the OpenAI stream: 500 lines less role, tool start, args, finish, usage and [DONE]. */
const TEXT_PIECES = STREAM_CHUNKS - 1 - 1 - ARG_PIECES - 1 - 1 - 1;
/** Tool-input deltas in the Bedrock stream: 500 events less start, text, stops, tool start, stop, meta. */
const BEDROCK_ARG_PIECES = STREAM_CHUNKS - 1 - TEXT_PIECES - 1 - 1 - 1 - 1 - 1;

/** The tool every response calls (one of the Claude Code request's tools). */
export const TOOL_NAME = "Bash";
/** The tool call's id as the upstream sends it. */
export const TOOL_CALL_ID = "call_bench_0001";
/** Token usage every response reports. */
export const USAGE = { input: 14_000, output: 640 } as const;

// Multi-byte characters on purpose: a proxy that decodes chunks without `{ stream: true }` breaks them.
const WORDS = ["Reading", " the", " file", " →", " naïve", " café", " 日本語", " ✓", " done.", "\n"];

function textPieces(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`${WORDS[i % WORDS.length] ?? ""}${i % 17 === 0 ? ` #${i}` : ""}`);
  return out;
}

/** The assistant text every streamed response carries. */
export const STREAM_TEXT_PIECES: readonly string[] = textPieces(TEXT_PIECES);
/** The whole streamed text. */
export const STREAM_TEXT: string = STREAM_TEXT_PIECES.join("");
/** The assistant text of a non-streamed response. */
export const COMPLETE_TEXT: string = textPieces(120).join("");

/** The tool call's input. */
export const TOOL_INPUT = {
  command: `ls -la /work/main && grep -rn "createRelay" src/ | head -n 40 && echo "done ✓ naïve 日本"`,
  description: "List the project files and find where the relay is built, then report what was found there",
  timeout: 120000,
} as const;
/** The tool call's arguments as the upstream sends them. */
export const TOOL_ARGS: string = JSON.stringify(TOOL_INPUT);

/** Splits a string into `n` pieces of near-equal length, never inside a surrogate pair. */
function split(text: string, n: number): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(chars.slice(Math.floor(i * chars.length / n), Math.floor((i + 1) * chars.length / n)).join(""));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Requests

type Json = Record<string, unknown>;

/** The real Claude Code 2.1.332 request, streamed or not. */
export function claudeCodeBody(stream: boolean): Uint8Array {
  const body: Json = { ...(claudeCodeRequest as Json), stream };
  // Without stream the Anthropic SDK refuses max_tokens this large (it wants streaming for long requests).
  if (!stream) body.max_tokens = 8192;
  return encoder.encode(JSON.stringify(body));
}

const bashTool = (claudeCodeRequest.tools as Json[]).find((t) => t.name === TOOL_NAME);

/** A small request (one user turn, one tool), streamed or not. */
export function smallBody(stream: boolean): Uint8Array {
  return encoder.encode(JSON.stringify({
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    stream,
    messages: [{ role: "user", content: "List the files here." }],
    tools: bashTool ? [bashTool] : [],
  }));
}

// ---------------------------------------------------------------------------------------------------------
// OpenAI-compatible responses

const OPENAI_HEAD = {
  id: "chatcmpl-bench",
  object: "chat.completion.chunk",
  created: 1764100000,
  model: "mock",
};

function chunk(delta: Json, finish: string | null = null): Json {
  return { ...OPENAI_HEAD, choices: [{ index: 0, delta, finish_reason: finish }] };
}

const openAIUsage = { prompt_tokens: USAGE.input, completion_tokens: USAGE.output, total_tokens: 14_640 };

/** The 500 `data:` payloads of the OpenAI stream, `[DONE]` last. */
export function openAIStreamLines(): string[] {
  const lines: Json[] = [chunk({ role: "assistant", content: "" })];
  for (const t of STREAM_TEXT_PIECES) lines.push(chunk({ content: t }));
  lines.push(chunk({
    tool_calls: [{
      index: 0,
      id: TOOL_CALL_ID,
      type: "function",
      function: { name: TOOL_NAME, arguments: "" },
    }],
  }));
  for (const a of split(TOOL_ARGS, ARG_PIECES)) {
    lines.push(chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] }));
  }
  lines.push(chunk({}, "tool_calls"));
  lines.push({ ...OPENAI_HEAD, choices: [], usage: openAIUsage });
  const out = lines.map((l) => JSON.stringify(l));
  out.push("[DONE]");
  if (out.length !== STREAM_CHUNKS) throw new Error(`OpenAI stream: expected ${STREAM_CHUNKS} lines`);
  return out;
}

/** The OpenAI stream as SSE bytes, cut into `parts` writes (as a server flushing now and then would). */
export function openAIStreamBytes(parts: number): Uint8Array[] {
  const events = openAIStreamLines().map((l) => `data: ${l}\n\n`);
  return split2(events, parts).map((p) => encoder.encode(p.join("")));
}

function split2<T>(items: T[], parts: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < parts; i++) {
    out.push(items.slice(Math.floor(i * items.length / parts), Math.floor((i + 1) * items.length / parts)));
  }
  return out;
}

/** A non-streamed chat completion: text, one tool call, usage. */
export function openAICompletionBytes(): Uint8Array {
  return encoder.encode(JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created: 1764100000,
    model: "mock",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: COMPLETE_TEXT,
        tool_calls: [{
          id: TOOL_CALL_ID,
          type: "function",
          function: { name: TOOL_NAME, arguments: TOOL_ARGS },
        }],
      },
      finish_reason: "tool_calls",
    }],
    usage: openAIUsage,
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Bedrock responses

const codec = new EventStreamCodec((b) => decoder.decode(b), (s) => encoder.encode(s));

function frame(type: string, body: Json): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: type },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    // Bedrock pads every payload with a "p" field of random length; a fixed one keeps runs comparable.
    body: encoder.encode(JSON.stringify({ ...body, p: "abcdefghijklmnopqrstu" })),
  });
}

const bedrockUsage = { inputTokens: USAGE.input, outputTokens: USAGE.output, totalTokens: 14_640 };

/** The 500 ConverseStream frames, cut into `parts` writes. */
export function converseStreamBytes(parts: number): Uint8Array[] {
  const frames: Uint8Array[] = [frame("messageStart", { role: "assistant" })];
  for (const t of STREAM_TEXT_PIECES) {
    frames.push(frame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: t } }));
  }
  frames.push(frame("contentBlockStop", { contentBlockIndex: 0 }));
  frames.push(frame("contentBlockStart", {
    contentBlockIndex: 1,
    start: { toolUse: { toolUseId: TOOL_CALL_ID, name: TOOL_NAME } },
  }));
  for (const a of split(TOOL_ARGS, BEDROCK_ARG_PIECES)) {
    frames.push(frame("contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: a } } }));
  }
  frames.push(frame("contentBlockStop", { contentBlockIndex: 1 }));
  frames.push(frame("messageStop", { stopReason: "tool_use" }));
  frames.push(frame("metadata", { usage: bedrockUsage, metrics: { latencyMs: 42 } }));
  if (frames.length !== STREAM_CHUNKS) throw new Error(`Bedrock stream: expected ${STREAM_CHUNKS} frames`);
  return split2(frames, parts).map(concat);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A Converse response: text, one tool use, usage. */
export function converseBytes(): Uint8Array {
  return encoder.encode(JSON.stringify({
    output: {
      message: {
        role: "assistant",
        content: [{ text: COMPLETE_TEXT }, {
          toolUse: { toolUseId: TOOL_CALL_ID, name: TOOL_NAME, input: TOOL_INPUT },
        }],
      },
    },
    stopReason: "tool_use",
    usage: bedrockUsage,
    metrics: { latencyMs: 42 },
  }));
}
