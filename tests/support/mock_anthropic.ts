/**
 * A scriptable mock of an Anthropic-format Messages upstream (Anthropic, or a server that speaks its
 * format), on 127.0.0.1. It records every request and answers `POST /v1/messages` from a queue of
 * scripted replies in Anthropic's wire format (a message, an SSE stream of `event: x\ndata: {...}`
 * frames, or an error envelope with its status, `request-id` and `retry-after`), falling back to an "ok"
 * message. `POST /v1/messages/count_tokens` answers `{input_tokens: 42}`; `GET /v1/models` lists two.
 *
 * @module
 */

/** A request the mock received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Headers;
  body: Record<string, unknown> | undefined;
}

/** One stream event as Anthropic sends it (its `type` also names the SSE event). */
export type WireEvent = { type: string } & Record<string, unknown>;

/** A scripted reply. */
export type MockReply =
  | { kind: "message"; message: Record<string, unknown> }
  /** `cut`: the connection ends after the events, without the rest of the message. */
  | { kind: "stream"; events: WireEvent[]; cut?: boolean }
  | { kind: "error"; status: number; type: string; message: string; retryAfter?: string }
  /** Sends the events (none: not even the headers), then nothing more until relayx hangs up. */
  | { kind: "hang"; events: WireEvent[] };

/** The running mock. */
export interface MockAnthropic extends AsyncDisposable {
  url: string;
  requests: RecordedRequest[];
  /** How many requests relayx aborted (closed the connection of) before their answer was complete. */
  aborted: number;
  enqueue(...replies: MockReply[]): void;
  close(): Promise<void>;
}

let serial = 0;

/** A complete message with the given blocks. */
export function message(content: Record<string, unknown>[], stopReason = "end_turn"): MockReply {
  return {
    kind: "message",
    message: {
      id: `msg_up_${++serial}`,
      type: "message",
      role: "assistant",
      model: "upstream-model",
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: {
        input_tokens: 21,
        output_tokens: 5,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    },
  };
}

/** The events of a streamed message with the given blocks (each block's text or input in one delta). */
export function streamEvents(blocks: Record<string, unknown>[], stopReason = "end_turn"): WireEvent[] {
  const events: WireEvent[] = [{
    type: "message_start",
    message: {
      id: `msg_up_${++serial}`,
      type: "message",
      role: "assistant",
      model: "upstream-model",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 21,
        output_tokens: 1,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    },
  }, { type: "ping" }];
  blocks.forEach((b, index) => {
    switch (b.type) {
      case "text":
        events.push(
          { type: "content_block_start", index, content_block: { type: "text", text: "" } },
          { type: "content_block_delta", index, delta: { type: "text_delta", text: b.text } },
        );
        break;
      case "thinking":
        events.push(
          {
            type: "content_block_start",
            index,
            content_block: { type: "thinking", thinking: "", signature: "" },
          },
          { type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: b.thinking } },
          { type: "content_block_delta", index, delta: { type: "signature_delta", signature: b.signature } },
        );
        break;
      case "tool_use":
        events.push(
          {
            type: "content_block_start",
            index,
            content_block: { type: "tool_use", id: b.id, name: b.name, input: {} },
          },
          {
            type: "content_block_delta",
            index,
            delta: { type: "input_json_delta", partial_json: JSON.stringify(b.input) },
          },
        );
        break;
    }
    events.push({ type: "content_block_stop", index });
  });
  events.push(
    {
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: 7 },
    },
    { type: "message_stop" },
  );
  return events;
}

function frame(e: WireEvent): string {
  return `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}

function answer(reply: Exclude<MockReply, { kind: "hang" }>, requestId: string): Response {
  const headers = new Headers({ "request-id": requestId });
  switch (reply.kind) {
    case "message":
      headers.set("content-type", "application/json");
      return new Response(JSON.stringify(reply.message), { headers });
    case "error":
      headers.set("content-type", "application/json");
      headers.set("x-should-retry", reply.status >= 429 ? "true" : "false");
      if (reply.retryAfter) headers.set("retry-after", reply.retryAfter);
      return new Response(
        JSON.stringify({
          type: "error",
          error: { type: reply.type, message: reply.message },
          request_id: requestId,
        }),
        { status: reply.status, headers },
      );
    case "stream": {
      headers.set("content-type", "text/event-stream; charset=utf-8");
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const e of reply.events) controller.enqueue(encoder.encode(frame(e)));
        },
        // Called once the frames above have been taken: a cut errors the body, so the server resets the
        // connection after sending them instead of finishing the response.
        pull(controller) {
          if (reply.cut) controller.error(new Error("connection cut"));
          else controller.close();
        },
      }, { highWaterMark: 0 });
      return new Response(body, { headers });
    }
  }
}

// Without events, the headers never come; with them, the stream stays open after them. Either way the
// reply ends only when relayx closes the connection, which is counted.
async function hang(
  events: WireEvent[],
  signal: AbortSignal,
  requestId: string,
  onAbort: () => void,
): Promise<Response> {
  const gone = new Promise<void>((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
  void gone.then(onAbort);
  if (events.length === 0) {
    await gone;
    return new Response(null, { status: 499 });
  }
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const e of events) controller.enqueue(encoder.encode(frame(e)));
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "request-id": requestId } });
}

/** Starts the mock on a free loopback port. */
export function startMockAnthropic(): MockAnthropic {
  const requests: RecordedRequest[] = [];
  const queue: MockReply[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const text = await req.text();
    const body = text ? JSON.parse(text) as Record<string, unknown> : undefined;
    requests.push({ method: req.method, path: url.pathname, headers: req.headers, body });
    const requestId = `req_up_${requests.length}`;
    if (url.pathname === "/v1/messages/count_tokens") {
      return Response.json({ input_tokens: 42 }, { headers: { "request-id": requestId } });
    }
    if (url.pathname === "/v1/models") {
      return Response.json({
        data: [
          { type: "model", id: "claude-sonnet-4-5", display_name: "Claude Sonnet 4.5" },
          { type: "model", id: "claude-haiku-4-5", display_name: "Claude Haiku 4.5" },
        ],
        has_more: false,
      });
    }
    if (url.pathname !== "/v1/messages") {
      return answer({ kind: "error", status: 404, type: "not_found_error", message: "Not found" }, requestId);
    }
    const reply = queue.shift() ?? message([{ type: "text", text: "ok" }]);
    if (body?.stream === true && reply.kind === "message") {
      return answer({
        kind: "stream",
        events: streamEvents(reply.message.content as Record<string, unknown>[]),
      }, requestId);
    }
    if (reply.kind === "hang") return await hang(reply.events, req.signal, requestId, () => mock.aborted++);
    return answer(reply, requestId);
  });
  const close = () => server.shutdown();
  const mock: MockAnthropic = {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    aborted: 0,
    enqueue: (...replies) => void queue.push(...replies),
    close,
    [Symbol.asyncDispose]: close,
  };
  return mock;
}
