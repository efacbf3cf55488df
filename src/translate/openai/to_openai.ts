/**
 * Anthropic Messages request -> OpenAI Chat Completions request (protocol.md 9.1, 9.2 and section 8).
 *
 * Pure: no I/O, no clocks, the input is never mutated. Everything provider-specific reads the
 * {@linkcode ProviderProfile} flags, so a new provider is a profile entry, not a branch here.
 *
 * @module
 */
import type {
  ContentBlock,
  DocumentBlock,
  Effort,
  ImageSource,
  Message,
  MessagesRequest,
  TextBlock,
  ToolResultBlock,
  ToolUseBlock,
} from "../../anthropic/types.ts";
import { RelayError } from "../../errors.ts";
import { isOpenAIReasoningModel, type ProviderProfile } from "./providers.ts";
import { isCustomTool, isServerToolBlock, toolReferenceText } from "../prepare.ts";
import { cleanSchemaForGemini } from "./schema_clean.ts";
import { decodeSignature } from "../signature.ts";
import { safeIdentifier } from "../tool_names.ts";
import type {
  OpenAIAssistantMessage,
  OpenAICacheControl,
  OpenAIChatRequest,
  OpenAIContentPart,
  OpenAIMessage,
  OpenAIReasoningEffort,
  OpenAITextPart,
  OpenAITool,
  OpenAIToolCall,
  OpenAIToolChoice,
} from "./openai_types.ts";

/**
 * The `user` field's value: OpenAI takes at most 64 characters. Claude Code's `metadata.user_id` is a JSON
 * string whose stable part is `device_id`; cutting the raw string would keep a useless prefix of it.
 */
function endUserId(raw: string): string {
  if (raw.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed === "object" && parsed !== null && "device_id" in parsed) {
        const id = (parsed as { device_id: unknown }).device_id;
        if (typeof id === "string" && id !== "") return id.slice(0, 64);
      }
    } catch {
      // Not JSON after all: fall through to the plain cut.
    }
  }
  return raw.slice(0, 64);
}

/** Options for {@linkcode toOpenAIRequest}. */
export interface ToOpenAIOptions {
  /** The upstream model name. */
  model: string;
  /** The provider's quirks. */
  provider: ProviderProfile;
  /** The model's output cap; a larger `max_tokens` is clamped to it (with a warning). */
  maxOutputTokens: number;
  /** Whether to ask for a stream. */
  stream: boolean;
  /** Records something dropped or changed. */
  warn(message: string): void;
}

/** Gemini's own mapping of its `reasoning_effort` levels to thinking budgets. */
const GEMINI_BUDGET: Record<OpenAIReasoningEffort, number> = { low: 1024, medium: 8192, high: 24576 };
// The largest budget every thinking Gemini model accepts (Flash caps at 24576, Pro at 32768).
const GEMINI_MAX_BUDGET = 24576;
// Gemini 3 rejects tool calls in history without a thought signature; this documented value skips the
// check for history Gemini did not produce (another backend, or a signature lost on the way).
const GEMINI_SKIP_SIGNATURE = "skip_thought_signature_validator";

/** Anthropic effort -> the three levels OpenAI-style APIs share. */
function threeLevels(effort: Effort): OpenAIReasoningEffort {
  switch (effort) {
    case "low":
    case "medium":
    case "high":
      return effort;
    case "xhigh":
    case "max":
      return "high";
    default: {
      const never: never = effort;
      throw new Error(`Unknown effort: ${String(never)}`);
    }
  }
}

/** Thinking budget -> effort bucket: <=4K low, <=16K medium, else high. */
function bucket(budget: number): OpenAIReasoningEffort {
  return budget <= 4096 ? "low" : budget <= 16384 ? "medium" : "high";
}

function quote(value: string): string {
  return value.replaceAll('"', "'");
}

function cacheOf(block: { cache_control?: unknown }, keep: boolean): OpenAICacheControl | undefined {
  if (!keep) return undefined;
  const cc = block.cache_control;
  if (typeof cc !== "object" || cc === null) return undefined;
  const ttl = (cc as { ttl?: unknown }).ttl;
  return ttl === "5m" || ttl === "1h" ? { type: "ephemeral", ttl } : { type: "ephemeral" };
}

function textPart(text: string, cache: OpenAICacheControl | undefined): OpenAITextPart {
  return cache ? { type: "text", text, cache_control: cache } : { type: "text", text };
}

/** Parts -> a plain string where nothing needs the array form (local servers handle strings best). */
function collapse<P extends OpenAIContentPart>(parts: P[]): string | P[] {
  if (parts.every((p) => p.type === "text" && p.cache_control === undefined)) {
    return parts.map((p) => (p as OpenAITextPart).text).join("\n\n");
  }
  return parts;
}

