/**
 * Against a real OpenAI-compatible provider: runs only when RELAYX_REAL_OPENAI=1 and the usual
 * OPENAI_BASE_URL / OPENAI_API_KEY / OPENAI_MODEL (and optionally OPENAI_PROVIDER) are set, e.g. a Gemini
 * key or a local Ollama. Skipped otherwise.
 */
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createApp } from "../../src/app.ts";
import { createOpenAIBackend } from "../../src/backends/openai.ts";
import { type OpenAIConfig, parseConfig } from "../../src/config.ts";

const REAL = Deno.env.get("RELAYX_REAL_OPENAI") === "1";

Deno.test({
  name: "createOpenAIBackend() against a real provider (RELAYX_REAL_OPENAI=1)",
  ignore: !REAL,
  async fn(t) {
    const config = parseConfig({ ...Deno.env.toObject(), LLM_BACKEND: "openai_compatible" })
      .backends.openai_compatible as OpenAIConfig;
    const app = createApp({ backend: createOpenAIBackend(config) });
    const sdk = new Anthropic({
      apiKey: "dummy",
      baseURL: "http://relay.test",
      maxRetries: 0,
      fetch: (url: string | URL | Request, init?: RequestInit) =>
        Promise.resolve(app.fetch(new Request(url, init))),
    });
    await t.step("a streamed answer with real usage", async () => {
      const message = await sdk.messages.stream({
        model: "claude-sonnet-4-5",
        max_tokens: 200,
        messages: [{ role: "user", content: "Reply with the single word: pong" }],
      }).finalMessage();
      assert.match(JSON.stringify(message.content), /pong/i);
      assert.ok(message.usage.output_tokens > 0);
    });
    await t.step("a tool call with its arguments", async () => {
      const message = await sdk.messages.stream({
        model: "claude-sonnet-4-5",
        max_tokens: 500,
        tools: [{
          name: "get_weather",
          description: "Current weather of a city",
          input_schema: {
            $schema: "https://json-schema.org/draft/2020-12/schema",
            type: "object",
            properties: { city: { type: "string", maxLength: 100 } },
            required: ["city"],
            additionalProperties: false,
          },
        }],
        tool_choice: { type: "any" },
        messages: [{ role: "user", content: "What is the weather in Paris? Use the tool." }],
      }).finalMessage();
      const call = message.content.find((b) => b.type === "tool_use");
      assert.ok(call && call.type === "tool_use", JSON.stringify(message.content));
      assert.equal(call.name, "get_weather");
      assert.match(JSON.stringify(call.input), /paris/i);
      assert.equal(message.stop_reason, "tool_use");
    });
  },
});
