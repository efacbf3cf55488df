/**
 * One of several backends as the router calls it: the history it receives holds only the thinking it
 * can prove (its own signatures untagged, other backends' thinking dropped with one warning), and the
 * signatures it returns, complete or streamed, are tagged with its name (`translate/origin.ts`). This
 * keeps every backend and translator unaware of the others.
 *
 * @module
 */
import type {
  CountTokensRequest,
  MessageResponse,
  MessagesRequest,
  StreamEvent,
} from "../anthropic/types.ts";
import type { Backend, CallContext } from "../backends/backend.ts";
import { droppedWarning, historyFor, tagEvent, tagResponse } from "../translate/origin.ts";

function forBackend<T extends { messages: MessagesRequest["messages"] }>(
  request: T,
  name: string,
  ctx: CallContext,
): T {
  const history = historyFor(request, name);
  const warning = droppedWarning(history.dropped, name);
  if (warning) ctx.warn(warning);
  return history.request;
}

async function* tagged(source: AsyncIterable<StreamEvent[]>, name: string): AsyncGenerator<StreamEvent[]> {
  // Returning early (the client left) returns `source` too, which aborts the upstream call.
  for await (const batch of source) yield batch.map((event) => tagEvent(event, name));
}

/**
 * Wraps the backend named `name` so that signatures travel tagged with that name.
 *
 * @example
 * ```ts
 * import type { Backend } from "../backends/backend.ts";
 *
 * declare const bedrock: Backend;
 * const served = withOrigin(bedrock, "bedrock");
 * ```
 */
export function withOrigin(backend: Backend, name: string): Backend {
  return {
    // Every other member (and any a backend adds later) is the backend's own.
    ...backend,
    async complete(request: MessagesRequest, ctx: CallContext): Promise<MessageResponse> {
      return tagResponse(await backend.complete(forBackend(request, name, ctx), ctx), name);
    },
    stream(request: MessagesRequest, ctx: CallContext): AsyncIterable<StreamEvent[]> {
      return tagged(backend.stream(forBackend(request, name, ctx), ctx), name);
    },
    countTokens(request: CountTokensRequest, ctx: CallContext): Promise<number | undefined> {
      return backend.countTokens(historyFor(request, name).request, ctx);
    },
  };
}
