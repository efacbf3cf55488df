/**
 * What both loops (complete and stream) share: running one search call of the model within the answer's
 * budget, and the blocks and tool results it makes.
 *
 * @module
 */
import type {
  ContentBlock,
  Message,
  MessagesRequest,
  ServerToolUseBlock,
  ToolResultBlock,
  Usage,
  WebSearchToolResultBlock,
} from "../anthropic/types.ts";
import type { CallContext } from "../backends/backend.ts";
import type { SearchOutcome, SearchProvider } from "./search_provider.ts";
import {
  queryOf,
  resultsText,
  searchFunctionTool,
  searchResultBlock,
  type WebSearchSpec,
} from "./web_search_tool.ts";

/** How relayx runs searches. */
export interface SearchSettings {
  /** The search service; without one every search answers `unavailable`. */
  provider?: SearchProvider;
  /** Results per search (default 8). */
  count?: number;
  /** How long one search may take, in milliseconds (default 30,000); then it is `unavailable`. */
  timeoutMs?: number;
}

/** The setting that turns web search on, for the log line when none is configured. */
export const ENABLE_HINT = "set WEB_SEARCH_PROVIDER (searxng, brave or tavily) and WEB_SEARCH_URL or " +
  'WEB_SEARCH_API_KEY, or "webSearch" in the configuration file';

/** Searches per answer when the tool has no `max_uses`. */
export const DEFAULT_MAX_USES = 8;
// Upstream rounds per answer beyond max_uses: the model gets one more to answer after its last search.
const MAX_ROUNDS = 12;

/** One search the model asked for, done. */
export interface DoneSearch {
  /** The `server_tool_use` block the client gets. */
  use: ServerToolUseBlock;
  /** The `web_search_tool_result` block the client gets. */
  result: WebSearchToolResultBlock;
  /** The tool result the upstream model gets, answering its own call id. */
  toolResult: ToolResultBlock;
}

/** The searches of one answer: the budget, the count, and the rounds left. */
export class SearchRun {
  #used = 0;
  #done = 0;
  #rounds = 0;
  #warnedUnavailable = false;

  constructor(
    readonly spec: WebSearchSpec,
    readonly settings: SearchSettings,
    readonly ctx: CallContext,
  ) {}

  /** Searches that ran and answered (`usage.server_tool_use.web_search_requests`). */
  get requests(): number {
    return this.#done;
  }

  /** The request of the next upstream round: the function tool in place of the server tool. */
  roundRequest(request: MessagesRequest, messages: Message[]): MessagesRequest {
    this.#rounds++;
    const tools = [...(request.tools ?? []), searchFunctionTool(this.spec)];
    const choice = request.tool_choice;
    // A forced tool call holds for the first round only, as in Anthropic's own loop: once the model has
    // searched it must be free to answer.
    if (this.#rounds > 1 && (choice?.type === "any" || choice?.type === "tool")) {
      const { disable_parallel_tool_use: parallel } = choice;
      const auto = parallel === undefined
        ? { type: "auto" as const }
        : { type: "auto" as const, disable_parallel_tool_use: parallel };
      return { ...request, messages, tools, tool_choice: auto };
    }
    return { ...request, messages, tools };
  }

  /** True when another upstream round may run after this one. */
  get mayContinue(): boolean {
    return this.#rounds < Math.min(MAX_ROUNDS, (this.spec.maxUses ?? DEFAULT_MAX_USES) + 2);
  }

  /** Runs one call of the model (its upstream id and input) and gives the blocks it makes. */
  async search(callId: string, input: unknown): Promise<DoneSearch> {
    const q = queryOf(input);
    const outcome: SearchOutcome = "code" in q
      ? { ok: false, code: q.code, detail: "" }
      : await this.#run(q.query);
    const id = `srvtoolu_${this.ctx.ids.toolUseId().replace(/^toolu_/, "")}`;
    const result = searchResultBlock(id, outcome);
    return {
      use: { type: "server_tool_use", id, name: "web_search", input: { query: q.query } },
      result,
      toolResult: { type: "tool_result", tool_use_id: callId, content: resultsText(q.query, result.content) },
    };
  }

  async #run(query: string): Promise<SearchOutcome> {
    // Without max_uses the default bounds the searches too: a round may ask for many at once, and the
    // round limit alone would let each of them through.
    if (this.#used >= (this.spec.maxUses ?? DEFAULT_MAX_USES)) {
      return { ok: false, code: "max_uses_exceeded", detail: "" };
    }
    this.#used++;
    const provider = this.settings.provider;
    if (!provider) {
      if (!this.#warnedUnavailable) {
        this.ctx.warn(`web_search: no search provider is configured; ${ENABLE_HINT}`);
      }
      this.#warnedUnavailable = true;
      return { ok: false, code: "unavailable", detail: "" };
    }
    const signal = AbortSignal.any([this.ctx.signal, AbortSignal.timeout(this.settings.timeoutMs ?? 30_000)]);
    let outcome: SearchOutcome;
    try {
      outcome = await provider.search(query, {
        count: this.settings.count ?? 8,
        allowedDomains: this.spec.allowedDomains,
        blockedDomains: this.spec.blockedDomains,
        userLocation: this.spec.userLocation,
        signal,
      });
    } catch (err) {
      // The client left: the answer ends here. Otherwise the search timed out or its provider failed.
      if (this.ctx.signal.aborted) throw this.ctx.signal.reason ?? err;
      outcome = { ok: false, code: "unavailable", detail: `${provider.name} did not answer in time` };
    }
    if (outcome.ok) this.#done++;
    else this.ctx.warn(`web_search: ${outcome.detail} (${outcome.code})`);
    return outcome;
  }
}

/** The next round's messages: the upstream's answer with its calls, then the results as tool results. */
export function nextMessages(messages: Message[], answer: ContentBlock[], done: DoneSearch[]): Message[] {
  return [
    ...messages,
    { role: "assistant", content: answer },
    { role: "user", content: done.map((d) => d.toolResult) },
  ];
}

/** An empty usage. */
export function zeroUsage(): Usage {
  return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
}

/** Adds one round's usage to the sum (thinking details added up where both have them). */
export function addUsage(sum: Usage, round: Usage): void {
  sum.input_tokens += round.input_tokens;
  sum.output_tokens += round.output_tokens;
  sum.cache_creation_input_tokens += round.cache_creation_input_tokens;
  sum.cache_read_input_tokens += round.cache_read_input_tokens;
  const thinking = round.output_tokens_details?.thinking_tokens;
  if (thinking !== undefined) {
    sum.output_tokens_details = {
      thinking_tokens: (sum.output_tokens_details?.thinking_tokens ?? 0) + thinking,
    };
  }
}
