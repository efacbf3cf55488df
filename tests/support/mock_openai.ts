/**
 * A scriptable mock of an OpenAI-compatible Chat Completions upstream (OpenAI, Gemini's compat
 * endpoint, OpenRouter, Ollama ...), for tests that drive relayx or the `openai` SDK against it.
 *
 * It listens on 127.0.0.1 (HTTP/1.1, and h2c by prior knowledge since `Deno.serve` detects both),
 * records every request and answers `POST /v1/chat/completions` (also `/chat/completions` and
 * `/v1beta/openai/chat/completions`) from a queue of scripted replies, falling back to an "ok"
 * completion. `GET /v1/models` lists {@linkcode MockOpenAI.models}.
 *
 * @example
 * ```ts
 * await using mock = await startMockOpenAI();
 * mock.enqueue(textStream("Hello", { usage: usage(12, 2) }));
 * const client = new OpenAI({ baseURL: mock.url, apiKey: "k" });
 * ```
 *
 * @module
 */
import { cutWrites, sleep, type SplitMode } from "./_writes.ts";

/** One JSON object sent on a `data:` line of a Chat Completions stream. */
export type ChatChunk = Record<string, unknown>;

/** The `usage` object of a completion or of the final stream chunk. */
export interface ChatUsage {
  /** Prompt tokens, cached ones included. */
  prompt_tokens: number;
  /** Completion tokens, reasoning ones included. */
  completion_tokens: number;
  /** The sum. */
  total_tokens: number;
  /** Details of the prompt tokens. */
  prompt_tokens_details?: { cached_tokens?: number; [key: string]: unknown };
  /** Details of the completion tokens. */
  completion_tokens_details?: { reasoning_tokens?: number; [key: string]: unknown };
  /** Provider-specific extras (DeepSeek's `prompt_cache_hit_tokens`, ...). */
  [key: string]: unknown;
}

/**
 * How the SSE bytes of a stream reply are cut into network writes.
 *
 * - `"event"` (default): one write per chunk, as real servers flush.
 * - `"none"`: everything buffered into one write (flushed early before a hang or a failure).
 * - `"bytes"`: writes of `splitSize` bytes (default 5) counted across the whole body, so cuts fall
 *   inside events and inside multi-byte UTF-8 characters.
 * - `"every-byte"`: one write per byte.
 */
export type { SplitMode } from "./_writes.ts";

