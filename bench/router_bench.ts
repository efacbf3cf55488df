/**
 * `deno bench bench/router_bench.ts`: the router's own cost per request, in process and without sockets,
 * so that it shows apart from the machine's noise: a backend that answers at once, called directly (what
 * main.ts does for environment variables and for one route to one bare `NAME`), and through the router
 * with one route to `NAME/MODEL` and with a typical file's routes (haiku, then main with a fallback).
 * The request is the bench's real Claude Code request; a stream is 250 batches of text deltas.
 *
 * @module
 */
import { parseMessagesRequest } from "../src/anthropic/parse.ts";
import type { MessageResponse, MessagesRequest, StreamEvent } from "../src/anthropic/types.ts";
import type { Backend, CallContext } from "../src/backends/backend.ts";
import type { RouteConfig } from "../src/config.ts";
import { randomIds } from "../src/ids.ts";
import { createRouter } from "../src/routing/router.ts";
import { claudeCodeBody } from "./fixtures.ts";

const BATCHES = 250;

const MESSAGE: MessageResponse = {
  id: "msg_bench",
  type: "message",
  role: "assistant",
  model: "mock",
  content: [{ type: "text", text: "ok" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
};

const BATCH: StreamEvent[] = [{
  type: "content_block_delta",
  index: 0,
  delta: { type: "text_delta", text: "ok" },
}];

/** A backend that answers at once: what is measured is what is around it. */
const instant: Backend = {
  kind: "openai_compatible",
  resolveModel: () => Promise.resolve("mock"),
  complete: () => Promise.resolve(MESSAGE),
  async *stream() {
    for (let i = 0; i < BATCHES; i++) yield BATCH;
  },
  countTokens: () => Promise.resolve(undefined),
  listModels: () => Promise.resolve([]),
  describe: () => Promise.resolve("instant"),
};

const oneRoute: RouteConfig[] = [{ name: "routes[0]", match: {}, to: [{ backend: "mock", model: "mock" }] }];
const typical: RouteConfig[] = [
  { name: "background", match: { model: ["claude-haiku-*"] }, to: [{ backend: "mock", model: "small" }] },
  { name: "main", match: {}, to: [{ backend: "mock" }, { backend: "other", model: "mock" }] },
];

const setups: [string, Backend][] = [
  ["the backend directly (env, or one route to NAME)", instant],
  ["router, one route to NAME/MODEL", createRouter({ backends: { mock: instant }, routes: oneRoute })],
  [
    "router, haiku route then main with a fallback",
    createRouter({ backends: { mock: instant, other: instant }, routes: typical }),
  ],
];

const request: MessagesRequest = parseMessagesRequest(
  JSON.parse(new TextDecoder().decode(claudeCodeBody(false))),
);

function context(): CallContext {
  return {
    model: "mock",
    signal: new AbortController().signal,
    requestId: "req_bench",
    warn: () => {},
    ids: randomIds,
    routed: () => {},
  };
}

for (const [name, backend] of setups) {
  Deno.bench({
    name: `complete: ${name}`,
    group: "complete",
    baseline: backend === instant,
    async fn() {
      await backend.complete(request, context());
    },
  });
  Deno.bench({
    name: `stream of ${BATCHES} batches: ${name}`,
    group: "stream",
    baseline: backend === instant,
    async fn() {
      for await (const _ of backend.stream({ ...request, stream: true }, context())) { /* drained */ }
    },
  });
}
