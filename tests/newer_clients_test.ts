/**
 * Newer clients end to end: the official SDK's beta client sends the blocks of beta features (MCP calls,
 * advice, fallback markers, mid-conversation tool changes, compaction summaries) through a real relayx to
 * each backend kind; every request gets a normal answer, the upstream gets them as text, and what was
 * dropped is said in `x-relayx-warnings`.
 */
import assert from "node:assert/strict";
import type { MessageCreateParamsNonStreaming } from "@anthropic-ai/sdk/resources/beta/messages/messages";
import { createBedrockBackend } from "../src/backends/bedrock/bedrock_backend.ts";
import type { BedrockConfig } from "../src/config.ts";
import { createOpenAIBackend } from "../src/backends/openai.ts";
import { betaConversation, compactedConversation } from "./support/beta_requests.ts";
import { inferenceProfile, startMockBedrock } from "./support/mock_bedrock.ts";
import { startMockOpenAI } from "./support/mock_openai.ts";
import { startRelay, type TestRelay } from "./support/relay.ts";

const BETAS = ["mid-conversation-tool-changes-2026-07-01", "compact-2026-01-12", "mcp-client-2025-11-20"];

/** A relay over one backend kind, and the bodies its upstream received. */
interface Target extends AsyncDisposable {
  relay: TestRelay;
  upstreamBodies(): string[];
}

async function openAI(): Promise<Target> {
  const mock = await startMockOpenAI();
  const relay = startRelay(createOpenAIBackend({
    kind: "openai_compatible",
    apiKey: "sk-test-secret",
    baseUrl: mock.url,
    model: "gpt-4.1",
    smallModel: "gpt-4.1-mini",
    provider: "openai",
  }));
  return {
    relay,
    upstreamBodies: () => mock.requests.map((r) => JSON.stringify(r.body)),
    [Symbol.asyncDispose]: async () => (await relay.close(), await mock.close()),
  };
}

async function bedrock(api: BedrockConfig["api"]): Promise<Target> {
  const credentials = { accessKeyId: "AKIDRELAYXTEST", secretAccessKey: "relayx-test-secret" };
  const mock = await startMockBedrock({
    profiles: [inferenceProfile("global.anthropic.claude-opus-5-5")],
    accessKeyId: credentials.accessKeyId,
  });
  const backend = await createBedrockBackend(
    { kind: "bedrock", profileExplicit: false, region: "us-east-1", api },
    { endpoint: mock.url, controlEndpoint: mock.url, credentials, env: {} },
  );
  const relay = startRelay(backend);
  return {
    relay,
    upstreamBodies: () =>
      mock.requests.filter((r) => r.operation !== "list-inference-profiles").map((r) =>
        JSON.stringify(r.body)
      ),
    [Symbol.asyncDispose]: async () => (await relay.close(), await mock.close()),
  };
}

const TARGETS: Record<string, () => Promise<Target>> = {
  "OpenAI-compatible": openAI,
  "Bedrock Invoke": () => bedrock("invoke"),
  "Bedrock Converse": () => bedrock("converse"),
};

async function create(relay: TestRelay, params: MessageCreateParamsNonStreaming, stream: boolean) {
  const beta = relay.client.beta.messages;
  if (!stream) {
    const { data, response } = await beta.create({ ...params, betas: BETAS }).withResponse();
    return { message: data, warnings: response.headers.get("x-relayx-warnings") ?? "" };
  }
  const s = beta.stream({ ...params, betas: BETAS });
  const response = (await s.withResponse()).response;
  return { message: await s.finalMessage(), warnings: response.headers.get("x-relayx-warnings") ?? "" };
}

for (const [kind, start] of Object.entries(TARGETS)) {
  Deno.test(`the SDK's beta client talks through relayx to ${kind}`, async (t) => {
    await using target = await start();
    for (const stream of [false, true]) {
      await t.step(
        `MCP calls, advice, a fallback and tool changes (${stream ? "stream" : "JSON"})`,
        async () => {
          const { message, warnings } = await create(target.relay, betaConversation(), stream);
          assert.equal(message.role, "assistant");
          assert.ok(message.content.length > 0);
          const sent = target.upstreamBodies().at(-1) ?? "";
          assert.match(sent, /\[MCP tool call deno-docs\/search_docs: /);
          assert.match(sent, /\[Advisor: Mention --parallel\.\]/);
          assert.match(sent, /Tool Write is no longer available\./);
          assert.match(warnings, /fallback: model fallback markers mean nothing to this backend; dropped/);
        },
      );
      await t.step(`a compaction summary (${stream ? "stream" : "JSON"})`, async () => {
        const { message } = await create(target.relay, compactedConversation(), stream);
        assert.equal(message.role, "assistant");
        const sent = target.upstreamBodies().at(-1) ?? "";
        assert.match(sent, /\[Summary of the earlier conversation\]/);
        assert.doesNotMatch(sent, /before the compaction/, "the history before the summary is not sent");
      });
    }
  });
}