/** A streamed (SSE) reply. */
export interface StreamReply {
  kind: "stream";
  /**
   * The chunks in order. Objects are sent as `data: <json>` lines; missing `id`, `object`, `created`
   * and `model` are filled in (model from the request). A string is written verbatim (raw SSE, e.g.
   * `": OPENROUTER PROCESSING\n\n"` or a malformed line).
   */
  chunks: (ChatChunk | string)[];
  /** Send `data: [DONE]` at the end (default true). */
  done?: boolean;
  /** How bytes are cut into writes (default `"event"`). */
  split?: SplitMode;
  /** Write size for `split: "bytes"` (default 5). */
  splitSize?: number;
  /** Delay before each chunk, in ms. */
  delayMs?: number;
  /** Close the connection abruptly (no `[DONE]`, no final chunk) after this many chunks. */
  failAfter?: number;
  /** After this many chunks send `data: {"error": error}` and end the stream. */
  errorAfter?: { after: number; error: unknown };
  /** Send `hangAfter` chunks (default 1) and then nothing until the client disconnects. */
  hang?: boolean;
  /** How many chunks to send before hanging (implies `hang`). */
  hangAfter?: number;
  /**
   * Usage for the `choices: []` chunk the mock appends before `[DONE]` when the request asked for
   * `stream_options.include_usage` (like the real API). Default: a small estimate.
   */
  usage?: ChatUsage;
  /** `"auto"` (default): usage chunk only if requested; `"always"` (Ollama-like) or `"never"`. */
  usageChunk?: "auto" | "always" | "never";
  /** Response status (default 200). */
  status?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

/** A JSON reply: a non-stream completion or an error body (OpenAI object or Gemini array shape). */
export interface JsonReply {
  kind: "json";
  /** Default 200. */
  status?: number;
  /** The body; a `chat.completion` object missing `model` gets the request's model. */
  body: unknown;
  /** Extra response headers (e.g. `retry-after`). */
  headers?: Record<string, string>;
  /** Delay before answering, in ms (a client disconnect during it counts as an abort). */
  delayMs?: number;
  /** Send the headers and this many bytes of the body, then nothing until the client disconnects. */
  bodyHangAfter?: number;
}

/** A plain-text reply (an HTML 502 from a gateway, a non-JSON error ...). */
export interface TextReply {
  kind: "text";
  status: number;
  body: string;
  /** Extra response headers; content-type defaults to text/plain. */
  headers?: Record<string, string>;
  /** Delay before answering, in ms. */
  delayMs?: number;
  /** Send the headers and this many bytes of the body, then nothing until the client disconnects. */
  bodyHangAfter?: number;
}

/**
 * No answer at all, not even headers, until the client disconnects (counted as an abort when
 * `Deno.serve` notices: it does not always notice a disconnect before the response began, so tests
 * that must see the cancellation watch the connection instead, with `fault_tcp.ts`).
 */
export interface StallReply {
  kind: "stall";
}

/** Everything {@linkcode MockOpenAI.enqueue} accepts. */
export type MockOpenAIReply = StreamReply | JsonReply | TextReply | StallReply;

/** One request as the mock received it. */
export interface RecordedOpenAIRequest {
  /** HTTP method. */
  method: string;
  /** Path without the query. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON body, the raw text if it was not JSON, or null if empty. */
  body: unknown;
}

/** A tool call for {@linkcode toolCallStream} and {@linkcode completion}. */
export interface ToolCallSpec {
  /** `call_...` id. */
  id: string;
  /** Function name. */
  name: string;
  /** Arguments: a JSON string sent as is, or an object that is stringified. */
  args: string | Record<string, unknown>;
  /** Extra fields on the call (e.g. Gemini's `extra_content.google.thought_signature`). */
  extra?: Record<string, unknown>;
}

/** Options for {@linkcode startMockOpenAI}. */
export interface MockOpenAIOptions {
  /** Validate like Gemini's OpenAI-compat endpoint (see {@linkcode MockOpenAI.strictGemini}). */
  strictGemini?: boolean;
  /** Model ids listed by `GET /v1/models` (default `["mock-model"]`). */
  models?: string[];
  /** Port (default 0: any free one). */
  port?: number;
}

/** A running mock; see {@linkcode startMockOpenAI}. */
export interface MockOpenAI extends AsyncDisposable {
  /** Base URL for the `openai` SDK: `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Gemini-style base URL: `http://127.0.0.1:PORT/v1beta/openai`. */
  readonly geminiUrl: string;
  /** The port. */
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedOpenAIRequest[];
  /**
   * When true, requests are rejected like Gemini's compat endpoint does, with its array-shaped
   * error: unknown top-level fields (`top_k`, `metadata`, `user` ...) and tool `parameters` using
   * schema keywords outside Gemini's subset (`$schema`, `additionalProperties`, `const`,
   * `exclusiveMinimum`, `propertyNames`, `$ref` ...), naming the path.
   */
  strictGemini: boolean;
  /** Model ids listed by `GET /v1/models`. */
  models: string[];
  /** How many streaming responses were cut short by the client disconnecting. */
  readonly aborted: number;
  /** Queues replies, answered in order by the next chat-completion requests. */
  enqueue(...replies: MockOpenAIReply[]): void;
  /** Replies still queued. */
  pending(): number;
  /**
   * Resolves once the client has disconnected from one more response than earlier calls consumed
   * (aborts that happened before the call count). Rejects after `timeoutMs` (default 5000).
   */
  nextAbort(timeoutMs?: number): Promise<void>;
  /** Ends open streams and stops the server. */
  close(): Promise<void>;
}

/** Top-level request fields Gemini's OpenAI-compat endpoint accepts (others are a 400). */
export const GEMINI_TOP_LEVEL_FIELDS: ReadonlySet<string> = new Set([
  "model",
  "messages",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "n",
  "stream",
  "stream_options",
  "stop",
  "tools",
  "tool_choice",
  "response_format",
  "reasoning_effort",
  "seed",
  "presence_penalty",
  "extra_body",
]);

/** Schema keywords Gemini's function-declaration schema (an OpenAPI subset) accepts. */
export const GEMINI_SCHEMA_FIELDS: ReadonlySet<string> = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "properties",
  "required",
  "items",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "minProperties",
  "maxProperties",
  "anyOf",
  "propertyOrdering",
  "default",
  "example",
]);

const _CREATED = 1_764_000_000;
const _encoder = new TextEncoder();

/**
 * Builds an OpenAI `usage` object.
 *
 * @example
 * ```ts
 * usage(120, 8, { cached: 100 }); // prompt 120 (100 of them cached), completion 8
 * ```
 */
export function usage(
  promptTokens: number,
  completionTokens: number,
  opts: { cached?: number; reasoning?: number } = {},
): ChatUsage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: opts.cached ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: opts.reasoning ?? 0, audio_tokens: 0 },
  };
}

