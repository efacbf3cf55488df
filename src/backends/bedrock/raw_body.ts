/**
 * Raw-body plumbing for Bedrock's streaming operations. The SDK still builds, signs and sends the request
 * and turns error statuses into typed exceptions; a successful `application/vnd.amazon.eventstream` body is
 * taken from it before its deserializer runs, and decoded by `translate/bedrock/bedrock_eventstream.ts`.
 *
 * @module
 */
import type {
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";

interface RawResponse {
  statusCode?: number;
  body?: unknown;
}

/**
 * Makes the command hand over its successful response body instead of deserializing it. The returned
 * function gives the body once the command has been sent (undefined if the SDK never saw a 200).
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
 * import { converseEvents } from "../../translate/bedrock/bedrock_eventstream.ts";
 *
 * const client = new BedrockRuntimeClient({ region: "us-east-1" });
 * const command = new ConverseStreamCommand({
 *   modelId: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
 *   messages: [{ role: "user", content: [{ text: "Hello" }] }],
 * });
 * const body = takeRawBody(command);
 * await client.send(command);
 * const raw = body();
 * if (raw) for await (const event of converseEvents(raw)) console.log(event);
 * ```
 */
export function takeRawBody(
  command: ConverseStreamCommand | InvokeModelWithResponseStreamCommand,
): () => ReadableStream<Uint8Array> | undefined {
  let taken: ReadableStream<Uint8Array> | undefined;
  // Registered in the deserialize step with low priority: it runs inside the SDK's deserializer, so it
  // sees the raw HTTP response first. Errors keep their body for the SDK's typed exceptions.
  // The stack's own types tie a middleware to the command's input and output; this one touches neither.
  (command.middlewareStack as { add(mw: unknown, options: Record<string, unknown>): void }).add(
    (next: (args: unknown) => Promise<{ response: unknown; output: unknown }>) => async (args: unknown) => {
      const result = await next(args);
      const response = result.response as RawResponse;
      if (response.statusCode === 200 && response.body instanceof ReadableStream) {
        taken = response.body;
        // The SDK gets an empty stream: it is never read, because relayx reads the real one.
        response.body = new ReadableStream({ start: (c) => c.close() });
      }
      return result;
    },
    { step: "deserialize", priority: "low", name: "relayxRawEventStream", override: true },
  );
  return () => taken;
}
