/**
 * The traffic of the secret grep (tests/secrets_test.ts): the credentials relayx is given, and the
 * requests sent through it with what the mock upstream answers each with (every error shape the mocks
 * send, quoting the credentials).
 *
 * @module
 */
import {
  anthropicEvents,
  BEDROCK_EXCEPTION_STATUS,
  bedrockError,
  chunkEvent,
  converseOutput,
  converseStream,
  invokeMessage,
  invokeStream,
  type MockBedrockReply,
} from "./mock_bedrock.ts";
import {
  completion,
  geminiError,
  type MockOpenAIReply,
  openAIError,
  textStream,
  toolCallStream,
} from "./mock_openai.ts";

/** Distinctive credentials: none may show anywhere. */
export const SECRETS = {
  RELAYX_API_KEY: "rlx-client-SECRET-7f3a9c1e5b",
  OPENAI_API_KEY: "opn-upstream-SECRET-2d8e4b6a0c",
  AWS_ACCESS_KEY_ID: "AKIARELAYXSECRET7Q2Z",
  AWS_SECRET_ACCESS_KEY: "aws-secret-SECRET-9b1c3d5e7f",
  AWS_SESSION_TOKEN: "aws-session-SECRET-4a6c8e0b2d",
  AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key-SECRET-6e8a0c2b4d",
};
/** Every credential. */
export const ALL: string[] = Object.values(SECRETS);
/** The credentials each run gives relayx. */
export const OPENAI_ENV: Record<string, string> = {
  RELAYX_API_KEY: SECRETS.RELAYX_API_KEY,
  OPENAI_API_KEY: SECRETS.OPENAI_API_KEY,
};
export const SIGV4_ENV: Record<string, string> = {
  RELAYX_API_KEY: SECRETS.RELAYX_API_KEY,
  AWS_ACCESS_KEY_ID: SECRETS.AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY: SECRETS.AWS_SECRET_ACCESS_KEY,
  AWS_SESSION_TOKEN: SECRETS.AWS_SESSION_TOKEN,
};
export const BEARER_ENV: Record<string, string> = {
  RELAYX_API_KEY: SECRETS.RELAYX_API_KEY,
  AWS_BEARER_TOKEN_BEDROCK: SECRETS.AWS_BEARER_TOKEN_BEDROCK,
};
const WRONG_KEY = "wrong-client-key-0000";

/** Base64 of a (Latin-1) string. */
export function base64(s: string): string {
  return btoa(s);
}

/** One request and what the upstream answers it with. */
export interface Case {
  name: string;
  replies?: (MockOpenAIReply | MockBedrockReply)[];
  path?: string;
  method?: string;
  /** Request headers besides content-type (default: the right `x-api-key`). */
  headers?: Record<string, string>;
  /** A JSON value, or a string sent as is. */
  body?: unknown;
  /** The status expected, when the case is about it. */
  status?: number;
}

const messages = (text: string, extra: Record<string, unknown> = {}) => ({
  model: "claude-opus-5-5",
  max_tokens: 64,
  messages: [{ role: "user", content: text }],
  ...extra,
});
const TOOLS = [{
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
}];

