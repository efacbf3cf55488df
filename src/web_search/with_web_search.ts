/**
 * Anthropic's `web_search` server tool on any backend: relayx runs the search itself. The upstream sees
 * an ordinary function tool in its place; each time the model calls it, relayx searches, hands the results
 * back as the tool's result and calls the upstream again, all within the one answer the client gets,
 * which holds exactly Anthropic's blocks: `server_tool_use`, `web_search_tool_result`, then the model's
 * text, with `usage.server_tool_use.web_search_requests` and every round's tokens added up. Searches from
 * earlier turns become text the model reads. An upstream that runs server tools itself (Anthropic) gets
 * the tool and the `tool_choice` as the client sent them instead, and its own earlier searches as they
 * were; relayx's, which it cannot read, as text.
 *
 * @module
 */
import type {
  ContentBlock,
  MessageResponse,
  MessagesRequest,
  ResponseBlock,
  StreamEvent,
} from "../anthropic/types.ts";
import type { Backend, CallContext } from "../backends/backend.ts";
import { searchStream } from "./_search_stream.ts";
import {
  addUsage,
  type DoneSearch,
  nextMessages,
  SearchRun,
  type SearchSettings,
  zeroUsage,
} from "./_search_run.ts";
import { relayxSearchesAsText, searchHistoryAsText } from "./search_history.ts";
import { searchFunctionTool } from "./web_search_tool.ts";

export type { SearchSettings } from "./_search_run.ts";

/** Who runs web searches for a backend. */
export type WebSearchMode = "relayx" | "upstream";

/** How {@linkcode withWebSearch} runs searches for one backend. */
export interface WebSearchOptions extends SearchSettings {
  /** `relayx` (default): relayx searches; `upstream`: the upstream runs Anthropic's server tool itself. */
  mode?: WebSearchMode;
}

async function completeWithSearch(
  backend: Backend,
  request: MessagesRequest,
  run: SearchRun,
): Promise<MessageResponse> {
  const ctx = run.ctx;
  const usage = zeroUsage();
  const content: ResponseBlock[] = [];
  let messages = request.messages;
  for (;;) {
    const answer = await backend.complete(run.roundRequest(request, messages), ctx);
    addUsage(usage, answer.usage);
    const calls = answer.content.filter((b) => b.type === "tool_use" && b.name === run.spec.name);
    content.push(...answer.content.filter((b) => !calls.includes(b)));
    const done: DoneSearch[] = [];
    for (const call of calls) {
      if (call.type !== "tool_use") continue;
      const search = await run.search(call.id, call.input);
      done.push(search);
      content.push(search.use, search.result);
    }
    const clientCalls = answer.content.some((b) => b.type === "tool_use" && !calls.includes(b));
    if (calls.length === 0 || clientCalls || !run.mayContinue) {
      const stop = calls.length === 0 || clientCalls ? answer.stop_reason : "end_turn";
      return {
        ...answer,
        content,
        stop_reason: stop,
        usage: { ...usage, server_tool_use: { web_search_requests: run.requests } },
      };
    }
    messages = nextMessages(messages, answer.content as ContentBlock[], done);
  }
}

function withHistory<T extends { messages: MessagesRequest["messages"] }>(request: T): T {
  const messages = searchHistoryAsText(request.messages);
  return messages === request.messages ? request : { ...request, messages };
}

// The upstream runs the server tool: it gets the tool and a tool_choice naming it back, as the client sent
// them, and relayx's searches from earlier turns as text.
function upstreamRequest<T extends Pick<MessagesRequest, "messages" | "tools" | "tool_choice">>(
  request: T,
  ctx: CallContext,
): T {
  const messages = relayxSearchesAsText(request.messages);
  const spec = ctx.webSearch;
  const out = messages === request.messages ? request : { ...request, messages };
  if (!spec) return out;
  return {
    ...out,
    tools: [...(request.tools ?? []), spec.tool],
    ...(spec.toolChoice ? { tool_choice: spec.toolChoice } : {}),
  };
}

// The first round's request as relayx sends it: the stand-in function tool in place of the server tool.
function relayxRequest<T extends Pick<MessagesRequest, "messages" | "tools">>(
  request: T,
  ctx: CallContext,
): T {
  const prepared = withHistory(request);
  const spec = ctx.webSearch;
  return spec ? { ...prepared, tools: [...(prepared.tools ?? []), searchFunctionTool(spec)] } : prepared;
}

/**
 * A backend that runs the request's `web_search` tool (`ctx.webSearch`, which the messages route reads
 * from the request before preparing it) around `backend`.
 *
 * @example
 * ```ts
 * import { createOpenAIBackend } from "../backends/openai.ts";
 * import { createSearchProvider } from "./create_provider.ts";
 *
 * const backend = withWebSearch(
 *   createOpenAIBackend({
 *     kind: "openai_compatible",
 *     baseUrl: "http://localhost:11434/v1",
 *     apiKey: "",
 *     model: "qwen3-coder",
 *     smallModel: "qwen3-coder",
 *     provider: "ollama",
 *   }),
 *   { provider: createSearchProvider({ provider: "searxng", url: "http://127.0.0.1:8888" }) },
 * );
 * console.log(backend.kind); // "openai_compatible"
 * ```
 */
export function withWebSearch(backend: Backend, options: WebSearchOptions): Backend {
  const upstream = options.mode === "upstream";
  return {
    kind: backend.kind,
    resolveModel: (model) => backend.resolveModel(model),
    // What the upstream's first round gets is counted: the tool it sees, and the history as it reads it.
    countTokens: (request, ctx) =>
      backend.countTokens(upstream ? upstreamRequest(request, ctx) : relayxRequest(request, ctx), ctx),
    listModels: () => backend.listModels(),
    describe: () => backend.describe(),
    // The registry's facts stay visible to the context preflight and the router around this wrapper.
    ...(backend.modelSpec && { modelSpec: backend.modelSpec }),
    complete(request: MessagesRequest, ctx: CallContext): Promise<MessageResponse> {
      if (upstream) return backend.complete(upstreamRequest(request, ctx), ctx);
      const spec = ctx.webSearch;
      const prepared = withHistory(request);
      if (!spec) return backend.complete(prepared, ctx);
      return completeWithSearch(backend, prepared, new SearchRun(spec, options, ctx));
    },
    stream(request: MessagesRequest, ctx: CallContext): AsyncIterable<StreamEvent[]> {
      if (upstream) return backend.stream(upstreamRequest(request, ctx), ctx);
      const spec = ctx.webSearch;
      const prepared = withHistory(request);
      if (!spec) return backend.stream(prepared, ctx);
      return searchStream(backend, prepared, new SearchRun(spec, options, ctx));
    },
  };
}
