/**
 * The message list of an OpenAI Chat Completions request: Anthropic system text, user turns (tool results
 * first, as `tool` messages) and assistant turns (with the reasoning a provider needs back, restored from
 * relayx's thinking signatures), merged and ordered as OpenAI requires.
 *
 * @module
 */
import type { Message, MessagesRequest, TextBlock, ToolUseBlock } from "../../anthropic/types.ts";
import { foreignBlockText, isForeignBlock } from "../foreign_blocks.ts";
import { isServerToolBlock } from "../prepare.ts";
import { decodeSignature } from "../signature.ts";
import { safeIdentifier } from "../tool_names.ts";
import type {
  OpenAIAssistantMessage,
  OpenAIContentPart,
  OpenAIMessage,
  OpenAITextPart,
  OpenAIToolCall,
} from "./openai_types.ts";
import {
  cacheOf,
  collapse,
  type PartContext,
  systemBlocks,
  textPart,
  toolResultContent,
  userParts,
} from "./_openai_parts.ts";

// Gemini 3 rejects tool calls in history without a thought signature; this documented value skips the
// check for history Gemini did not produce (another backend, or a signature lost on the way).
const GEMINI_SKIP_SIGNATURE = "skip_thought_signature_validator";

/** What translating the messages needs. */
export interface MessageContext extends PartContext {
  /** Whether the model thinks in this request (DeepSeek wants reasoning back on tool-call turns then). */
  readonly thinkingOn: boolean;
}

/**
 * The request's system text and messages as OpenAI messages; `systemRole` is the role system text takes.
 *
 * @throws {RelayError} 400 for content the provider cannot take, naming the block's path.
 */
export function openAIMessages(
  req: MessagesRequest,
  ctx: MessageContext,
  systemRole: "system" | "developer",
): OpenAIMessage[] {
  const conv = new Conversation(systemRole, ctx.provider.laterSystemMessages);
  const leading: TextBlock[] = [...(req.system ?? [])];
  let i = 0;
  // System turns before the first user/assistant turn are part of the leading system message.
  for (; i < req.messages.length && req.messages[i]?.role === "system"; i++) {
    leading.push(...systemBlocks(req.messages[i]?.content ?? [], ctx));
  }
  const system = systemText(leading, ctx);
  if (system !== undefined) conv.messages.push({ role: systemRole, content: collapse(system) });
  for (; i < req.messages.length; i++) {
    const message = req.messages[i];
    if (message === undefined) continue;
    switch (message.role) {
      case "system": {
        const parts = systemText(systemBlocks(message.content, ctx), ctx);
        if (parts !== undefined) conv.system(parts);
        break;
      }
      case "user":
        userTurn(message, i, conv, ctx);
        break;
      case "assistant":
        assistantTurn(message, conv, ctx);
        break;
      default: {
        const never: never = message.role;
        throw new Error(`Unknown role: ${String(never)}`);
      }
    }
  }
  return conv.finish();
}

/** Builds the message list, merging and ordering as OpenAI requires. */
class Conversation {
  readonly messages: OpenAIMessage[] = [];
  /** User parts being collected for the current user message (consecutive user content merges). */
  #user: OpenAIContentPart[] | undefined;
  /** System text held back: tool messages must directly follow the assistant turn that called the tools. */
  #held: OpenAITextPart[][] = [];

  /**
   * @param systemRole The role system text takes (`developer` for OpenAI reasoning models).
   * @param laterSystem Whether the provider takes system messages after the first.
   */
  constructor(readonly systemRole: "system" | "developer", readonly laterSystem: boolean) {}

  #flushUser(): void {
    if (this.#user === undefined) return;
    if (this.#user.length > 0) this.messages.push({ role: "user", content: collapse(this.#user) });
    this.#user = undefined;
  }

  #flushHeld(): void {
    const held = this.#held;
    this.#held = [];
    for (const parts of held) this.#emitSystem(parts);
  }

