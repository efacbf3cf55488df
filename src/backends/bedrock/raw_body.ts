/**
 * Raw-response plumbing for Bedrock calls, as middleware that sees the HTTP response before the SDK's
 * deserializer: it tells the call's {@linkcode UpstreamWatch} when the headers are in, and watches the
 * body's reads; or hands the SDK a response relayx already has (`signed_fetch.ts`), so that the SDK's
 * deserializer reads it (typed exceptions) without sending the call again. For the streaming operations the SDK still builds, signs and sends the request and turns
 * error statuses into typed exceptions; a successful `application/vnd.amazon.eventstream` body is taken
 * from it before its deserializer runs, and decoded by `translate/bedrock/bedrock_eventstream.ts`.
 *
 * @module
 */
import type {
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { RelayError } from "../../errors.ts";
import type { UpstreamWatch } from "../upstream_watch.ts";

interface RawResponse {
  statusCode?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

type Next = (args: unknown) => Promise<{ response: unknown; output: unknown }>;

// The stack's own types tie a middleware to the command's input and output; these touch neither.
function addMiddleware(
  command: { middlewareStack: unknown },
  name: string,
  middleware: (next: Next) => (args: unknown) => Promise<{ response: unknown; output: unknown }>,
): void {
  // Registered in the deserialize step with low priority: it runs inside the SDK's deserializer, so it
  // sees the raw HTTP response first. Errors keep their body for the SDK's typed exceptions.
  (command.middlewareStack as { add(mw: unknown, options: Record<string, unknown>): void }).add(
    middleware,
    { step: "deserialize", priority: "low", name, override: true },
  );
}

/**
 * Makes a non-streaming command report its response headers to `watch` and its body (answer or error)
 * as one wait, so that a body that stalls after its headers ends the call. A 200 that is not JSON
 * (an HTML page from a proxy) fails the call.
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
 * import { DEFAULT_LIMITS } from "../../limits.ts";
 * import { UpstreamWatch } from "../upstream_watch.ts";
 *
 * const client = new BedrockRuntimeClient({ region: "us-east-1" });
 * const command = new ConverseCommand({
 *   modelId: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
 *   messages: [{ role: "user", content: [{ text: "Hello" }] }],
 * });
 * const watch = new UpstreamWatch(new AbortController().signal, DEFAULT_LIMITS, "Bedrock");
 * watchBody(command, watch);
 * try {
 *   console.log(await client.send(command, { abortSignal: watch.signal }));
 * } finally {
 *   watch.end(false);
 * }
 * ```
 */
export function watchBody(
  command: ConverseCommand | InvokeModelCommand | CountTokensCommand,
  watch: UpstreamWatch,
): void {
  addMiddleware(command, "relayxWatchBody", (next) => async (args) => {
    const result = await next(args);
    watch.headersIn();
    // The SDK reads the whole body next: one wait, from the headers.
    watch.reading();
    const response = result.response as RawResponse;
    const type = response.headers?.["content-type"] ?? "";
    if (response.statusCode === 200 && type !== "" && !type.includes("json")) {
      // An HTML page from a proxy or captive portal: not Bedrock's answer, and no fault of the client's.
      if (response.body instanceof ReadableStream) await response.body.cancel().catch(() => {});
      throw new RelayError(
        "api_error",
        `Bedrock answered HTTP 200 with content-type "${type.slice(0, 80)}" instead of JSON`,
      );
    }
    return result;
  });
}

/**
 * Makes the command hand over its successful response body instead of deserializing it, and report its
 * response headers to `watch`. The returned function gives the body once the command has been sent
 * (undefined if the SDK never saw a 200). A 200 that is not an event stream (an HTML page from a proxy)
 * fails the call.
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
 * import { converseEvents } from "../../translate/bedrock/bedrock_eventstream.ts";
 * import { DEFAULT_LIMITS } from "../../limits.ts";
 * import { UpstreamWatch } from "../upstream_watch.ts";
 *
 * const client = new BedrockRuntimeClient({ region: "us-east-1" });
 * const command = new ConverseStreamCommand({
 *   modelId: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
 *   messages: [{ role: "user", content: [{ text: "Hello" }] }],
 * });
 * const watch = new UpstreamWatch(new AbortController().signal, DEFAULT_LIMITS, "Bedrock");
 * const body = takeRawBody(command, watch);
 * await client.send(command, { abortSignal: watch.signal });
 * const raw = body();
 * if (raw) for await (const event of converseEvents(raw)) console.log(event);
 * watch.end(false);
 * ```
 */
export function takeRawBody(
  command: ConverseStreamCommand | InvokeModelWithResponseStreamCommand,
  watch: UpstreamWatch,
): () => ReadableStream<Uint8Array> | undefined {
  let taken: ReadableStream<Uint8Array> | undefined;
  addMiddleware(command, "relayxRawEventStream", (next) => async (args) => {
    const result = await next(args);
    watch.headersIn();
    const response = result.response as RawResponse;
    if (response.statusCode === 200 && response.body instanceof ReadableStream) {
      const type = response.headers?.["content-type"] ?? "";
      if (type !== "" && !type.includes("eventstream")) {
        await response.body.cancel().catch(() => {});
        throw new RelayError(
          "api_error",
          `Bedrock answered a stream request with content-type "${
            type.slice(0, 80)
          }" instead of an event stream`,
        );
      }
      taken = response.body;
      // The SDK gets an empty stream: it is never read, because relayx reads the real one.
      response.body = new ReadableStream({ start: (c) => c.close() });
    } else {
      // An error body, read whole by the SDK for its typed exception: one wait, from the headers.
      watch.reading();
    }
    return result;
  });
  return () => taken;
}

/**
 * Makes the command take `response` (already received for the same call, sent by `signed_fetch.ts`) as
 * its answer instead of sending the request: the SDK then reads it exactly as if it had fetched it
 * (an error status becomes its typed exception). `body` replaces the response's body when relayx has
 * read it already. Add it after the other middleware of this module: it must be the innermost.
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
 *
 * const client = new BedrockRuntimeClient({ region: "us-east-1" });
 * const command = new ConverseCommand({ modelId: "us.amazon.nova-pro-v1:0", messages: [] });
 * const answer = new Response('{"message":"Too many requests"}', {
 *   status: 429,
 *   headers: { "x-amzn-errortype": "ThrottlingException" },
 * });
 * answerWith(command, answer);
 * await client.send(command).catch((err) => console.log(err.name)); // "ThrottlingException"
 * ```
 */
export function answerWith(
  command:
    | ConverseCommand
    | ConverseStreamCommand
    | InvokeModelCommand
    | InvokeModelWithResponseStreamCommand,
  response: Response,
  body?: Uint8Array,
): void {
  // The shape of the SDK's fetch handler's answer: lower-case header names, the body as a stream.
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => headers[name] = value);
  const answer: RawResponse & { reason: string } = {
    statusCode: response.status,
    reason: response.statusText,
    headers,
    body: body ?? response.body ?? new Uint8Array(),
  };
  addMiddleware(
    command,
    "relayxAnswered",
    () => () => Promise.resolve({ response: answer, output: undefined }),
  );
}
