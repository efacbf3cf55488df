/**
 * One Bedrock call sent by relayx itself (`signed_fetch.ts`), watched by the call's timeouts, and what
 * came of it: the body of a successful answer, or the response for the SDK to read (an error status, an
 * answer of the wrong kind), or nothing when the SDK sends the call itself (bearer auth, no sender).
 *
 * @module
 */
import type { UpstreamWatch } from "../upstream_watch.ts";
import type { BedrockCall } from "./_call.ts";
import type { BedrockOperation } from "./signed_fetch.ts";

/** What a call relayx sent came to. */
export type Sent =
  /** A 200 JSON answer, read whole. */
  | { kind: "json"; bytes: Uint8Array; response: Response }
  /** A 200 event stream, unread. */
  | { kind: "stream"; body: ReadableStream<Uint8Array> }
  /** Anything else, for the SDK's deserializer (`raw_body.ts` `answerWith`). */
  | { kind: "answer"; response: Response };

/** The headers of a JSON request (Converse, and InvokeModel with Anthropic's body). */
export const JSON_HEADERS: Readonly<Record<string, string>> = { "content-type": "application/json" };

/**
 * Sends one call through the backend's signed sender; undefined when it has none (the SDK sends it).
 * `stream` says which successful answer is expected: an event stream, else JSON.
 */
export async function sendSigned(
  call: BedrockCall,
  operation: BedrockOperation,
  body: Uint8Array,
  headers: Record<string, string>,
  modelId: string,
  watch: UpstreamWatch,
): Promise<Sent | undefined> {
  const send = await call.send?.();
  if (!send) return undefined;
  const response = await send(operation, modelId, body, headers, watch.signal);
  watch.headersIn();
  const type = response.headers.get("content-type") ?? "";
  const stream = operation === "converse-stream" || operation === "invoke-with-response-stream";
  // Bedrock's own answers; anything else (an error, a proxy's HTML page) the SDK path judges as before.
  const expected = type === "" || type.includes(stream ? "eventstream" : "json");
  if (response.status !== 200 || !expected || !response.body) {
    // The SDK reads an error body whole: one wait, from the headers.
    watch.reading();
    return { kind: "answer", response };
  }
  if (stream) return { kind: "stream", body: response.body };
  // One wait for the whole body, as the SDK's reading of it was.
  watch.reading();
  return { kind: "json", bytes: await response.bytes(), response };
}
