/**
 * OpenAI Chat Completions response -> Anthropic message (protocol.md 9.3).
 *
 * Reasoning that a provider needs back on later turns (DeepSeek `reasoning_content`, OpenRouter
 * `reasoning_details`, Gemini thought signatures) travels to the client inside a relayx thinking
 * signature; the request translator (`_openai_messages.ts`) restores it. The pieces the stream translator
 * shares live in `_openai_usage.ts`, `_openai_tool_use.ts`, `_think_tags.ts` and `_reasoning_carry.ts`.
 *
 * @module
 */
import type { MessageResponse, ResponseBlock } from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import type { IdSource } from "../id_source.ts";
import { isRecord, rec, str } from "../_json.ts";
import { assistantMessage } from "../message.ts";
import { type CarriedReasoning, encodeSignature } from "../signature.ts";
import type { ToolNameMap } from "../tool_names.ts";
import { fromOpenAIErrorChunk } from "./openai_errors.ts";
import type { ProviderProfile, ReasoningStyle } from "./providers.ts";
import { estimatedUsage, stopReasonFromOpenAI, usageFromOpenAI } from "./_openai_usage.ts";
import { parseToolArguments, toolUseId } from "./_openai_tool_use.ts";
import { detailsText, thoughtSignatureOf } from "./_reasoning_carry.ts";
import { splitThinkTags } from "./_think_tags.ts";

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

/**
 * Translates a non-stream OpenAI Chat Completions body into an Anthropic message.
 *
 * @throws {RelayError} `api_error` when the body is not a chat completion; the mapped upstream error when
 * it is an `{error: {...}}` body.
 *
 * @example
 * ```ts
 * import { PROVIDERS, toolNameMap } from "@relayx/server/translate";
 *
 * const completion = {
 *   choices: [{ message: { role: "assistant", content: "Hello!" }, finish_reason: "stop" }],
 *   usage: { prompt_tokens: 12, completion_tokens: 3 },
 * };
 * const message = fromOpenAIResponse(completion, {
 *   model: "claude-sonnet-4-5",
 *   messageId: "msg_1",
 *   ids: { messageId: () => "msg_1", toolUseId: () => `toolu_${crypto.randomUUID()}` },
 *   names: toolNameMap([]),
 *   provider: PROVIDERS.openai,
 *   thinkingDisplay: "off",
 *   inputEstimate: 12,
 *   warn: console.warn,
 * });
 * console.log(message.content); // [{ type: "text", text: "Hello!" }]
 * ```
 */
export function fromOpenAIResponse(body: unknown, opts: FromOpenAIOptions): MessageResponse {
  const completion = rec(body);
  if (completion?.error !== undefined && completion.error !== null && completion.choices === undefined) {
    throw fromOpenAIErrorChunk(completion, {
      estimate: opts.inputEstimate,
      window: opts.contextWindow ?? opts.inputEstimate,
    });
  }
  const choices = completion?.choices;
  const choice = rec(Array.isArray(choices) ? choices[0] : undefined);
  const message = rec(choice?.message);
  if (choice === undefined || message === undefined) {
    throw new RelayError("api_error", "Upstream returned a response that is not a chat completion");
  }
  const display = opts.thinkingDisplay;
  let text = contentText(message.content);
  const details = Array.isArray(message.reasoning_details) && message.reasoning_details.length > 0
    ? message.reasoning_details
    : undefined;
  const inline = splitThinkTags(text);
  if (inline !== undefined) text = inline.text;
  const reasoning = reasoningOf(message, details, inline?.thinking);

  const toolUses: ResponseBlock[] = [];
  const signatures: Record<string, string> = {};
  const argChars = readToolCalls(message.tool_calls, opts, toolUses, signatures);
  const toolCalls = toolUses.length > 0;
  const payload: CarriedReasoning = {};
  const must = fillCarry(
    payload,
    opts.provider.reasoning,
    display,
    reasoning,
    toolCalls,
    details,
    signatures,
  );

  const content: ResponseBlock[] = [];
  if (display === "off" ? must : reasoning !== "" || !isEmpty(payload)) {
    content.push({
      type: "thinking",
      thinking: display === "summarized" ? reasoning : "",
      signature: encodeSignature(opts.provider.name, payload),
    });
  }
  if (text !== "") content.push({ type: "text", text });
  const refusal = str(message.refusal);
  if (refusal) content.push({ type: "text", text: refusal });
  content.push(...toolUses);

  const usage = usageFromOpenAI(completion?.usage) ??
    estimatedUsage(opts, text.length + reasoning.length + (refusal?.length ?? 0) + argChars);
  const stop_reason = stopReasonFromOpenAI(choice.finish_reason, toolCalls, Boolean(refusal));
  return assistantMessage(opts, content, { stop_reason, stop_sequence: null }, {
    ...usage,
    service_tier: "standard",
  });
}

