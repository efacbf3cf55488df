import assert from "node:assert/strict";
import { countTokens } from "gpt-tokenizer";
import { parseMessagesRequest } from "../../src/anthropic/parse.ts";
import { textsToCount } from "../../src/tokens.ts";
import { O200K_PIECES, splitRuns } from "../../src/tokens/split_runs.ts";
import { TOKENIZER_MODULE } from "../../src/tokens/tokenizer_worker.ts";
import { prepareRequest } from "../../src/translate/prepare.ts";
import deno from "../../deno.json" with { type: "json" };
import afterCompaction from "../testdata/claude_code/request_after_compaction.json" with { type: "json" };
import basic from "../testdata/claude_code/request_basic.json" with { type: "json" };
import compaction from "../testdata/claude_code/request_compaction.json" with { type: "json" };
import haiku from "../testdata/claude_code/request_haiku_4_5.json" with { type: "json" };
import image from "../testdata/claude_code/request_image.json" with { type: "json" };
import toolResult from "../testdata/claude_code/request_tool_result.json" with { type: "json" };
import toolSearch from "../testdata/claude_code/request_tool_search.json" with { type: "json" };

const MAX = 256;
const OPTIONS = { disallowedSpecial: new Set<string>() };
const fixtures = { afterCompaction, basic, compaction, haiku, image, toolResult, toolSearch };

const inParts = (text: string, max = MAX) =>
  splitRuns(text, max, O200K_PIECES).reduce((n, part) => n + countTokens(part, OPTIONS), 0);

// A run of `length` UTF-16 units from `units`, picked by a fixed sequence.
function run(units: string[], length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) out += units[(i * 7919 + (i >> 3)) % units.length];
  return out.slice(0, length);
}

Deno.test("splitRuns() leaves the count of Claude Code's requests unchanged", async (t) => {
  for (const [name, body] of Object.entries(fixtures)) {
    await t.step(name, () => {
      const { texts } = textsToCount(prepareRequest(parseMessagesRequest(body), () => {}));
      let whole = 0;
      let split = 0;
      for (const text of texts) {
        whole += countTokens(text, OPTIONS);
        split += inParts(text);
      }
      // The captured requests have no piece longer than 256 units: exactly equal. The bound allows
      // for a cut inside a long piece (a token or two each).
      assert.ok(Math.abs(split - whole) <= whole * 0.001, `${name}: ${split} in parts, ${whole} whole`);
      assert.equal(split, whole);
    });
  }
});

Deno.test("splitRuns() cuts only the runs the tokenizer cannot split", async (t) => {
  const emoji = [..."😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩"];
  const cjk = [
    ..."的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明",
  ];
  const inputs: Record<string, string> = {
    emoji: run(emoji, 5000),
    cjk: run(cjk, 5000),
    "one letter": "a".repeat(5000),
    spaces: " ".repeat(5000),
    "whitespace mix": run([" ", "\t", "\n", "\r"], 5000),
    base64: run([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"], 5000),
    "deep JSON": "[".repeat(2500) + "]".repeat(2500),
    "prose with a long word": "Some words, then " + "x".repeat(1000) + " and more words.",
  };
  for (const [name, text] of Object.entries(inputs)) {
    await t.step(`${name}: lossless, no piece over 256 units, within 1% of the whole count`, () => {
      const parts = splitRuns(text, MAX, O200K_PIECES);
      assert.equal(parts.join(""), text);
      assert.ok(parts.every((p) => p.length > 0), name);
      for (const part of parts) {
        for (const piece of part.matchAll(O200K_PIECES)) assert.ok(piece[0].length <= MAX, name);
      }
      const whole = countTokens(text, OPTIONS);
      assert.ok(Math.abs(inParts(text) - whole) <= Math.max(2, whole * 0.01), `${inParts(text)} vs ${whole}`);
    });
  }
  await t.step("text made of short pieces stays whole", () => {
    const prose = "The quick brown fox jumps over the lazy dog. ".repeat(200);
    assert.deepEqual(splitRuns(prose, MAX, O200K_PIECES), [prose]);
  });
  await t.step("never cuts within a surrogate pair", () => {
    for (const max of [2, 3, 5, 256]) {
      for (const part of splitRuns("x" + "😀".repeat(600), max, O200K_PIECES)) {
        assert.doesNotMatch(part, /^[\udc00-\udfff]|[\ud800-\udbff]$/, `max ${max}`);
      }
    }
  });
});

Deno.test("the worker imports the tokenizer deno.json names", () => {
  assert.equal(deno.imports["gpt-tokenizer"], TOKENIZER_MODULE);
});