/** Options for {@linkcode textStream}. */
export interface TextStreamOptions {
  /** Model name on every chunk (default: the request's model). */
  model?: string;
  /** Chunk id (default `chatcmpl-mock`). */
  id?: string;
  /** Usage for the include_usage chunk. */
  usage?: ChatUsage;
  /** Number of content fragments, or the fragments themselves (default: one per word). */
  pieces?: number | string[];
  /** Default `"stop"`. */
  finishReason?: string;
  /** Reasoning text streamed before the content. */
  reasoning?: string;
  /** Delta field carrying `reasoning` (default `reasoning_content`, DeepSeek style). */
  reasoningField?: "reasoning_content" | "reasoning";
}

/**
 * A streamed text answer shaped like the real API: a first chunk with `role: "assistant"` and
 * empty content, content fragments, then a chunk with `finish_reason` and an empty delta.
 *
 * @example
 * ```ts
 * mock.enqueue({ ...textStream("héllo wörld", { pieces: 3 }), split: "every-byte" });
 * ```
 */
export function textStream(text: string, opts: TextStreamOptions = {}): StreamReply {
  const head = _chunkHead(opts);
  const chunks: ChatChunk[] = [
    { ...head, choices: [_choice({ role: "assistant", content: "", refusal: null })] },
  ];
  if (opts.reasoning) {
    const field = opts.reasoningField ?? "reasoning_content";
    for (const piece of _pieces(opts.reasoning, undefined)) {
      chunks.push({ ...head, choices: [_choice({ [field]: piece })] });
    }
  }
  for (const piece of _pieces(text, opts.pieces)) {
    chunks.push({ ...head, choices: [_choice({ content: piece })] });
  }
  chunks.push({ ...head, choices: [_choice({}, opts.finishReason ?? "stop")] });
  return { kind: "stream", chunks, usage: opts.usage };
}

/** Options for {@linkcode toolCallStream}. */
export interface ToolCallStreamOptions {
  /** Model name on every chunk (default: the request's model). */
  model?: string;
  /** Chunk id (default `chatcmpl-mock`). */
  id?: string;
  /** Usage for the include_usage chunk. */
  usage?: ChatUsage;
  /** Fragments per call's arguments (default 3). */
  argPieces?: number;
  /** Text streamed before the calls. */
  text?: string;
  /** Default `"tool_calls"` (Gemini sends `"stop"`). */
  finishReason?: string;
  /** Gemini style: each call complete in one chunk, without `index`. */
  omitIndex?: boolean;
}

/**
 * A streamed tool-call answer: each call's `id`, `type` and `name` on its first fragment only,
 * arguments fragmented across chunks, parallel calls on different `index`es.
 *
 * @example
 * ```ts
 * mock.enqueue(toolCallStream([{ id: "call_1", name: "Read", args: { path: "a.ts" } }], { argPieces: 4 }));
 * ```
 */
export function toolCallStream(calls: ToolCallSpec[], opts: ToolCallStreamOptions = {}): StreamReply {
  const head = _chunkHead(opts);
  const chunks: ChatChunk[] = [];
  const first: Record<string, unknown> = { role: "assistant", content: opts.text ? "" : null, refusal: null };
  if (opts.text) {
    chunks.push({ ...head, choices: [_choice(first)] });
    for (const piece of _pieces(opts.text, undefined)) {
      chunks.push({ ...head, choices: [_choice({ content: piece })] });
    }
  }
  calls.forEach((call, index) => {
    const args = typeof call.args === "string" ? call.args : JSON.stringify(call.args);
    const lead = chunks.length === 0 ? first : {};
    if (opts.omitIndex) {
      const whole = { id: call.id, type: "function", function: { name: call.name, arguments: args } };
      chunks.push({ ...head, choices: [_choice({ ...lead, tool_calls: [{ ...whole, ...call.extra }] })] });
      return;
    }
    const opening = {
      index,
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: "" },
      ...call.extra,
    };
    chunks.push({ ...head, choices: [_choice({ ...lead, tool_calls: [opening] })] });
    for (const piece of _splitN(args, opts.argPieces ?? 3)) {
      chunks.push({
        ...head,
        choices: [_choice({ tool_calls: [{ index, function: { arguments: piece } }] })],
      });
    }
  });
  chunks.push({ ...head, choices: [_choice({}, opts.finishReason ?? "tool_calls")] });
  return { kind: "stream", chunks, usage: opts.usage };
}