/** Requests that need no upstream: access checks, bad input, routes without a backend call. */
export function commonCases(): Case[] {
  return [
    { name: "health", path: "/health", method: "GET", headers: {} },
    { name: "models", path: "/v1/models", method: "GET" },
    { name: "model by id", path: "/v1/models/claude-opus-5-5", method: "GET" },
    { name: "unknown route", path: "/v1/nothing", method: "GET", status: 404 },
    { name: "no key", headers: {}, body: messages("Hi"), status: 401 },
    { name: "wrong key", headers: { "x-api-key": WRONG_KEY }, body: messages("Hi"), status: 401 },
    {
      name: "wrong bearer",
      headers: { authorization: `Bearer ${WRONG_KEY}` },
      body: messages("Hi"),
      status: 401,
    },
    {
      name: "key prefix",
      headers: { "x-api-key": SECRETS.RELAYX_API_KEY.slice(0, -1) },
      body: messages("Hi"),
    },
    // The client's own body quoting a key: the JSON.parse message would cut and show it.
    { name: "invalid JSON quoting a key", body: `{"model": ${SECRETS.RELAYX_API_KEY}}`, status: 400 },
    { name: "missing field", body: { model: "claude-opus-5-5", messages: [] }, status: 400 },
    { name: "wrong type", body: messages("Hi", { max_tokens: "lots" }), status: 400 },
    { name: "bad block", body: { ...messages("Hi"), messages: [{ role: "user", content: [{ type: 7 }] }] } },
    { name: "10 MB model name", body: messages("Hi", { model: "m".repeat(10 * 1024 * 1024) }) },
    {
      name: "count tokens",
      path: "/v1/messages/count_tokens",
      body: { model: "claude-opus-5-5", messages: [{ role: "user", content: "Hi" }] },
    },
  ];
}

/** `QUOTE`: what the upstream quotes, every credential relayx was given at once. */
export function openAICases(QUOTE: string): Case[] {
  const first = {
    choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, finish_reason: null }],
  };
  const streamed = messages("Hi", { stream: true });
  const cases: Case[] = [
    { name: "text", replies: [completion({ text: "Hello" })], body: messages("Hi") },
    { name: "stream", replies: [textStream("Hello there")], body: streamed },
    {
      name: "tool use stream",
      replies: [toolCallStream([{ id: "call_1", name: "get_weather", args: { city: "Paris" } }])],
      body: messages("Weather?", { stream: true, tools: TOOLS }),
    },
    {
      name: "tool use",
      replies: [completion({ toolCalls: [{ id: "call_2", name: "get_weather", args: { city: "Oslo" } }] })],
      body: messages("Weather?", { tools: TOOLS }),
    },
    {
      name: "malformed first chunk",
      replies: [{ kind: "stream", chunks: [`data: ${QUOTE}\n\n`] }],
      body: streamed,
    },
    {
      name: "malformed chunk mid-stream",
      replies: [{ kind: "stream", chunks: [first, `data: {"k": ${QUOTE}}\n\n`] }],
      body: streamed,
    },
    {
      name: "error object mid-stream",
      replies: [{
        kind: "stream",
        chunks: [first],
        errorAfter: { after: 1, error: { message: QUOTE, code: 500 } },
      }],
      body: streamed,
    },
    {
      name: "non-JSON 200 body",
      replies: [{ kind: "text", status: 200, body: `${QUOTE} <- body` }],
      body: messages("Hi"),
    },
    {
      name: "HTML 200 to a stream",
      replies: [{ kind: "text", status: 200, body: `<html>${QUOTE}</html>` }],
      body: streamed,
    },
    {
      name: "error in a 200 body",
      replies: [{ kind: "json", status: 200, body: { error: { message: QUOTE } } }],
      body: messages("Hi"),
    },
    { name: "echoed headers (JSON)", body: messages("ECHO_HEADERS") },
    { name: "echoed headers (text)", body: messages("ECHO_TEXT", { stream: true }) },
    { name: "echoed headers (SSE)", body: messages("ECHO_SSE", { stream: true }) },
  ];
  for (const status of [400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504]) {
    for (const stream of [false, true]) {
      cases.push({
        name: `HTTP ${status}${stream ? " stream" : ""}`,
        replies: [{
          ...openAIError(status, `Incorrect API key provided: ${QUOTE}`),
          headers: { "retry-after": "1" },
        }],
        body: messages("Hi", { stream }),
      });
    }
  }
  cases.push(
    { name: "Gemini array error", replies: [geminiError(400, QUOTE)], body: messages("Hi") },
    {
      name: "HTML 502 page",
      replies: [{
        kind: "text",
        status: 502,
        body: `<html><title>${QUOTE}</title>${QUOTE}</html>`,
        headers: { "content-type": "text/html" },
      }],
      body: messages("Hi", { stream: true }),
    },
    { name: "plain-text 500", replies: [{ kind: "text", status: 500, body: QUOTE }], body: messages("Hi") },
  );
  /** Bedrock requests (InvokeModel for Claude, Converse for Nova) and what Bedrock answers; `QUOTE` as above. */
  return cases;
}