  #emitSystem(parts: OpenAITextPart[]): void {
    if (this.laterSystem) {
      this.#flushUser();
      this.messages.push({ role: this.systemRole, content: collapse(parts) });
    } else {
      // Providers that take one leading system message only get the text as a marked note in user text,
      // in the wrapper Claude Code uses for its own reminders.
      const text = parts.map((p) => p.text).join("\n\n");
      this.user([{ type: "text", text: `<system-reminder>\n${text}\n</system-reminder>` }]);
    }
  }

  /** A system message after the start of the conversation. */
  system(parts: OpenAITextPart[]): void {
    const last = this.messages[this.messages.length - 1];
    if (this.#user === undefined && last?.role === "assistant" && last.tool_calls !== undefined) {
      this.#held.push(parts);
    } else this.#emitSystem(parts);
  }

  /** User content; consecutive user content merges into one message. */
  user(parts: OpenAIContentPart[]): void {
    if (parts.length === 0) return;
    this.#user ??= [];
    this.#user.push(...parts);
  }

  /** A tool message answering the last assistant turn. */
  tool(id: string, content: string | OpenAITextPart[]): void {
    this.#flushUser();
    this.messages.push({ role: "tool", tool_call_id: id, content });
  }

  /** Ends a run of tool messages: held system text may follow now. */
  afterTools(): void {
    this.#flushHeld();
  }

  /** An assistant turn. */
  assistant(message: OpenAIAssistantMessage): void {
    this.#flushHeld();
    this.#flushUser();
    this.messages.push(message);
  }

  /** The finished list. */
  finish(): OpenAIMessage[] {
    this.#flushHeld();
    this.#flushUser();
    return this.messages;
  }
}

function systemText(blocks: TextBlock[], ctx: PartContext): OpenAITextPart[] | undefined {
  // Claude Code's first system block (`x-anthropic-billing-header: cc_version=...`) changes on every
  // request and is meaningless to other models; at the head of the prompt it would defeat every
  // provider's prefix cache.
  const kept = blocks.filter((b) => b.text !== "" && !b.text.startsWith("x-anthropic-billing-header:"));
  const parts = kept.map((b) => textPart(b.text, cacheOf(b, ctx.provider.cacheControl)));
  return parts.length ? parts : undefined;
}

function userTurn(message: Message, index: number, conv: Conversation, ctx: PartContext): void {
  const attachments: OpenAIContentPart[] = [];
  const rest: OpenAIContentPart[] = [];
  let results = 0;
  message.content.forEach((block, j) => {
    const path = `messages.${index}.content.${j}`;
    if (block.type !== "tool_result") {
      rest.push(...userParts(block, path, ctx));
      return;
    }
    // Tool messages come first whatever the block order: OpenAI wants them right after the tool calls.
    results++;
    const id = safeIdentifier(block.tool_use_id, ctx.provider.maxToolIdLength);
    const result = toolResultContent(block, path, ctx);
    conv.tool(id, result.content);
    if (result.attachments.length > 0) {
      attachments.push(
        { type: "text", text: `[Attachments from tool result ${id}]` },
        ...result.attachments,
      );
    }
  });
  if (results > 0) conv.afterTools();
  conv.user([...attachments, ...rest]);
}

/** What an assistant turn holds, read from its blocks. */
interface AssistantParts {
  texts: OpenAITextPart[];
  /** Each call with the Anthropic id its thought signature is filed under. */
  calls: { call: OpenAIToolCall; original: string }[];
  /** Reasoning text restored from relayx signatures of this provider. */
  reasoning: string[];
  /** OpenRouter `reasoning_details` restored from those signatures. */
  details: unknown[];
  /** Gemini thought signatures by Anthropic tool-use id. */
  signatures: Record<string, string>;
}