/** Options for {@linkcode completion}. */
export interface CompletionOptions {
  /** Message content (default null when there are tool calls, else "ok"). */
  text?: string | null;
  /** Tool calls on the message. */
  toolCalls?: ToolCallSpec[];
  /** Default `"tool_calls"` with tool calls, else `"stop"`. */
  finishReason?: string;
  /** Model (default: the request's). */
  model?: string;
  /** Completion id (default `chatcmpl-mock`). */
  id?: string;
  /** Usage (default `usage(10, 1)`). */
  usage?: ChatUsage;
  /** Extra message fields (`reasoning_content`, `reasoning`, `reasoning_details` ...). */
  message?: Record<string, unknown>;
}

/**
 * A non-stream `chat.completion` reply.
 *
 * @example
 * ```ts
 * mock.enqueue(completion({ text: "hi", usage: usage(50, 2, { cached: 40 }) }));
 * ```
 */
export function completion(opts: CompletionOptions = {}): JsonReply {
  const toolCalls = opts.toolCalls?.map((c) => ({
    id: c.id,
    type: "function",
    function: { name: c.name, arguments: typeof c.args === "string" ? c.args : JSON.stringify(c.args) },
    ...c.extra,
  }));
  const message: Record<string, unknown> = {
    role: "assistant",
    content: opts.text !== undefined ? opts.text : toolCalls ? null : "ok",
    refusal: null,
    annotations: [],
    ...(toolCalls ? { tool_calls: toolCalls } : {}),
    ...opts.message,
  };
  const body: Record<string, unknown> = {
    id: opts.id ?? "chatcmpl-mock",
    object: "chat.completion",
    created: _CREATED,
    ...(opts.model ? { model: opts.model } : {}),
    choices: [{
      index: 0,
      message,
      logprobs: null,
      finish_reason: opts.finishReason ?? (toolCalls ? "tool_calls" : "stop"),
    }],
    usage: opts.usage ?? usage(10, 1),
  };
  return { kind: "json", body };
}

/**
 * An OpenAI-shaped error reply: `{"error": {message, type, param, code}}`.
 *
 * @example
 * ```ts
 * mock.enqueue(openAIError(429, "Rate limit reached", { code: "rate_limit_exceeded", headers: { "retry-after": "2" } }));
 * ```
 */
