/**
 * The context preflight: a request whose input, by relayx's estimate, exceeds the target model's context
 * window is answered at once with Anthropic's own overflow error (`prompt is too long: N tokens > M
 * maximum`), without a round trip, so that Claude Code compacts at once instead of meeting an upstream's
 * vague error or, on local servers, a silently truncated prompt. Only where the model registry knows the
 * window.
 *
 * @module
 */
import type { MessageResponse, MessagesRequest, StreamEvent } from "../anthropic/types.ts";
import { contextOverflowError, type RelayError } from "../errors.ts";
import { estimateInputTokens, type EstimateOptions } from "../tokens.ts";
import { preparedView } from "../translate/prepare.ts";
import { type Backend, type CallContext, preparesItself } from "./backend.ts";

/**
 * The overflow error for a request that cannot fit a window, or undefined when it fits (or the window is
 * unknown).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const request = {
 *   model: "m",
 *   max_tokens: 1,
 *   messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "x".repeat(9000) }] }],
 * };
 * assert.equal(preflight(request, 1000)?.message, "prompt is too long: 2000 tokens > 1000 maximum");
 * assert.equal(preflight(request, undefined), undefined);
 * ```
 */
export function preflight(
  request: MessagesRequest,
  window: number | undefined,
  options: EstimateOptions = {},
): RelayError | undefined {
  if (window === undefined) return undefined;
  const estimate = estimateInputTokens(request, options);
  // The same wording relayx gives an upstream's own overflow, with relayx's figures.
  return estimate > window ? contextOverflowError("", estimate, window) : undefined;
}

function failing(err: RelayError): AsyncIterable<StreamEvent[]> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.reject(err),
      return: () => Promise.resolve({ done: true as const, value: undefined }),
    }),
  };
}

/**
 * A backend with the context preflight in front of `complete` and `stream`; a backend without
 * `modelSpec` is returned as it is.
 *
 * @example
 * ```ts
 * import { createOpenAIBackend } from "./openai.ts";
 *
 * const backend = guardContext(createOpenAIBackend({
 *   kind: "openai_compatible",
 *   apiKey: "",
 *   baseUrl: "http://localhost:11434/v1",
 *   model: "qwen3-coder",
 *   smallModel: "qwen3-coder",
 *   provider: "ollama",
 * }));
 * ```
 */
export function guardContext(backend: Backend, options: GuardOptions = {}): Backend {
  const spec = backend.modelSpec;
  if (!spec) return backend;
  const check = (request: MessagesRequest, ctx: CallContext) => {
    const model = spec(ctx.model);
    // An unknown window checks nothing: no walk of the request at all.
    if (model.contextWindow === undefined) return undefined;
    // Only a model known to read PDFs gets them as documents; elsewhere relayx sends their text, which a
    // PDF's size would overstate many times (a false overflow would send Claude Code compacting for ever).
    const pdfTextMaxChars = model.pdf === true ? undefined : options.pdfTextMaxChars;
    // A backend that prepares requests itself gets them as sent: estimate what its upstream reads.
    const read = preparesItself(backend.kind) ? preparedView(request) : request;
    return preflight(read, model.contextWindow, pdfTextMaxChars === undefined ? {} : { pdfTextMaxChars });
  };
  return {
    // Every other member (the model facts, and any a backend adds later) is the backend's own.
    ...backend,
    complete(request: MessagesRequest, ctx: CallContext): Promise<MessageResponse> {
      const err = check(request, ctx);
      return err ? Promise.reject(err) : backend.complete(request, ctx);
    },
    stream(request: MessagesRequest, ctx: CallContext): AsyncIterable<StreamEvent[]> {
      // An iterable that fails on its first read: the error comes before the first batch, as an HTTP error.
      const err = check(request, ctx);
      return err ? failing(err) : backend.stream(request, ctx);
    },
  };
}

/** Options of {@linkcode guardContext}. */
export interface GuardOptions {
  /** The most characters of text relayx sends in place of a PDF (`RELAYX_PDF_TEXT_MAX_CHARS`). */
  pdfTextMaxChars?: number;
}
