/**
 * OpenAI Chat Completions response -> Anthropic message (protocol.md 9.3), plus the pieces the stream
 * translator shares: usage, stop reasons, tool-argument repair and inline `<think>` splitting.
 *
 * Reasoning that a provider needs back on later turns (DeepSeek `reasoning_content`, OpenRouter
 * `reasoning_details`, Gemini thought signatures) travels to the client inside a relayx thinking
 * signature; `to_openai.ts` restores it.
 *
 * @module
 */
import type { MessageResponse, ResponseBlock, StopReason, Usage } from "../../anthropic/types.ts";
import type { IdSource } from "../id_source.ts";
import { RelayError } from "../../errors.ts";
import { fromOpenAIErrorChunk } from "./openai_errors.ts";
import type { ProviderProfile } from "./providers.ts";
import { type CarriedReasoning, encodeSignature } from "../signature.ts";
import { safeIdentifier, type ToolNameMap } from "../tool_names.ts";

/** Options for {@linkcode fromOpenAIResponse} and `fromOpenAIStream`. */
export interface FromOpenAIOptions {
  /** The model name the client requested, echoed back. */
  model: string;
  /** The id of the message. */
  messageId: string;
  /** Tool-use ids for calls that come without one. */
  ids: IdSource;
  /** Restores tool names that were aliased on the way up. */
  names: ToolNameMap;
  /** The provider's quirks. */
  provider: ProviderProfile;
  /** What the client asked for: thinking text, empty thinking blocks, or no thinking at all. */
  thinkingDisplay: "summarized" | "omitted" | "off";
  /** relayx's estimate of the prompt's tokens (used when the upstream reports no usage). */
  inputEstimate: number;
  /** The model's context window, for overflow errors that arrive in a 200 body or stream. */
  contextWindow?: number;
  /** Records something dropped or changed. */
  warn(message: string): void;
}

/** True for plain objects (the shape every JSON object parses to). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * Anthropic usage from an OpenAI `usage` object; `undefined` when it holds no counts.
 *
 * `input_tokens` excludes cached tokens (Anthropic's meaning): `prompt_tokens - cached - cache_write`, or
 * DeepSeek's `prompt_cache_miss_tokens`. Output is `completion_tokens`, or `total - prompt` where that is
 * larger (Gemini leaves thought tokens out of `completion_tokens` but not out of the total).
 *
 * @example
 * ```ts
 * usageFromOpenAI({ prompt_tokens: 100, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 60 } });
 * // { input_tokens: 40, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 60 }
 * ```
 */
export function usageFromOpenAI(raw: unknown): Usage | undefined {
  if (!isRecord(raw)) return undefined;
  const prompt = num(raw.prompt_tokens);
  const completion = num(raw.completion_tokens);
  if (prompt === undefined && completion === undefined) return undefined;
  const promptDetails = isRecord(raw.prompt_tokens_details) ? raw.prompt_tokens_details : {};
  const completionDetails = isRecord(raw.completion_tokens_details) ? raw.completion_tokens_details : {};
  const cached = num(promptDetails.cached_tokens) ?? num(raw.prompt_cache_hit_tokens) ?? 0;
  const written = num(promptDetails.cache_write_tokens) ?? 0;
  const input = num(raw.prompt_cache_miss_tokens) ?? Math.max(0, (prompt ?? 0) - cached - written);
  const total = num(raw.total_tokens);
  const output = Math.max(completion ?? 0, total !== undefined && prompt !== undefined ? total - prompt : 0);
  const usage: Usage = {
    input_tokens: input,
    output_tokens: output,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
  };
  const reasoning = num(completionDetails.reasoning_tokens);
  if (reasoning !== undefined && reasoning > 0) usage.output_tokens_details = { thinking_tokens: reasoning };
  return usage;
}

/**
 * The Anthropic stop reason for an OpenAI `finish_reason`.
 *
 * Emitted tool calls make it `tool_use` whatever the upstream said (Gemini and Ollama say `stop`), except
 * after `length`; a refusal without tool calls is `refusal`.
 *
 * @example
 * ```ts
 * stopReasonFromOpenAI("stop", true, false); // "tool_use"
 * ```
 */
export function stopReasonFromOpenAI(finish: unknown, toolCalls: boolean, refusal: boolean): StopReason {
  let reason: StopReason;
  switch (finish) {
    case "length":
      reason = "max_tokens";
      break;
    case "tool_calls":
    case "function_call":
      reason = "tool_use";
      break;
    case "content_filter":
      reason = "refusal";
      break;
    default:
      // "stop", null, a missing value and the unknown values of other servers all mean a normal end.
      reason = "end_turn";
  }
  if (toolCalls && reason !== "max_tokens") return "tool_use";
  if (refusal) return "refusal";
  // A `tool_calls` finish with no usable call would leave the client waiting for a tool that never runs.
  return reason === "tool_use" ? "end_turn" : reason;
}