export function openAIError(
  status: number,
  message: string,
  opts: { type?: string; code?: string | null; param?: string | null; headers?: Record<string, string> } = {},
): JsonReply {
  const type = opts.type ??
    (status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error");
  return {
    kind: "json",
    status,
    body: { error: { message, type, param: opts.param ?? null, code: opts.code ?? null } },
    headers: opts.headers,
  };
}

/**
 * Gemini's array-shaped error: `[{"error": {code, message, status}}]`.
 *
 * @example
 * ```ts
 * mock.enqueue(geminiError(400, "Request contains an invalid argument."));
 * ```
 */
export function geminiError(status: number, message: string, statusText = "INVALID_ARGUMENT"): JsonReply {
  return { kind: "json", status, body: [{ error: { code: status, message, status: statusText } }] };
}

/**
 * Starts the mock on 127.0.0.1.
 *
 * @example
 * ```ts
 * const mock = await startMockOpenAI({ strictGemini: true });
 * try { ... } finally { await mock.close(); }
 * ```
 */
export function startMockOpenAI(options: MockOpenAIOptions = {}): Promise<MockOpenAI> {
  return Promise.resolve(new _MockOpenAIServer(options));
}

interface _Validation {
  status: number;
  message: string;
  param: string | null;
  code: string | null;
}

interface _ActiveStream {
  controller: ReadableStreamDefaultController<Uint8Array>;
  stop: AbortController;
}

class _MockOpenAIServer implements MockOpenAI {
  readonly url: string;
  readonly origin: string;
  readonly geminiUrl: string;
  readonly port: number;
  readonly requests: RecordedOpenAIRequest[] = [];
  strictGemini: boolean;
  models: string[];
  #queue: MockOpenAIReply[] = [];
  #aborted = 0;
  #abortsConsumed = 0;
  #abortWaiters: (() => void)[] = [];
  #active = new Set<_ActiveStream>();
  #stop = new AbortController();
  #closed?: Promise<void>;
  #server: Deno.HttpServer<Deno.NetAddr>;

  constructor(options: MockOpenAIOptions) {
    this.strictGemini = options.strictGemini ?? false;
    this.models = options.models ?? ["mock-model"];
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
      (req) => this.#handle(req),
    );
    this.port = this.#server.addr.port;
    this.origin = `http://127.0.0.1:${this.port}`;
    this.url = `${this.origin}/v1`;
    this.geminiUrl = `${this.origin}/v1beta/openai`;
  }

  get aborted(): number {
    return this.#aborted;
  }

  enqueue(...replies: MockOpenAIReply[]): void {
    this.#queue.push(...replies);
  }

  pending(): number {
    return this.#queue.length;
  }

  nextAbort(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#abortWaiters = this.#abortWaiters.filter((w) => w !== check);
        reject(new Error(`No client abort within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (): void => {
        if (this.#aborted <= this.#abortsConsumed) return;
        this.#abortsConsumed++;
        clearTimeout(timer);
        this.#abortWaiters = this.#abortWaiters.filter((w) => w !== check);
        resolve();
      };
      this.#abortWaiters.push(check);
      check();
    });
  }

  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    this.#stop.abort();
    for (const s of this.#active) {
      s.stop.abort();
      try {
        // Deno.serve logs the reason of an errored body; a string keeps that to one line.
        s.controller.error("[mock_openai] closed with the stream still open");
      } catch {
        // already closed
      }
    }
    this.#active.clear();
    await this.#server.shutdown();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #recordAbort(): void {
    this.#aborted++;
    for (const w of [...this.#abortWaiters]) w();
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const raw = await req.text();
    let body: unknown = null;
    let parsed = true;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        parsed = false;
      }
    }
    this.requests.push({
      method: req.method,
      path: url.pathname,
      headers: Object.fromEntries(req.headers),
      body,
    });
    const path = url.pathname.replace(/\/+$/, "");
    if (req.method === "GET" && /^(\/v1|\/v1beta\/openai)?\/models$/.test(path)) {
      return Response.json({
        object: "list",
        data: this.models.map((id) => ({ id, object: "model", created: _CREATED, owned_by: "mock" })),
      });
    }
    if (req.method !== "POST" || !/^(\/v1|\/v1beta\/openai)?\/chat\/completions$/.test(path)) {
      return this.#error({
        status: 404,
        message: `Unknown route: ${req.method} ${url.pathname}`,
        param: null,
        code: null,
      });
    }
    if (!parsed || typeof body !== "object" || body === null || Array.isArray(body)) {
      return this.#error({
        status: 400,
        message:
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using " +
          "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
        param: null,
        code: null,
      });
    }
    const request = body as Record<string, unknown>;
    const invalid = (this.strictGemini ? _validateGemini(request) : null) ?? _validateOpenAI(request);
    if (invalid) return this.#error(invalid);

    const reply = this.#queue.shift() ?? _defaultReply(request);
    return await this.#reply(reply, request, req);
  }

  #error(v: _Validation): Response {
    if (this.strictGemini) {
      const status = v.status === 404 ? "NOT_FOUND" : "INVALID_ARGUMENT";
      return Response.json([{ error: { code: v.status, message: v.message, status } }], { status: v.status });
    }
    const type = v.status === 404 ? "not_found_error" : "invalid_request_error";
    return Response.json({ error: { message: v.message, type, param: v.param, code: v.code } }, {
      status: v.status,
    });
  }

  async #reply(
    reply: MockOpenAIReply,
    request: Record<string, unknown>,
    req: Request,
  ): Promise<Response> {
    switch (reply.kind) {
      case "json": {
        if (reply.delayMs && !(await this.#delay(reply.delayMs, req))) return new Response(null);
        const text = JSON.stringify(_fillCompletion(reply.body, request));
        return new Response(this.#body(text, reply.bodyHangAfter), {
          status: reply.status ?? 200,
          headers: { "content-type": "application/json", ...reply.headers },
        });
      }
      case "text": {
        if (reply.delayMs && !(await this.#delay(reply.delayMs, req))) return new Response(null);
        return new Response(this.#body(reply.body, reply.bodyHangAfter), {
          status: reply.status,
          headers: { "content-type": "text/plain; charset=utf-8", ...reply.headers },
        });
      }
      case "stall": {
        try {
          await sleep(Infinity, AbortSignal.any([req.signal, this.#stop.signal]));
        } catch {
          if (!this.#stop.signal.aborted) this.#recordAbort();
        }
        return new Response(null);
      }
      case "stream":
        return new Response(this.#sseBody(reply, request), {
          status: reply.status ?? 200,
          headers: {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            ...reply.headers,
          },
        });
      default: {
        const never: never = reply;
        throw new Error(`Unknown reply kind: ${JSON.stringify(never)}`);
      }
    }
  }

  /** The whole text, or its first `hangAfter` bytes and then nothing until the client disconnects. */
  #body(text: string, hangAfter: number | undefined): string | ReadableStream<Uint8Array> {
    if (hangAfter === undefined) return text;
    const head = _encoder.encode(text).slice(0, hangAfter);
    const stop = new AbortController();
    let active: _ActiveStream | undefined;
    let sent = false;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        active = { controller, stop };
        this.#active.add(active);
      },
      pull: async (controller) => {
        if (!sent && head.length) {
          sent = true;
          controller.enqueue(head);
          return;
        }
        await sleep(Infinity, stop.signal).catch(() => {});
      },
      cancel: () => {
        this.#active.delete(active!);
        stop.abort();
        this.#recordAbort();
      },
    }, { highWaterMark: 0 });
  }

  /** Sleeps; false if the client went away meanwhile (counted as an abort). */
  async #delay(ms: number, req: Request): Promise<boolean> {
    try {
      // Only touched here: Deno prints a warning about its legacy abort-on-success behaviour once any
      // request's signal is used.
      await sleep(ms, req.signal);
      return true;
    } catch {
      this.#recordAbort();
      return false;
    }
  }

  #sseBody(reply: StreamReply, request: Record<string, unknown>): ReadableStream<Uint8Array> {
    const stop = new AbortController();
    const writes = _sseWrites(reply, request, stop.signal);
    let active: _ActiveStream | undefined;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        active = { controller, stop };
        this.#active.add(active);
      },
      pull: async (controller) => {
        try {
          const next = await writes.next();
          if (next.done) {
            this.#active.delete(active!);
            controller.close();
          } else {
            controller.enqueue(next.value);
          }
        } catch (e) {
          if (stop.signal.aborted) return;
          this.#active.delete(active!);
          controller.error(`[mock_openai] ${e instanceof Error ? e.message : String(e)}`);
        }
      },
      cancel: () => {
        this.#active.delete(active!);
        stop.abort();
        this.#recordAbort();
      },
    }, { highWaterMark: 0 });
  }
}

function _sseWrites(
  reply: StreamReply,
  request: Record<string, unknown>,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  let items = _streamItems(reply, request);
  let done = reply.done ?? true;
  if (reply.errorAfter) {
    items = [
      ...items.slice(0, reply.errorAfter.after),
      `data: ${JSON.stringify({ error: reply.errorAfter.error })}\n\n`,
    ];
    done = false;
  }
  if (done) items.push("data: [DONE]\n\n");
  return cutWrites(items.map((t) => _encoder.encode(t)), {
    split: reply.split ?? "event",
    splitSize: reply.splitSize ?? 5,
    delayMs: reply.delayMs,
    failAfter: reply.failAfter,
    hangAt: reply.hangAfter ?? (reply.hang ? 1 : undefined),
  }, signal);
}

/** The SSE text of each chunk (usage chunk included), before splitting into writes. */
function _streamItems(reply: StreamReply, request: Record<string, unknown>): string[] {
  const streamOptions = request.stream_options as Record<string, unknown> | undefined;
  const wantsUsage = reply.usageChunk === "always" ||
    ((reply.usageChunk ?? "auto") === "auto" && streamOptions?.include_usage === true);
  const model = typeof request.model === "string" ? request.model : "mock-model";
  const objects = reply.chunks.filter((c): c is ChatChunk => typeof c !== "string");
  const firstHead = objects[0] ?? {};
  const hasUsageChunk = objects.some((c) => Array.isArray(c.choices) && c.choices.length === 0 && c.usage);
  const chunks = [...reply.chunks];
  if (wantsUsage && !hasUsageChunk) {
    const contentChunks = objects.length;
    chunks.push({
      ..._defined({
        id: firstHead.id,
        object: "chat.completion.chunk",
        created: firstHead.created,
        model: firstHead.model,
      }),
      choices: [],
      usage: reply.usage ?? usage(_estimateTokens(request.messages), Math.max(1, contentChunks - 2)),
    });
  }
  return chunks.map((c) => {
    if (typeof c === "string") return c;
    const filled: ChatChunk = {
      id: c.id ?? "chatcmpl-mock",
      object: c.object ?? "chat.completion.chunk",
      created: c.created ?? _CREATED,
      model: c.model ?? model,
      ...c,
    };
    if (wantsUsage && !("usage" in filled)) filled.usage = null;
    return `data: ${JSON.stringify(filled)}\n\n`;
  });
}

function _fillCompletion(body: unknown, request: Record<string, unknown>): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  if (b.object !== "chat.completion" || b.model !== undefined) return body;
  const { id, object, created, ...rest } = b;
  return {
    id,
    object,
    created,
    model: typeof request.model === "string" ? request.model : "mock-model",
    ...rest,
  };
}

function _defaultReply(request: Record<string, unknown>): MockOpenAIReply {
  if (request.stream === true) return textStream("ok");
  return completion({ text: "ok", usage: usage(_estimateTokens(request.messages), 1) });
}

function _estimateTokens(messages: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(messages ?? "").length / 4));
}

function _chunkHead(opts: { id?: string; model?: string }): ChatChunk {
  return {
    id: opts.id ?? "chatcmpl-mock",
    object: "chat.completion.chunk",
    created: _CREATED,
    ...(opts.model ? { model: opts.model } : {}),
  };
}

function _choice(
  delta: Record<string, unknown>,
  finishReason: string | null = null,
): Record<string, unknown> {
  return { index: 0, delta, logprobs: null, finish_reason: finishReason };
}

function _pieces(text: string, pieces: number | string[] | undefined): string[] {
  if (Array.isArray(pieces)) return pieces;
  if (typeof pieces === "number") return _splitN(text, pieces);
  return text.match(/\s*\S+\s*|\s+/g) ?? [text];
}

/** Splits into `n` fragments by code point (never inside a character: that is the splitter's job). */
function _splitN(text: string, n: number): string[] {
  const chars = [...text];
  const count = Math.max(1, Math.min(n, chars.length));
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    out.push(
      chars.slice(Math.floor((k * chars.length) / count), Math.floor(((k + 1) * chars.length) / count)).join(
        "",
      ),
    );
  }
  return out;
}

function _defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function _isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function _validateOpenAI(req: Record<string, unknown>): _Validation | null {
  const bad = (message: string, param: string | null = null, code: string | null = null): _Validation => ({
    status: 400,
    message,
    param,
    code,
  });
  if (typeof req.model !== "string" || req.model === "") return bad("you must provide a model parameter");
  if (req.messages === undefined) {
    return bad("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
  }
  if (!Array.isArray(req.messages)) {
    return bad("Invalid type for 'messages': expected an array of objects.", "messages", "invalid_type");
  }
  if (req.messages.length === 0) {
    return bad(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "messages",
      "empty_array",
    );
  }
  const shape = _validateShapes(req);
  if (shape) return shape;
  if (Array.isArray(req.tools)) {
    for (const [i, tool] of req.tools.entries()) {
      const name = _isRecord(tool) && _isRecord(tool.function) ? tool.function.name : undefined;
      if (typeof name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
        return bad(
          `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches ` +
            "the pattern '^[a-zA-Z0-9_-]+$'.",
          `tools[${i}].function.name`,
          "invalid_value",
        );
      }
    }
  }
  let open: { index: number; ids: Set<string> } | null = null;
  for (const [i, m] of req.messages.entries()) {
    if (!_isRecord(m) || typeof m.role !== "string") {
      return bad(`Invalid type for 'messages[${i}]': expected an object.`, `messages[${i}]`, "invalid_type");
    }
    if (m.role === "tool") {
      if (!open) {
        return bad(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `messages.[${i}].role`,
        );
      }
      const id = String(m.tool_call_id);
      if (!open.ids.delete(id)) {
        return bad(
          `Invalid parameter: 'tool_call_id' of '${id}' not found in 'tool_calls' of previous message.`,
          `messages.[${i}].tool_call_id`,
        );
      }
      if (Array.isArray(m.content) && m.content.some((p) => _isRecord(p) && p.type === "image_url")) {
        return bad(
          "Image URLs are only allowed for messages with role 'user', but this message with role 'tool' " +
            "contains an image URL.",
          `messages.[${i}].content`,
          "invalid_value",
        );
      }
      continue;
    }
    if (open && open.ids.size > 0) return _unanswered(open, i);
    open = null;
    if (m.role === "assistant" && Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
      open = { index: i, ids: new Set(m.tool_calls.map((c) => String(_isRecord(c) ? c.id : ""))) };
    }
  }
  if (open && open.ids.size > 0) return _unanswered(open, req.messages.length);
  return null;
}

const _ROLES = ["system", "assistant", "user", "function", "tool", "developer"];
const _PART_TYPES = ["text", "image_url", "input_audio", "refusal", "audio", "file"];

/** The limits OpenAI's request schema sets on roles, content, tools, stop sequences and token caps. */
function _validateShapes(req: Record<string, unknown>): _Validation | null {
  const bad = (message: string, param: string, code: string): _Validation => ({
    status: 400,
    message,
    param,
    code,
  });
  for (const key of ["max_tokens", "max_completion_tokens"]) {
    const n = req[key];
    if (typeof n === "number" && n < 1) {
      return bad(
        `Invalid '${key}': integer below minimum value. Expected a value >= 1, but got ${n} instead.`,
        key,
        "integer_below_min_value",
      );
    }
  }
  if (Array.isArray(req.tools) && req.tools.length > 128) {
    return bad(
      `Invalid 'tools': array too long. Expected an array with maximum length 128, but got an array with length ${req.tools.length} instead.`,
      "tools",
      "array_above_max_length",
    );
  }
  if (Array.isArray(req.stop) && req.stop.length > 4) {
    return bad(
      `Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length ${req.stop.length} instead.`,
      "stop",
      "array_above_max_length",
    );
  }
  for (const [i, m] of (req.messages as unknown[]).entries()) {
    if (!_isRecord(m)) continue;
    if (!_ROLES.includes(String(m.role))) {
      return bad(
        `Invalid value: '${
          String(m.role)
        }'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `messages[${i}].role`,
        "invalid_value",
      );
    }
    if (!Array.isArray(m.content)) continue;
    if (m.content.length === 0) {
      return bad(
        `Invalid 'messages[${i}].content': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
        `messages[${i}].content`,
        "empty_array",
      );
    }
    for (const [j, part] of m.content.entries()) {
      const type = _isRecord(part) ? String(part.type) : "";
      if (!_PART_TYPES.includes(type)) {
        return bad(
          `Invalid value: '${type}'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', 'audio', and 'file'.`,
          `messages[${i}].content[${j}].type`,
          "invalid_value",
        );
      }
    }
  }
  return null;
}

