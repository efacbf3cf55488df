/**
 * A client that leaves mid-stream cancels the upstream call, on both backends, even when the garbage
 * collector runs in between (Deno stops cancelling a body read once its Response object is collected).
 */
import assert from "node:assert/strict";
import type { Backend } from "../../src/backends/backend.ts";
import { createBedrockBackend } from "../../src/backends/bedrock/bedrock_backend.ts";
import { createOpenAIBackend } from "../../src/backends/openai.ts";
import { startFaultProxy } from "../support/fault_tcp.ts";
import { anthropicEvents, converseStream, invokeStream, startMockBedrock } from "../support/mock_bedrock.ts";
import { startMockOpenAI, textStream } from "../support/mock_openai.ts";
import { collectGarbage, FAULT_LIMITS, serveRelay } from "./_harness.ts";

const IDLE_LONG = { ...FAULT_LIMITS, upstreamIdleMs: 60_000 };

async function leaveMidStream(backend: Backend, model: string, abandoned: () => number): Promise<void> {
  await using relay = serveRelay(backend);
  const leave = new AbortController();
  const res = await fetch(`${relay.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model,
      max_tokens: 64,
      stream: true,
      messages: [{ role: "user", content: "Hi" }],
    }),
    signal: leave.signal,
  });
  const reader = res.body!.getReader();
  await reader.read();
  collectGarbage();
  leave.abort();
  for (let waited = 0; abandoned() === 0; waited += 10) {
    if (waited > 3000) assert.fail("the upstream call was not cancelled when the client left");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("a client that leaves mid-stream cancels the upstream call, after a garbage collection", async (t) => {
  await t.step("OpenAI-compatible", async () => {
    await using mock = await startMockOpenAI();
    await using proxy = await startFaultProxy(mock.port, []);
    mock.enqueue({ ...textStream("Hello there friend"), hangAfter: 2 });
    const backend = createOpenAIBackend({
      kind: "openai_compatible",
      apiKey: "sk-leave-test",
      baseUrl: `${proxy.origin}/v1`,
      model: "mock-model",
      smallModel: "mock-model",
      provider: "openai",
    }, { limits: IDLE_LONG });
    await leaveMidStream(backend, "claude-sonnet-4-5", () => proxy.abandoned);
  });

  for (const api of ["converse", "invoke"] as const) {
    await t.step(`Bedrock ${api}`, async () => {
      await using mock = await startMockBedrock();
      await using proxy = await startFaultProxy(mock.port, []);
      const reply = api === "invoke"
        ? invokeStream(anthropicEvents("Hello there friend"))
        : converseStream("Hello there friend");
      mock.enqueue({ ...reply, hangAfter: 3 });
      const backend = await createBedrockBackend(
        { kind: "bedrock", profileExplicit: false, region: "us-east-1", api },
        {
          endpoint: proxy.origin,
          credentials: { accessKeyId: "AKIDLEAVE", secretAccessKey: "leave-secret" },
          env: {},
          listProfiles: false,
          limits: IDLE_LONG,
        },
      );
      const model = api === "invoke"
        ? "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
        : "us.amazon.nova-pro-v1:0";
      await leaveMidStream(backend, model, () => proxy.abandoned);
    });
  }
});