/** Closes what a truncated or sloppy JSON text left open; `undefined` when that does not make it parse. */
function repairJson(text: string): unknown {
  let s = text.trim();
  const fence = s.match(/^```(?:json)?\s*([\s\S]*?)\s*(?:```)?$/);
  if (fence?.[1] !== undefined) s = fence[1];
  const closers: string[] = [];
  let inString = false;
  let escape = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (escape) escape = false;
      else if (c === "\\") escape = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") closers.push("}");
    else if (c === "[") closers.push("]");
    else if (c === "}" || c === "]") closers.pop();
  }
  if (inString) s += escape ? '\\"' : '"';
  s = s.replace(/[\s,:]+$/, "");
  s += closers.reverse().join("");
  s = s.replace(/,\s*([}\]])/g, "$1");
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/**
 * A tool call's `arguments` as an Anthropic `input` object. Objects pass through; strings are parsed (also
 * double-encoded ones); broken JSON gets a light repair (code fences, trailing commas, unclosed brackets);
 * anything else becomes `{}` with a warning.
 *
 * @example
 * ```ts
 * parseToolArguments('{"path": "a.ts",', "Read", console.warn); // { path: "a.ts" } (and a warning)
 * ```
 */
export function parseToolArguments(
  args: unknown,
  tool: string,
  warn: (message: string) => void,
): Record<string, unknown> {
  if (isRecord(args)) return args;
  if (typeof args !== "string" || args.trim() === "") return {};
  try {
    let parsed: unknown = JSON.parse(args);
    if (typeof parsed === "string") parsed = JSON.parse(parsed);
    if (isRecord(parsed)) return parsed;
  } catch {
    const repaired = repairJson(args);
    if (isRecord(repaired)) {
      warn(`Repaired malformed JSON arguments of a ${tool} tool call`);
      return repaired;
    }
  }
  warn(`Unreadable arguments of a ${tool} tool call were replaced with {}`);
  return {};
}

const THINK_TAGS = [["<think>", "</think>"], ["<thought>", "</thought>"]] as const;

/**
 * Splits reasoning that a model wrote inline at the start of its content (`<think>...</think>`,
 * Gemini's `<thought>...</thought>`) from the answer; `undefined` when the content starts otherwise.
 * An unclosed tag (output cut short) makes all of it reasoning.
 *
 * @example
 * ```ts
 * splitThinkTags("<think>\nhmm\n</think>\n\nHi"); // { thinking: "hmm", text: "Hi" }
 * ```
 */
export function splitThinkTags(content: string): { thinking: string; text: string } | undefined {
  const start = content.trimStart();
  for (const [open, close] of THINK_TAGS) {
    if (!start.startsWith(open)) continue;
    const end = start.indexOf(close, open.length);
    if (end < 0) return { thinking: start.slice(open.length).trim(), text: "" };
    return {
      thinking: start.slice(open.length, end).trim(),
      text: start.slice(end + close.length).trimStart(),
    };
  }
  return undefined;
}

/** The readable text inside OpenRouter `reasoning_details` (encrypted items have none). */
export function detailsText(details: readonly unknown[]): string {
  let text = "";
  for (const d of details) {
    if (!isRecord(d)) continue;
    if (d.type === "reasoning.text" && typeof d.text === "string") text += d.text;
    else if (d.type === "reasoning.summary" && typeof d.summary === "string") text += d.summary;
  }
  return text;
}

/** Gemini's thought signature on a tool call (`extra_content.google.thought_signature`), if any. */
export function thoughtSignatureOf(toolCall: Record<string, unknown>): string | undefined {
  const extra = toolCall.extra_content;
  if (!isRecord(extra) || !isRecord(extra.google)) return undefined;
  const sig = extra.google.thought_signature;
  return typeof sig === "string" && sig !== "" ? sig : undefined;
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  // Some servers return content as parts.
  let text = "";
  for (const part of content) if (isRecord(part) && typeof part.text === "string") text += part.text;
  return text;
}

function isEmpty(payload: CarriedReasoning): boolean {
  return payload.reasoning === undefined && payload.details === undefined &&
    payload.thoughtSignatures === undefined;
}

/**
 * Translates a non-stream OpenAI Chat Completions body into an Anthropic message.
 *
 * @throws {RelayError} `api_error` when the body is not a chat completion; the mapped upstream error when
 * it is an `{error: {...}}` body.
 *
 * @example
 * ```ts
 * const message = fromOpenAIResponse(await response.json(), {
 *   model: "claude-sonnet-4-5", messageId: ids.messageId(), ids, names, provider: PROVIDERS.openai,
 *   thinkingDisplay: "off", inputEstimate: 1200, warn: ctx.warn,
 * });
 * ```
 */