function _unanswered(open: { index: number; ids: Set<string> }, at: number): _Validation {
  return {
    status: 400,
    message: "An assistant message with 'tool_calls' must be followed by tool messages responding to each " +
      `'tool_call_id'. The following tool_call_ids did not have response messages: ${
        [...open.ids].join(", ")
      }`,
    param: `messages.[${at}].role`,
    code: null,
  };
}

function _validateGemini(req: Record<string, unknown>): _Validation | null {
  const unknown = (name: string, at: string | null): _Validation => ({
    status: 400,
    message: `Invalid JSON payload received. Unknown name "${name}"${
      at ? ` at '${at}'` : ""
    }: Cannot find field.`,
    param: null,
    code: null,
  });
  for (const key of Object.keys(req)) {
    if (!GEMINI_TOP_LEVEL_FIELDS.has(key)) return unknown(key, null);
  }
  if (!Array.isArray(req.tools)) return null;
  for (const [i, tool] of req.tools.entries()) {
    if (!_isRecord(tool) || !_isRecord(tool.function)) continue;
    const params = tool.function.parameters;
    if (params === undefined) continue;
    const found = _geminiSchemaProblem(params, `tools[0].function_declarations[${i}].parameters`);
    if (found) return found.kind === "unknown" ? unknown(found.name, found.at) : found.error;
  }
  return null;
}

