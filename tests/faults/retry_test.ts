/**
 * relayx's own retry: once, and only for a request the upstream never answered (a refused connection, a
 * connection reset or closed before the response); never a request the upstream answered, never a stream
 * that began. Each kind of backend, stream and non-stream.
 */
import assert from "node:assert/strict";
import type { Backend } from "../../src/backends/backend.ts";
import { createBedrockBackend } from "../../src/backends/bedrock/bedrock_backend.ts";
import { createOpenAIBackend } from "../../src/backends/openai.ts";
import { type ConnectionFault, refusedPort, startFaultProxy } from "../support/fault_tcp.ts";
import { bedrockError, converseStream, startMockBedrock } from "../support/mock_bedrock.ts";
import { openAIError, startMockOpenAI, textStream } from "../support/mock_openai.ts";
import { ask, assertOutcome, type Expect, FAULT_LIMITS, outcome, serveRelay } from "./_harness.ts";

const CREDENTIALS = { accessKeyId: "AKIDRELAYXRETRY", secretAccessKey: "relayx-retry-secret" };

/** One upstream kind: its mock, and a backend pointed at any base URL. */
interface Kind {
  name: string;
  model: string;
  start(): Promise<{ port: number; requests(): number; cut(): void; busy(): void } & AsyncDisposable>;
  backend(origin: string, send?: typeof fetch): Promise<Backend>;
}

const KINDS: Kind[] = [
  {
    name: "OpenAI-compatible",
    model: "claude-sonnet-4-5",
    async start() {
      const mock = await startMockOpenAI();
      return {
        port: mock.port,
        requests: () => mock.requests.length,
        cut: () => mock.enqueue({ ...textStream("Hello there friend"), failAfter: 2 }),
        busy: () => mock.enqueue(openAIError(503, "Busy")),
        [Symbol.asyncDispose]: () => mock.close(),
      };
    },
    backend: (origin, send) =>
      Promise.resolve(createOpenAIBackend({
        kind: "openai_compatible",
        apiKey: "sk-retry-test",
        baseUrl: `${origin}/v1`,
        model: "mock-model",
        smallModel: "mock-model",
        provider: "openai",
      }, { limits: FAULT_LIMITS, fetch: send })),
  },
  {
    name: "Bedrock",
    model: "us.amazon.nova-pro-v1:0",
    async start() {
      const mock = await startMockBedrock();
      return {
        port: mock.port,
        requests: () => mock.requests.length,
        cut: () => mock.enqueue({ ...converseStream("Hello there friend"), failAfter: 3 }),
        busy: () => mock.enqueue(bedrockError("ServiceUnavailableException")),
        [Symbol.asyncDispose]: () => mock.close(),
      };
    },
    backend: (origin, send) =>
      createBedrockBackend(
        { kind: "bedrock", profileExplicit: false, region: "us-east-1", api: "converse" },
        {
          endpoint: origin,
          credentials: CREDENTIALS,
          env: {},
          listProfiles: false,
          limits: FAULT_LIMITS,
          fetch: send,
        },
      ),
  },
];

const OK: Expect = { text: "ok" };

async function throughProxy(kind: Kind, script: ConnectionFault[], stream: boolean, want: Expect) {
  await using mock = await kind.start();
  await using proxy = await startFaultProxy(mock.port, script);
  await using relay = serveRelay(await kind.backend(proxy.origin));
  assertOutcome(await outcome(await ask(relay, kind.model, stream)), want);
  return { connections: proxy.connections, requests: mock.requests() };
}

for (const kind of KINDS) {
  Deno.test(`${kind.name}: relayx retries once what the upstream never answered, nothing else`, async (t) => {
    for (const stream of [false, true]) {
      const mode = stream ? "stream" : "non-stream";
      for (const fault of ["reset", "close"] as const) {
        await t.step(`${mode}: a connection ${fault} before the response is sent again`, async () => {
          const seen = await throughProxy(kind, [fault], stream, OK);
          assert.deepEqual(seen, { connections: 2, requests: 1 });
        });
      }

      await t.step(`${mode}: reset twice, the client gets the error after exactly one retry`, async () => {
        const want: Expect = { http: 500, error: "api_error", message: /connection reset/ };
        const seen = await throughProxy(kind, ["reset", "reset", "pass"], stream, want);
        assert.deepEqual(seen, { connections: 2, requests: 0 });
      });

      await t.step(`${mode}: a refused connection is tried twice, then named`, async () => {
        let attempts = 0;
        const counting: typeof fetch = (input, init) => {
          attempts++;
          return fetch(input, init);
        };
        const origin = `http://127.0.0.1:${refusedPort()}`;
        await using relay = serveRelay(await kind.backend(origin, counting));
        const want: Expect = { http: 500, error: "api_error", message: /connection refused/ };
        assertOutcome(await outcome(await ask(relay, kind.model, stream)), want);
        assert.equal(attempts, 2);
      });

      await t.step(`${mode}: an upstream's error answer is passed on, not retried`, async () => {
        await using mock = await kind.start();
        await using relay = serveRelay(await kind.backend(`http://127.0.0.1:${mock.port}`));
        mock.busy();
        assertOutcome(await outcome(await ask(relay, kind.model, stream)), {
          http: 529,
          error: "overloaded_error",
        });
        assert.equal(mock.requests(), 1);
      });
    }

    await t.step("stream: a stream cut after it began ends with an error event, not retried", async () => {
      await using mock = await kind.start();
      await using relay = serveRelay(await kind.backend(`http://127.0.0.1:${mock.port}`));
      mock.cut();
      assertOutcome(await outcome(await ask(relay, kind.model, true)), { event: "api_error" });
      assert.equal(mock.requests(), 1);
    });
  });
}