/** A message's `content` as text (some servers return it as parts). */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content) if (isRecord(part) && typeof part.text === "string") text += part.text;
  return text;
}

/** The reasoning field (whichever name the provider uses), then the reasoning inline tags held. */
function reasoningOf(
  message: Record<string, unknown>,
  details: unknown[] | undefined,
  inline: string | undefined,
): string {
  const field = str(message.reasoning_content) || str(message.reasoning) ||
    (details ? detailsText(details) : "");
  if (!inline) return field;
  return field === "" ? inline : `${field}\n\n${inline}`;
}

/**
 * Appends the message's tool calls to `into` as tool_use blocks and their thought signatures to
 * `signatures`; returns the number of argument characters (for a usage estimate).
 */
function readToolCalls(
  raw: unknown,
  opts: FromOpenAIOptions,
  into: ResponseBlock[],
  signatures: Record<string, string>,
): number {
  const used = new Set<string>();
  let argChars = 0;
  for (const call of Array.isArray(raw) ? raw : []) {
    if (!isRecord(call) || !isRecord(call.function)) continue;
    const name = str(call.function.name);
    if (!name) {
      opts.warn("A tool call without a name was dropped");
      continue;
    }
    const id = toolUseId(str(call.id), used, opts.ids);
    const args = call.function.arguments;
    argChars += typeof args === "string" ? args.length : 0;
    const tool = opts.names.fromUpstream(name);
    into.push({ type: "tool_use", id, name: tool, input: parseToolArguments(args, tool, opts.warn) });
    const signature = thoughtSignatureOf(call);
    if (signature !== undefined) signatures[id] = signature;
  }
  return argChars;
}

/**
 * Puts into `payload` what the provider needs back on later turns; returns whether it must travel even
 * if the client asked for no thinking (display "off").
 */
function fillCarry(
  payload: CarriedReasoning,
  style: ReasoningStyle,
  display: FromOpenAIOptions["thinkingDisplay"],
  reasoning: string,
  toolCalls: boolean,
  details: unknown[] | undefined,
  signatures: Record<string, string>,
): boolean {
  switch (style) {
    case "deepseek":
      // DeepSeek wants a tool-call turn's reasoning back; shown thinking text is restored from the block.
      if (!toolCalls || reasoning === "") return false;
      if (display !== "summarized") payload.reasoning = reasoning;
      return true;
    case "vllm":
      if (display === "omitted" && reasoning !== "") payload.reasoning = reasoning;
      return false;
    case "openrouter":
      if (details === undefined) return false;
      payload.details = details;
      return toolCalls;
    case "gemini":
      if (Object.keys(signatures).length === 0) return false;
      payload.thoughtSignatures = signatures;
      return true;
    case "openai":
    case "ollama":
    case "generic":
      return false;
    default: {
      const never: never = style;
      throw new Error(`Unknown reasoning style: ${String(never)}`);
    }
  }
}

function isEmpty(payload: CarriedReasoning): boolean {
  return payload.reasoning === undefined && payload.details === undefined &&
    payload.thoughtSignatures === undefined;
}