type _SchemaProblem = { kind: "unknown"; name: string; at: string } | { kind: "error"; error: _Validation };

function _geminiSchemaProblem(schema: unknown, at: string): _SchemaProblem | null {
  if (!_isRecord(schema)) return null;
  for (const key of Object.keys(schema)) {
    if (!GEMINI_SCHEMA_FIELDS.has(key)) return { kind: "unknown", name: key, at };
  }
  if (schema.type !== undefined && typeof schema.type !== "string") {
    return {
      kind: "error",
      error: {
        status: 400,
        message:
          `Invalid value at '${at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), ` +
          JSON.stringify(schema.type),
        param: null,
        code: null,
      },
    };
  }
  if (
    typeof schema.format === "string" && schema.type === "string" &&
    !["enum", "date-time"].includes(schema.format)
  ) {
    return {
      kind: "error",
      error: {
        status: 400,
        message:
          `* GenerateContentRequest.${at}.format: only 'enum' and 'date-time' are supported for STRING type\n`,
        param: null,
        code: null,
      },
    };
  }
  if (_isRecord(schema.properties)) {
    for (const [k, sub] of Object.values(schema.properties).entries()) {
      const found = _geminiSchemaProblem(sub, `${at}.properties[${k}].value`);
      if (found) return found;
    }
  }
  if (schema.items !== undefined) {
    const found = _geminiSchemaProblem(schema.items, `${at}.items`);
    if (found) return found;
  }
  if (Array.isArray(schema.anyOf)) {
    for (const [k, sub] of schema.anyOf.entries()) {
      const found = _geminiSchemaProblem(sub, `${at}.any_of[${k}]`);
      if (found) return found;
    }
  }
  return null;
}
