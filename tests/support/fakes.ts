/**
 * A scripted fake backend for route tests: no upstream, no socket.
 */
import type { MessageResponse, StreamEvent } from "../../src/anthropic/types.ts";
import type { Backend, CallContext, ModelInfo } from "../../src/backends/backend.ts";
import type { MessagesRequest } from "../../src/anthropic/types.ts";

/** What the fake saw. */
export interface FakeCall {
  request: MessagesRequest;
  ctx: CallContext;
}

/** A fake backend whose replies the test sets. */
export interface FakeBackend extends Backend {
  calls: FakeCall[];
  reply: MessageResponse | Error;
  events: (StreamEvent | Error)[];
  /** Delay before each stream event, in ms. */
  delayMs: number;
  /** Resolves when a stream was returned early or aborted. */
  aborted: PromiseWithResolvers<void>;
}

/** A text message with fixed ids. */
export function textMessage(text: string, model = "claude-opus-5-5"): MessageResponse {
  return {
    id: "msg_fake",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

/** The events of a streamed text message. */
export function textEvents(pieces: string[], model = "claude-opus-5-5"): StreamEvent[] {
  return [
    {
      type: "message_start",
      message: {
        id: "msg_fake",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: 10,
          output_tokens: 1,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
      },
    },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    ...pieces.map((text): StreamEvent => ({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text },
    })),
    { type: "content_block_stop", index: 0 },
    {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: pieces.length },
    },
    { type: "message_stop" },
  ];
}

/** Creates a fake backend. */
export function fakeBackend(): FakeBackend {
  const fake: FakeBackend = {
    kind: "openai_compatible",
    calls: [],
    reply: textMessage("Hello"),
    events: textEvents(["Hel", "lo"]),
    delayMs: 0,
    aborted: Promise.withResolvers<void>(),
    resolveModel: (model: string) => Promise.resolve(model.includes("claude") ? "upstream-model" : model),
    complete(request: MessagesRequest, ctx: CallContext): Promise<MessageResponse> {
      fake.calls.push({ request, ctx });
      return fake.reply instanceof Error ? Promise.reject(fake.reply) : Promise.resolve(fake.reply);
    },
    async *stream(request: MessagesRequest, ctx: CallContext): AsyncGenerator<StreamEvent[]> {
      fake.calls.push({ request, ctx });
      let done = false;
      try {
        for (const e of fake.events) {
          if (fake.delayMs) {
            await new Promise<void>((resolve, reject) => {
              const t = setTimeout(resolve, fake.delayMs);
              ctx.signal.addEventListener("abort", () => {
                clearTimeout(t);
                reject(new Error("aborted"));
              }, { once: true });
            });
          }
          if (e instanceof Error) throw e;
          // One event per batch: the route must cope with the smallest batches.
          yield [e];
        }
        done = true;
      } finally {
        if (!done) fake.aborted.resolve();
      }
    },
    countTokens: () => Promise.resolve(42),
    listModels: (): Promise<ModelInfo[]> =>
      Promise.resolve([{ id: "claude-opus-5-5", display_name: "Sonnet", upstream: "upstream-model" }]),
    describe: () => Promise.resolve("fake"),
  };
  return fake;
}