function assistantTurn(message: Message, conv: Conversation, ctx: MessageContext): void {
  const parts = assistantParts(message, ctx);
  const { texts, calls } = parts;
  if (texts.length === 0 && calls.length === 0) return;
  const out: OpenAIAssistantMessage = { role: "assistant", content: texts.length ? collapse(texts) : null };
  if (calls.length > 0) out.tool_calls = calls.map((c) => c.call);
  restoreReasoning(out, parts, ctx);
  conv.assistant(out);
}

function assistantParts(message: Message, ctx: PartContext): AssistantParts {
  const parts: AssistantParts = { texts: [], calls: [], reasoning: [], details: [], signatures: {} };
  for (const block of message.content) {
    if (isServerToolBlock(block)) {
      ctx.warn("messages: server-tool blocks were dropped");
      continue;
    }
    if (isForeignBlock(block)) {
      const text = foreignBlockText(block, ctx.warn);
      if (text) parts.texts.push(textPart(text.text, cacheOf(text, ctx.provider.cacheControl)));
      continue;
    }
    switch (block.type) {
      case "text":
        if (block.text !== "") {
          parts.texts.push(textPart(block.text, cacheOf(block, ctx.provider.cacheControl)));
        }
        break;
      case "tool_use":
        parts.calls.push({ call: toolCall(block, ctx.provider.maxToolIdLength), original: block.id });
        break;
      case "thinking": {
        // Only relayx's own signatures from this provider carry anything it can use; Anthropic/Bedrock
        // signatures and other providers' data mean nothing here.
        const decoded = decodeSignature(block.signature);
        if (decoded === undefined || decoded.tag !== ctx.provider.name) break;
        const text = decoded.payload.reasoning ?? block.thinking;
        if (text !== "") parts.reasoning.push(text);
        if (decoded.payload.details) parts.details.push(...decoded.payload.details);
        Object.assign(parts.signatures, decoded.payload.thoughtSignatures);
        break;
      }
      case "redacted_thinking":
      case "image":
      case "document":
      case "search_result":
      case "tool_result":
        break;
      default: {
        const never: never = block;
        throw new Error(`Unknown block: ${JSON.stringify(never)}`);
      }
    }
  }
  return parts;
}

/** Puts the reasoning the provider needs back into the assistant message, in its field for it. */
function restoreReasoning(out: OpenAIAssistantMessage, parts: AssistantParts, ctx: MessageContext): void {
  const { calls, details, signatures } = parts;
  const text = parts.reasoning.join("\n\n");
  switch (ctx.provider.reasoning) {
    case "deepseek":
      // DeepSeek's thinking mode rejects a tool-call turn without its reasoning_content ("" will do).
      if (calls.length > 0 && (text !== "" || ctx.thinkingOn)) out.reasoning_content = text;
      break;
    case "vllm":
      if (text !== "") out.reasoning = text;
      break;
    case "openrouter":
      if (details.length > 0) out.reasoning_details = details;
      break;
    case "gemini": {
      if (calls.length === 0) break;
      const anySigned = calls.some((c) => signatures[c.original] !== undefined);
      out.tool_calls = calls.map(({ call, original }, k) => {
        const signature = signatures[original] ?? (!anySigned && k === 0 ? GEMINI_SKIP_SIGNATURE : undefined);
        return signature === undefined
          ? call
          : { ...call, extra_content: { google: { thought_signature: signature } } };
      });
      break;
    }
    case "openai":
    case "ollama":
    case "generic":
      break;
    default: {
      const never: never = ctx.provider.reasoning;
      throw new Error(`Unknown reasoning style: ${String(never)}`);
    }
  }
}

function toolCall(block: ToolUseBlock, maxIdLength: number | undefined): OpenAIToolCall {
  return {
    id: safeIdentifier(block.id, maxIdLength),
    type: "function",
    function: { name: safeIdentifier(block.name), arguments: JSON.stringify(block.input ?? {}) },
  };
}