export function bedrockCases(QUOTE: string): Case[] {
  const NOVA = "us.amazon.nova-pro-v1:0";
  const nova = (text: string, extra: Record<string, unknown> = {}) =>
    messages(text, { model: NOVA, ...extra });
  const cases: Case[] = [
    { name: "invoke", replies: [invokeMessage("Hello")], body: messages("Hi") },
    {
      name: "invoke stream",
      replies: [invokeStream(anthropicEvents("Hello there"))],
      body: messages("Hi", { stream: true }),
    },
    { name: "converse", replies: [converseOutput("Hello")], body: nova("Hi") },
    {
      name: "converse tool use stream",
      replies: [
        converseStream("Let me check.", {
          toolUses: [{ toolUseId: "t1", name: "get_weather", input: { city: "Paris" } }],
        }),
      ],
      body: nova("Weather?", { stream: true, tools: TOOLS }),
    },
    {
      name: "converse exception frame",
      replies: [{
        kind: "stream",
        operation: "converse-stream",
        events: [{ messageStart: { role: "assistant" } }, {
          modelStreamErrorException: { message: QUOTE, originalMessage: QUOTE },
        }],
      }],
      body: nova("Hi", { stream: true }),
    },
    {
      name: "invoke exception frame",
      replies: [{
        kind: "stream",
        operation: "invoke-with-response-stream",
        events: [chunkEvent(anthropicEvents("Hel")[0]), { throttlingException: { message: QUOTE } }],
      }],
      body: messages("Hi", { stream: true }),
    },
    {
      name: "malformed converse frame",
      replies: [{
        kind: "stream",
        operation: "converse-stream",
        events: [{ messageStart: { role: "assistant" } }, {
          contentBlockDelta: new TextEncoder().encode(QUOTE),
        }],
      }],
      body: nova("Hi", { stream: true }),
    },
    {
      name: "non-JSON invoke chunk",
      replies: [{
        kind: "stream",
        operation: "invoke-with-response-stream",
        events: [chunkEvent(anthropicEvents("Hel")[0]), { chunk: { bytes: base64(QUOTE) } }],
      }],
      body: messages("Hi", { stream: true }),
    },
    {
      name: "non-JSON invoke body",
      replies: [{ kind: "text", status: 200, body: QUOTE, operation: "invoke" }],
      body: messages("Hi"),
    },
    {
      name: "non-JSON converse body",
      replies: [{ kind: "text", status: 200, body: QUOTE, operation: "converse" }],
      body: nova("Hi"),
    },
    {
      name: "HTML 502 page",
      replies: [{
        kind: "text",
        status: 502,
        body: `<html><title>${QUOTE}</title></html>`,
        headers: { "content-type": "text/html" },
        operation: "invoke-with-response-stream",
      }],
      body: messages("Hi", { stream: true }),
    },
    {
      name: "count tokens failing",
      replies: [bedrockError("ValidationException", QUOTE, { operation: "count-tokens" })],
      path: "/v1/messages/count_tokens",
      body: { model: "claude-opus-5-5", messages: [{ role: "user", content: "Hi" }] },
    },
    { name: "echoed headers (JSON)", body: messages("ECHO_HEADERS") },
    { name: "echoed headers (text)", body: nova("ECHO_TEXT", { stream: true }) },
  ];
  for (const exception of Object.keys(BEDROCK_EXCEPTION_STATUS)) {
    for (
      const [operation, body] of [["invoke", messages("Hi")], [
        "converse-stream",
        nova("Hi", { stream: true }),
      ]] as const
    ) {
      cases.push({
        name: `${exception} ${operation}`,
        replies: [
          bedrockError(exception, `${exception}: ${QUOTE}`, { operation, headers: { "retry-after": "1" } }),
        ],
        body,
      });
    }
  }
  return cases;
}
