/**
 * The interface every backend implements. Routes know only this and the Anthropic types.
 *
 * @module
 */
import type {
  CountTokensRequest,
  MessageResponse,
  MessagesRequest,
  StreamEvent,
} from "../anthropic/types.ts";
import type { ModelSpec } from "../models/model_spec.ts";
import type { IdSource } from "../translate/id_source.ts";
import type { WebSearchSpec } from "../web_search/web_search_tool.ts";

export type { IdSource };

/** What a backend call gets besides the request. */
export interface CallContext {
  /** The upstream model the client's model name resolved to. */
  model: string;
  /** Aborted when the client disconnects or the server gives up. */
  signal: AbortSignal;
  /** The id relayx gave this request (for logs only; never sent upstream as a secret). */
  requestId: string;
  /** Records something relayx dropped or changed (sent as `x-relayx-warnings` and logged). */
  warn(message: string): void;
  /** Id generation. */
  ids: IdSource;
  /**
   * The request's `web_search` server tool, which relayx runs itself (`src/web_search/`); the messages route
   * takes it out of the tools before preparing the request.
   */
  webSearch?: WebSearchSpec;
  /** The router reports its trace here whenever it changes (a route chosen, a target tried), for the log line. */
  routed?: (trace: RouteTrace) => void;
}

/** What the router did for one request. */
export interface RouteTrace {
  /** The route that matched. */
  route: string;
  /** The target that served (`NAME` or `NAME/MODEL`), once one has. */
  served?: string;
  /** The upstream model the serving target used. */
  upstreamModel?: string;
  /** Each target tried before it, with the outcome (`gemini/gemini-2.5-pro: 429 rate_limit_error`). */
  tried: string[];
}

/** A model as `GET /v1/models` lists it. */
export interface ModelInfo {
  /** The id clients send. */
  id: string;
  /** A human name. */
  display_name: string;
  /** What it resolves to upstream. */
  upstream: string;
  /** The upstream model's context window, where the lister knows it (the router fills it in per target). */
  contextWindow?: number;
  /** The upstream model's output cap, where the lister knows it. */
  maxOutputTokens?: number;
}

/** The backend kinds relayx has. */
export type BackendKind = "openai_compatible" | "bedrock" | "anthropic" | "router";

/**
 * True for backends that take the request as the client sent it (parsed) and prepare it themselves: the
 * Anthropic pass-through (Anthropic itself runs server tools and tool search, so the request goes as it is;
 * other Anthropic-format upstreams are prepared by its translator) and the router (which prepares per
 * target). Every other backend gets it prepared by the route (`prepareRequest`: server tools, deferred
 * tools, `tool_reference`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(preparesItself("anthropic"), true);
 * assert.equal(preparesItself("bedrock"), false);
 * ```
 */
export function preparesItself(kind: BackendKind): boolean {
  switch (kind) {
    case "anthropic":
    case "router":
      return true;
    case "openai_compatible":
    case "bedrock":
      return false;
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/** A backend: takes Anthropic requests, returns Anthropic messages or stream events. */
export interface Backend {
  /** Which backend this is. */
  readonly kind: BackendKind;
  /** The upstream model for a client's model name (Claude names map to configured models). */
  resolveModel(model: string): Promise<string>;
  /** A complete message. Throws {@linkcode RelayError} on failure. */
  complete(request: MessagesRequest, ctx: CallContext): Promise<MessageResponse>;
  /**
   * Stream events, in batches: each batch holds the events one upstream read produced (never empty), so
   * that the server writes them at once. Failing before the first batch becomes an HTTP error; after it,
   * an `error` event. Returning the iterator early (client gone) must abort the upstream call.
   */
  stream(request: MessagesRequest, ctx: CallContext): AsyncIterable<StreamEvent[]>;
  /**
   * Input tokens of a request as the upstream counts them, or `undefined` where it has no counting API
   * (relayx then counts with its tokenizer).
   */
  countTokens(request: CountTokensRequest, ctx: CallContext): Promise<number | undefined>;
  /** The models `GET /v1/models` lists. */
  listModels(): Promise<ModelInfo[]>;
  /**
   * What the model registry knows of an upstream model as this backend serves it (limits, vision, PDFs);
   * absent on backends without a registry. Drives `/v1/models` limits and the context preflight.
   */
  modelSpec?(model: string): ModelSpec;
  /** One line for the start-up banner: upstream host and model(s). */
  describe(): Promise<string>;
}
