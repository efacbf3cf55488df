/**
 * The Bedrock paths' max_tokens cap: the model registry's figure (configuration overrides included), the
 * backend's maxOutputTokens above it.
 */
import assert from "node:assert/strict";
import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { type BedrockCall, converseInput, invokeBody } from "../../src/backends/bedrock/_call.ts";
import type { BedrockConfig } from "../../src/config.ts";
import { DEFAULT_LIMITS } from "../../src/limits.ts";
import { createModelRegistry } from "../../src/models/registry.ts";
import { createRedactor } from "../../src/redact.ts";
import type { CallContext } from "../../src/backends/backend.ts";

function call(overrides: Record<string, { maxOutputTokens: number }>, maxOutputTokens?: number): BedrockCall {
  const config: BedrockConfig = {
    kind: "bedrock",
    profileExplicit: false,
    region: "us-east-1",
    api: "auto",
    maxOutputTokens,
  };
  const registry = createModelRegistry({ overrides });
  return {
    config,
    // The translation never touches the client.
    client: {} as BedrockRuntimeClient,
    plan: { bearer: false, summary: "test" },
    redact: createRedactor([]),
    limits: DEFAULT_LIMITS,
    spec: (model) => registry.lookup(model, { provider: "bedrock" }),
  };
}

function ctx(model: string, warnings: string[]): CallContext {
  return {
    model,
    signal: new AbortController().signal,
    requestId: "req_1",
    warn: (m) => warnings.push(m),
    ids: { messageId: () => "msg_1", toolUseId: () => "toolu_1" },
  };
}

const request = {
  model: "claude-sonnet-4-5",
  max_tokens: 128_000,
  messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "Hi" }] }],
};

Deno.test("Bedrock clamps max_tokens to the registry's cap, and to the backend's own setting first", async (t) => {
  const sonnet = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
  await t.step("the registry's figure (relayx's entry: 64,000) on Invoke", () => {
    const warnings: string[] = [];
    const body = JSON.parse(new TextDecoder().decode(invokeBody(request, ctx(sonnet, warnings), call({}))));
    assert.equal(body.max_tokens, 64_000);
    assert.match(warnings.join(";"), /clamped to 64000/);
  });
  await t.step("a configuration override on Converse", () => {
    const input = converseInput(
      request,
      ctx("us.amazon.nova-pro-v1:0", []),
      call({ "us.amazon.nova-pro-v1:0": { maxOutputTokens: 3000 } }),
    );
    assert.equal(input.inferenceConfig?.maxTokens, 3000);
  });
  await t.step("MAX_OUTPUT_TOKENS beats both", () => {
    const input = converseInput(
      request,
      ctx("us.amazon.nova-pro-v1:0", []),
      call({ "us.amazon.nova-pro-v1:0": { maxOutputTokens: 3000 } }, 1234),
    );
    assert.equal(input.inferenceConfig?.maxTokens, 1234);
  });
});
