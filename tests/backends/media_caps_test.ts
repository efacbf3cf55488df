import assert from "node:assert/strict";
import { bedrockMediaCaps } from "../../src/backends/bedrock/media_caps.ts";
import { openAIMediaCaps } from "../../src/backends/openai/media_caps.ts";
import type { BedrockConfig } from "../../src/config.ts";
import { PROVIDERS } from "../../src/translate/openai/providers.ts";

const config = (api: BedrockConfig["api"]): BedrockConfig => ({
  kind: "bedrock",
  profileExplicit: false,
  region: "us-east-1",
  api,
});

Deno.test("bedrockMediaCaps() follows the model and the API", () => {
  // Nova reads documents in a user turn, not inside tool results (where Claude Code's Read puts them).
  assert.deepEqual(bedrockMediaCaps(config("auto"), "us.amazon.nova-pro-v1:0"), {
    images: true,
    pdf: true,
    toolResults: { images: false, pdf: false },
  });
  assert.deepEqual(bedrockMediaCaps(config("auto"), "us.amazon.nova-micro-v1:0"), {
    images: false,
    pdf: false,
    toolResults: { images: false, pdf: false },
  });
  // Claude reads PDFs everywhere, through InvokeModel and Converse alike.
  for (const api of ["auto", "converse"] as const) {
    const caps = bedrockMediaCaps(config(api), "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    assert.deepEqual(caps, { images: true, pdf: true, toolResults: { images: true, pdf: true } });
  }
  // Claude 3.5 Haiku has no vision.
  assert.equal(bedrockMediaCaps(config("auto"), "anthropic.claude-3-5-haiku-20241022-v1:0").images, false);
});

Deno.test("openAIMediaCaps() follows the provider's profile", () => {
  assert.deepEqual(openAIMediaCaps(PROVIDERS.openai), { images: true, pdf: true });
  assert.deepEqual(openAIMediaCaps(PROVIDERS.generic), { images: true, pdf: false });
  assert.deepEqual(openAIMediaCaps(PROVIDERS.deepseek), { images: false, pdf: false });
});
