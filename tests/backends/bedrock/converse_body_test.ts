import assert from "node:assert/strict";
import type { ConverseCommandInput } from "@aws-sdk/client-bedrock-runtime";
import { converseBody } from "../../../src/backends/bedrock/_call.ts";
import { jsonBody } from "../../../src/backends/bedrock/signed_fetch.ts";
import { createRepeatedParts } from "../../../src/anthropic/repeated_parts.ts";
import { parseMessagesRequest, validateTools } from "../../../src/anthropic/parse.ts";
import { toConverseRequest } from "../../../src/translate/bedrock/to_converse.ts";
import { prepareRequest } from "../../../src/translate/prepare.ts";
import ccBasic from "../../testdata/claude_code/request_basic.json" with { type: "json" };
import ccImage from "../../testdata/claude_code/request_image.json" with { type: "json" };
import ccToolSearch from "../../testdata/claude_code/request_tool_search.json" with { type: "json" };

const decoder = new TextDecoder();
const MODELS = [
  "anthropic.claude-sonnet-4-5-20250929-v1:0",
  "amazon.nova-pro-v1:0",
  "openai.gpt-oss-120b-1:0",
];

// What the body was before the tools' bytes were remembered: the whole input serialised at once.
function plain(input: ConverseCommandInput): string {
  const { modelId: _, ...body } = input;
  return decoder.decode(jsonBody(body));
}

Deno.test("converseBody is exactly the serialised input, with the tools' bytes remembered", async (t) => {
  for (const [name, fixture] of Object.entries({ ccBasic, ccImage, ccToolSearch })) {
    await t.step(name, () => {
      // As the route parses them: the second turn gets the remembered (frozen) tools.
      const parts = createRepeatedParts(validateTools);
      const text = JSON.stringify(fixture);
      const raw = JSON.parse(text);
      parts.learn(text, raw);
      const split = parts.split(text);
      const requests = [parseMessagesRequest(JSON.parse(text))];
      assert.ok(split, "the second turn's tools are remembered");
      requests.push(parseMessagesRequest(split.raw, null, {}, split.known));
      for (const modelId of MODELS) {
        for (const request of requests) {
          const input = toConverseRequest(prepareRequest(request, () => {}), { modelId, warn: () => {} });
          // Translated once per tool object: the same frozen object for both requests' remembered tools.
          const first = input.toolConfig?.tools[0];
          assert.ok(first && Object.isFrozen(first));
          // Twice: the second time the tools' bytes come from the memo.
          for (let i = 0; i < 2; i++) {
            assert.equal(
              decoder.decode(converseBody(input as ConverseCommandInput)),
              plain(input as ConverseCommandInput),
            );
          }
        }
      }
    });
  }
});