export function fromOpenAIResponse(body: unknown, opts: FromOpenAIOptions): MessageResponse {
  if (isRecord(body) && body.error !== undefined && body.error !== null && body.choices === undefined) {
    throw fromOpenAIErrorChunk(body, {
      estimate: opts.inputEstimate,
      window: opts.contextWindow ?? opts.inputEstimate,
    });
  }
  const choices = isRecord(body) ? body.choices : undefined;
  const choice = Array.isArray(choices) ? choices[0] : undefined;
  const message = isRecord(choice) ? choice.message : undefined;
  if (!isRecord(choice) || !isRecord(message)) {
    throw new RelayError("api_error", "Upstream returned a response that is not a chat completion");
  }
  const provider = opts.provider;
  const display = opts.thinkingDisplay;

  let text = contentText(message.content);
  const details = Array.isArray(message.reasoning_details) && message.reasoning_details.length > 0
    ? message.reasoning_details
    : undefined;
  const reasonings: string[] = [];
  const field = str(message.reasoning_content) || str(message.reasoning) ||
    (details ? detailsText(details) : "");
  if (field !== "") reasonings.push(field);
  const inline = splitThinkTags(text);
  if (inline !== undefined) {
    if (inline.thinking !== "") reasonings.push(inline.thinking);
    text = inline.text;
  }
  const reasoning = reasonings.join("\n\n");

  const toolUses: ResponseBlock[] = [];
  const signatures: Record<string, string> = {};
  const used = new Set<string>();
  let argChars = 0;
  for (const raw of Array.isArray(message.tool_calls) ? message.tool_calls : []) {
    if (!isRecord(raw) || !isRecord(raw.function)) continue;
    const name = str(raw.function.name);
    if (!name) {
      opts.warn("A tool call without a name was dropped");
      continue;
    }
    const upstreamId = str(raw.id);
    let id = upstreamId ? safeIdentifier(upstreamId) : opts.ids.toolUseId();
    if (used.has(id)) id = opts.ids.toolUseId();
    used.add(id);
    const args = raw.function.arguments;
    argChars += typeof args === "string" ? args.length : 0;
    const tool = opts.names.fromUpstream(name);
    toolUses.push({ type: "tool_use", id, name: tool, input: parseToolArguments(args, tool, opts.warn) });
    const signature = thoughtSignatureOf(raw);
    if (signature !== undefined) signatures[id] = signature;
  }
  const toolCalls = toolUses.length > 0;

  // What the provider needs back on later turns, and whether it must travel even if the client asked
  // for no thinking (display "off").
  const payload: CarriedReasoning = {};
  let must = false;
  switch (provider.reasoning) {
    case "deepseek":
      // DeepSeek wants a tool-call turn's reasoning back; shown thinking text is restored from the block.
      if (toolCalls && reasoning !== "") {
        if (display !== "summarized") payload.reasoning = reasoning;
        must = true;
      }
      break;
    case "vllm":
      if (display === "omitted" && reasoning !== "") payload.reasoning = reasoning;
      break;
    case "openrouter":
      if (details) {
        payload.details = details;
        must = toolCalls;
      }
      break;
    case "gemini":
      if (Object.keys(signatures).length > 0) {
        payload.thoughtSignatures = signatures;
        must = true;
      }
      break;
    case "openai":
    case "ollama":
    case "generic":
      break;
    default: {
      const never: never = provider.reasoning;
      throw new Error(`Unknown reasoning style: ${String(never)}`);
    }
  }

  const content: ResponseBlock[] = [];
  const keepThinking = display === "off" ? must : reasoning !== "" || !isEmpty(payload);
  if (keepThinking) {
    content.push({
      type: "thinking",
      thinking: display === "summarized" ? reasoning : "",
      signature: encodeSignature(provider.name, payload),
    });
  }
  if (text !== "") content.push({ type: "text", text });
  const refusal = str(message.refusal);
  if (refusal) content.push({ type: "text", text: refusal });
  content.push(...toolUses);

  let usage = usageFromOpenAI(isRecord(body) ? body.usage : undefined);
  if (usage === undefined) {
    opts.warn("Upstream reported no token usage: counts are estimates");
    const chars = text.length + reasoning.length + (refusal?.length ?? 0) + argChars;
    usage = {
      input_tokens: opts.inputEstimate,
      output_tokens: Math.ceil(chars / 4),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
  }
  return {
    id: opts.messageId,
    type: "message",
    role: "assistant",
    model: opts.model,
    content,
    stop_reason: stopReasonFromOpenAI(choice.finish_reason, toolCalls, Boolean(refusal)),
    stop_sequence: null,
    usage: { ...usage, service_tier: "standard" },
  };
}