/** Builds the message list, merging and ordering as OpenAI requires. */
class Conversation {
  readonly messages: OpenAIMessage[] = [];
  /** User parts being collected for the current user message (consecutive user content merges). */
  #user: OpenAIContentPart[] | undefined;
  /** System text held back: tool messages must directly follow the assistant turn that called the tools. */
  #held: OpenAITextPart[][] = [];

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

/** The translation of one request: options plus per-request state (warnings already given). */
class Translator {
  readonly #warned = new Set<string>();
  readonly provider: ProviderProfile;
  readonly thinkingOn: boolean;

  constructor(readonly req: MessagesRequest, readonly opts: ToOpenAIOptions) {
    this.provider = opts.provider;
    this.thinkingOn = req.thinking?.type === "enabled" || req.thinking?.type === "adaptive" ||
      // deepseek-reasoner thinks whatever the request says.
      (opts.provider.reasoning === "deepseek" && opts.model.includes("reasoner"));
  }

  warn(message: string): void {
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    this.opts.warn(message);
  }

  image(source: ImageSource, path: string): OpenAIContentPart {
    if (!this.provider.images) {
      this.warn(`messages: images are not supported by ${this.provider.name} and became "[image omitted]"`);
      return { type: "text", text: "[image omitted]" };
    }
    switch (source.type) {
      case "base64":
        return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` } };
      case "url":
        return { type: "image_url", image_url: { url: source.url } };
      case "file":
        throw new RelayError(
          "invalid_request_error",
          `${path}: file sources (Files API) are not supported by the ${this.provider.name} backend`,
          { shouldRetry: false },
        );
      default: {
        const never: never = source;
        throw new Error(`Unknown image source: ${JSON.stringify(never)}`);
      }
    }
  }

  document(block: DocumentBlock, path: string): OpenAIContentPart[] {
    const source = block.source;
    const attrs = `${block.title ? ` title="${quote(block.title)}"` : ""}${
      block.context ? ` context="${quote(block.context)}"` : ""
    }`;
    const wrap = (text: string): OpenAITextPart => ({
      type: "text",
      text: `<document${attrs}>\n${text}\n</document>`,
    });
    const unsupported = (what: string): RelayError =>
      new RelayError(
        "invalid_request_error",
        `${path}: ${what} are not supported by the ${this.provider.name} backend`,
        {
          shouldRetry: false,
        },
      );
    switch (source.type) {
      case "base64":
        if (source.media_type !== "application/pdf") throw unsupported(`${source.media_type} documents`);
        if (!this.provider.pdfFiles) throw unsupported("PDF documents");
        return [{
          type: "file",
          file: {
            filename: `${(block.title ?? "document").replace(/[^\w .()-]/g, "_")}.pdf`,
            file_data: `data:application/pdf;base64,${source.data}`,
          },
        }];
      case "text":
        return [wrap(source.data)];
      case "content": {
        if (typeof source.content === "string") return [wrap(source.content)];
        const texts: string[] = [];
        const images: OpenAIContentPart[] = [];
        source.content.forEach((b, k) => {
          if (b.type === "text") texts.push(b.text);
          else images.push(this.image(b.source, `${path}.source.content.${k}`));
        });
        return [wrap(texts.join("\n\n")), ...images];
      }
      case "url":
        throw unsupported("URL documents");
      case "file":
        throw unsupported("file sources (Files API)");
      default: {
        const never: never = source;
        throw new Error(`Unknown document source: ${JSON.stringify(never)}`);
      }
    }
  }

  /** A user-side block as content parts (tool results are handled by the caller). */
  userParts(block: ContentBlock, path: string): OpenAIContentPart[] {
    if (isServerToolBlock(block)) {
      this.warn("messages: server-tool blocks were dropped");
      return [];
    }
    switch (block.type) {
      case "text":
        return block.text === "" ? [] : [textPart(block.text, cacheOf(block, this.provider.cacheControl))];
      case "image":
        return [this.image(block.source, path)];
      case "document":
        return this.document(block, path);
      case "search_result":
        return [{
          type: "text",
          text: `<search_result source="${quote(block.source)}" title="${quote(block.title)}">\n${
            block.content.map((t) => t.text).join("\n\n")
          }\n</search_result>`,
        }];
      case "tool_result":
      case "tool_use":
      case "thinking":
      case "redacted_thinking":
        // Misplaced in a user turn (tool results are taken out before): nothing an upstream could use.
        return [];
      default: {
        const never: never = block;
        throw new Error(`Unknown block: ${JSON.stringify(never)}`);
      }
    }
  }

  /** A tool_result as the text of a `tool` message, plus what a tool message cannot hold. */
  toolResult(
    block: ToolResultBlock,
    path: string,
  ): { content: string | OpenAITextPart[]; attachments: OpenAIContentPart[] } {
    const texts: string[] = [];
    const attachments: OpenAIContentPart[] = [];
    let cache = cacheOf(block, this.provider.cacheControl);
    if (typeof block.content === "string") texts.push(block.content);
    else {
      (block.content ?? []).forEach((item, k) => {
        const at = `${path}.content.${k}`;
        cache ??= "cache_control" in item ? cacheOf(item, this.provider.cacheControl) : undefined;
        switch (item.type) {
          case "text":
            texts.push(item.text);
            break;
          case "image": {
            // Tool messages are text only: images travel in a user message right after the results.
            const part = this.image(item.source, at);
            if (part.type === "text") texts.push(part.text);
            else attachments.push(part);
            break;
          }
          case "document":
            for (const part of this.document(item, at)) {
              if (part.type === "text") texts.push(part.text);
              else attachments.push(part);
            }
            break;
          case "search_result":
            for (const part of this.userParts(item, at)) if (part.type === "text") texts.push(part.text);
            break;
          case "tool_reference":
            texts.push(toolReferenceText(item.tool_name));
            break;
          default: {
            const never: never = item;
            throw new Error(`Unknown tool result content: ${JSON.stringify(never)}`);
          }
        }
      });
    }
    if (attachments.length > 0) texts.push("[Attachments from this result follow in the next user message]");
    let text = texts.join("\n");
    if (block.is_error) text = `Error: ${text}`;
    return { content: cache ? [textPart(text, cache)] : text, attachments };
  }

  userTurn(message: Message, index: number, conv: Conversation): void {
    const attachments: OpenAIContentPart[] = [];
    const rest: OpenAIContentPart[] = [];
    let results = 0;
    message.content.forEach((block, j) => {
      const path = `messages.${index}.content.${j}`;
      if (block.type !== "tool_result") {
        rest.push(...this.userParts(block, path));
        return;
      }
      // Tool messages come first whatever the block order: OpenAI wants them right after the tool calls.
      results++;
      const id = safeIdentifier(block.tool_use_id);
      const result = this.toolResult(block, path);
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

  assistantTurn(message: Message, conv: Conversation): void {
    const texts: OpenAITextPart[] = [];
    const calls: { call: OpenAIToolCall; original: string }[] = [];
    const reasoning: string[] = [];
    const details: unknown[] = [];
    const signatures: Record<string, string> = {};
    for (const block of message.content) {
      if (isServerToolBlock(block)) {
        this.warn("messages: server-tool blocks were dropped");
        continue;
      }
      switch (block.type) {
        case "text":
          if (block.text !== "") texts.push(textPart(block.text, cacheOf(block, this.provider.cacheControl)));
          break;
        case "tool_use":
          calls.push({ call: this.toolCall(block), original: block.id });
          break;
        case "thinking": {
          // Only relayx's own signatures from this provider carry anything it can use; Anthropic/Bedrock
          // signatures and other providers' data mean nothing here.
          const decoded = decodeSignature(block.signature);
          if (decoded === undefined || decoded.tag !== this.provider.name) break;
          const text = decoded.payload.reasoning ?? block.thinking;
          if (text !== "") reasoning.push(text);
          if (decoded.payload.details) details.push(...decoded.payload.details);
          Object.assign(signatures, decoded.payload.thoughtSignatures);
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
    if (texts.length === 0 && calls.length === 0) return;
    const out: OpenAIAssistantMessage = { role: "assistant", content: texts.length ? collapse(texts) : null };
    if (calls.length > 0) out.tool_calls = calls.map((c) => c.call);
    const text = reasoning.join("\n\n");
    switch (this.provider.reasoning) {
      case "deepseek":
        // DeepSeek's thinking mode rejects a tool-call turn without its reasoning_content ("" will do).
        if (calls.length > 0 && (text !== "" || this.thinkingOn)) out.reasoning_content = text;
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
          const signature = signatures[original] ??
            (!anySigned && k === 0 ? GEMINI_SKIP_SIGNATURE : undefined);
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
        const never: never = this.provider.reasoning;
        throw new Error(`Unknown reasoning style: ${String(never)}`);
      }
    }
    conv.assistant(out);
  }

  toolCall(block: ToolUseBlock): OpenAIToolCall {
    return {
      id: safeIdentifier(block.id),
      type: "function",
      function: { name: safeIdentifier(block.name), arguments: JSON.stringify(block.input ?? {}) },
    };
  }

  tools(): OpenAITool[] {
    const out: OpenAITool[] = [];
    for (const tool of this.req.tools ?? []) {
      if (!isCustomTool(tool)) continue;
      const fn: OpenAITool["function"] = { name: safeIdentifier(tool.name) };
      if (tool.description) fn.description = tool.description;
      if (this.provider.strictSchemas) {
        const cleaned = cleanSchemaForGemini(tool.input_schema);
        // Gemini rejects an object without properties; a tool without parameters is how it says "no input".
        if (cleaned.properties !== undefined) fn.parameters = cleaned;
      } else fn.parameters = tool.input_schema;
      out.push({ type: "function", function: fn });
    }
    return out;
  }

  systemText(blocks: TextBlock[]): OpenAITextPart[] | undefined {
    // Claude Code's first system block (`x-anthropic-billing-header: cc_version=...`) changes on every
    // request and is meaningless to other models; at the head of the prompt it would defeat every
    // provider's prefix cache.
    const kept = blocks.filter((b) => b.text !== "" && !b.text.startsWith("x-anthropic-billing-header:"));
    const parts = kept.map((b) => textPart(b.text, cacheOf(b, this.provider.cacheControl)));
    return parts.length ? parts : undefined;
  }

  messages(systemRole: "system" | "developer"): OpenAIMessage[] {
    const conv = new Conversation(systemRole, this.provider.laterSystemMessages);
    const leading: TextBlock[] = [...(this.req.system ?? [])];
    let i = 0;
    // System turns before the first user/assistant turn are part of the leading system message.
    for (; i < this.req.messages.length && this.req.messages[i]?.role === "system"; i++) {
      for (const b of this.req.messages[i]?.content ?? []) if (b.type === "text") leading.push(b);
    }
    const system = this.systemText(leading);
    if (system !== undefined) conv.messages.push({ role: systemRole, content: collapse(system) });
    for (; i < this.req.messages.length; i++) {
      const message = this.req.messages[i];
      if (message === undefined) continue;
      switch (message.role) {
        case "system": {
          const parts = this.systemText(message.content.filter((b): b is TextBlock => b.type === "text"));
          if (parts !== undefined) conv.system(parts);
          break;
        }
        case "user":
          this.userTurn(message, i, conv);
          break;
        case "assistant":
          this.assistantTurn(message, conv);
          break;
        default: {
          const never: never = message.role;
          throw new Error(`Unknown role: ${String(never)}`);
        }
      }
    }
    return conv.finish();
  }
}

/**
 * Translates an Anthropic Messages request into an OpenAI Chat Completions request for one provider.
 *
 * @throws {RelayError} 400 `invalid_request_error` for content the provider cannot take (PDFs without
 * file support, URL or Files-API documents), naming the block's path (`messages.N.content.M`).
 *
 * @example
 * ```ts
 * const body = toOpenAIRequest(request, {
 *   model: "gpt-4.1", provider: PROVIDERS.openai, maxOutputTokens: 32768, stream: true, warn: console.warn,
 * });
 * ```
 */
export function toOpenAIRequest(req: MessagesRequest, opts: ToOpenAIOptions): OpenAIChatRequest {
  const t = new Translator(req, opts);
  const provider = opts.provider;
  // OpenAI's reasoning models take developer/max_completion_tokens and no sampling settings. OpenRouter
  // normalises those fields itself (and ignores unsupported ones), so its `openai/...` models keep the
  // ordinary ones.
  const openaiReasoning = isOpenAIReasoningModel(opts.model) && provider.name !== "openrouter";
  const body: OpenAIChatRequest = {
    model: opts.model,
    messages: t.messages(openaiReasoning && provider.reasoning === "openai" ? "developer" : "system"),
  };

  let maxTokens = Math.max(1, req.max_tokens);
  if (maxTokens > opts.maxOutputTokens) {
    t.warn(
      `max_tokens: ${maxTokens} is above the ${opts.model} limit and was clamped to ${opts.maxOutputTokens}`,
    );
    maxTokens = opts.maxOutputTokens;
  }
  if (openaiReasoning) body.max_completion_tokens = maxTokens;
  else body.max_tokens = maxTokens;

  if (req.temperature !== undefined) {
    if (!openaiReasoning) body.temperature = req.temperature;
    else if (req.temperature !== 1) t.warn(`temperature: not supported by ${opts.model} and was dropped`);
  }
  if (req.top_p !== undefined) {
    if (!openaiReasoning) body.top_p = req.top_p;
    else if (req.top_p !== 1) t.warn(`top_p: not supported by ${opts.model} and was dropped`);
  }
  if (req.top_k !== undefined) {
    if (provider.topK) body.top_k = req.top_k;
    else t.warn(`top_k: not supported by ${provider.name} and was dropped`);
  }
  if (req.stop_sequences !== undefined && req.stop_sequences.length > 0) {
    if (openaiReasoning) t.warn(`stop_sequences: not supported by ${opts.model} and were dropped`);
    else {
      if (req.stop_sequences.length > 4) t.warn("stop_sequences: only the first 4 were sent");
      body.stop = req.stop_sequences.slice(0, 4);
    }
  }
  const userId = req.metadata?.user_id;
  if (provider.userField && typeof userId === "string" && userId !== "") body.user = endUserId(userId);

  if (opts.stream) {
    body.stream = true;
    if (provider.streamUsage) body.stream_options = { include_usage: true };
  }

  const tools = t.tools();
  if (tools.length > 0) {
    body.tools = tools;
    const choice = req.tool_choice;
    if (choice !== undefined) {
      body.tool_choice = toolChoice(choice);
      if (choice.type !== "none" && choice.disable_parallel_tool_use === true) {
        // Gemini rejects request fields it does not know, and parallel_tool_calls is not among its documented ones.
        if (provider.name === "gemini") {
          t.warn("tool_choice.disable_parallel_tool_use: not supported by gemini and was dropped");
        } else body.parallel_tool_calls = false;
      }
    }
  }

  reasoning(req, opts, body);

  const format = req.output_config?.format;
  if (format !== undefined) {
    body.response_format = {
      type: "json_schema",
      json_schema: {
        name: "output",
        schema: provider.strictSchemas ? cleanSchemaForGemini(format.schema) : format.schema,
        strict: true,
      },
    };
  }
  if (provider.cacheControl && req.cache_control) body.cache_control = cacheOf(req, true);
  if (provider.name === "openai" && req.service_tier === "standard_only") body.service_tier = "default";
  return body;
}

function toolChoice(choice: NonNullable<MessagesRequest["tool_choice"]>): OpenAIToolChoice {
  switch (choice.type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool":
      return { type: "function", function: { name: safeIdentifier(choice.name) } };
    default: {
      const never: never = choice;
      throw new Error(`Unknown tool_choice: ${JSON.stringify(never)}`);
    }
  }
}

/** Thinking settings, in the one scheme each provider takes. */
function reasoning(req: MessagesRequest, opts: ToOpenAIOptions, body: OpenAIChatRequest): void {
  const thinking = req.thinking;
  const effort = req.output_config?.effort;
  let level: Effort | undefined;
  let budget: number | undefined;
  if (thinking?.type === "adaptive") level = effort ?? "high"; // Anthropic's default effort
  else if (thinking?.type === "enabled") {
    budget = thinking.budget_tokens;
    level = bucket(budget);
  }
  const style = opts.provider.reasoning;
  switch (style) {
    case "openai": {
      // Reasoning models think whatever the request says; an explicit effort still steers them.
      const wanted = level ?? effort;
      if (isOpenAIReasoningModel(opts.model) && wanted !== undefined) {
        body.reasoning_effort = threeLevels(wanted);
      }
      break;
    }
    case "gemini": {
      if (level === undefined) break;
      // One scheme only (Gemini rejects effort together with thinking_config): thinking_config carries the
      // budget and, unless the client asked for no thinking text, the request for thought summaries.
      const display = thinking?.type === "disabled" ? undefined : thinking?.display;
      const want = budget ?? GEMINI_BUDGET[threeLevels(level)];
      body.extra_body = {
        google: {
          thinking_config: {
            thinking_budget: Math.min(Math.max(want, 1024), GEMINI_MAX_BUDGET),
            include_thoughts: display !== "omitted",
          },
        },
      };
      break;
    }
    case "openrouter":
      if (budget !== undefined) body.reasoning = { max_tokens: budget };
      else if (level !== undefined) body.reasoning = { effort: level === "max" ? "xhigh" : level };
      break;
    case "deepseek":
      if (level !== undefined) body.thinking = { type: "enabled" };
      else if (thinking?.type === "disabled") body.thinking = { type: "disabled" };
      break;
    case "ollama":
    case "vllm":
    case "generic":
      if (level !== undefined) body.reasoning_effort = threeLevels(level);
      break;
    default: {
      const never: never = style;
      throw new Error(`Unknown reasoning style: ${String(never)}`);
    }
  }
}
