import assert from "node:assert/strict";
import type { ContentBlock, StreamEvent } from "../../../src/anthropic/types.ts";
import { RelayError } from "../../../src/errors.ts";
import type { FromOpenAIOptions } from "../../../src/translate/openai/from_openai.ts";
import { fromOpenAIStream, openAIStreamTranslator } from "../../../src/translate/openai/openai_stream.ts";
import { translateBatches } from "../../../src/translate/stream_translator.ts";
import { type ProviderName, PROVIDERS } from "../../../src/translate/openai/providers.ts";
import { decodeSignature, encodeSignature } from "../../../src/translate/signature.ts";
import { openAIChunkBatches, openAIChunks } from "../../../src/translate/openai/openai_sse.ts";
import { toolNameMap } from "../../../src/translate/tool_names.ts";
import { toOpenAIRequest } from "../../../src/translate/openai/to_openai.ts";
import deepseekSse from "../../testdata/openai/deepseek_reasoning.sse" with { type: "text" };
import errorSse from "../../testdata/openai/error_midstream.sse" with { type: "text" };
import geminiSse from "../../testdata/openai/gemini_tools.sse" with { type: "text" };
import interleavedSse from "../../testdata/openai/interleaved_tools.sse" with { type: "text" };
import noDoneSse from "../../testdata/openai/no_done.sse" with { type: "text" };
import openrouterSse from "../../testdata/openai/openrouter_reasoning.sse" with { type: "text" };
import parallelSse from "../../testdata/openai/parallel_tools.sse" with { type: "text" };
import sameIndexSse from "../../testdata/openai/same_index_tools.sse" with { type: "text" };
import textSse from "../../testdata/openai/text_unicode.sse" with { type: "text" };
import thinkSse from "../../testdata/openai/think_tags.sse" with { type: "text" };
import {
  type Assembled,
  assertEventGrammar,
  bytesStream,
  collect,
  sdkFinalMessage,
} from "./_openai_helpers.ts";

const encoder = new TextEncoder();

function options(
  provider: ProviderName,
  thinkingDisplay: FromOpenAIOptions["thinkingDisplay"] = "summarized",
): FromOpenAIOptions & { warnings: string[] } {
  let n = 0;
  const warnings: string[] = [];
  return {
    model: "claude-opus-5-5",
    messageId: "msg_test",
    ids: { messageId: () => "msg_x", toolUseId: () => `toolu_gen${++n}` },
    names: toolNameMap(["get_weather", "get_time", "Bash", "Read"]),
    provider: PROVIDERS[provider],
    thinkingDisplay,
    inputEstimate: 1234,
    warn: (w) => warnings.push(w),
    warnings,
  };
}

interface Run {
  events: StreamEvent[];
  blocks: Assembled[];
  warnings: string[];
  final: Extract<StreamEvent, { type: "message_delta" }>;
}

/** Feeds an SSE transcript through decodeSse/openAIChunks and the translator, checking the grammar and the SDK. */
async function run(
  sse: string,
  provider: ProviderName,
  display: FromOpenAIOptions["thinkingDisplay"] = "summarized",
  cuts: number[] = [],
): Promise<Run> {
  const opts = options(provider, display);
  const events = await collect(fromOpenAIStream(openAIChunks(bytesStream(encoder.encode(sse), cuts)), opts));
  const blocks = assertEventGrammar(events);
  // The official SDK accumulates the same message from these events.
  const sdk = await sdkFinalMessage(events) as { content: unknown[] };
  assert.deepEqual(sdk.content, blocks, "the Anthropic SDK assembles the same content");
  return { events, blocks, warnings: opts.warnings, final: events.at(-2) as Run["final"] };
}

function payloads(blocks: Assembled[]): unknown[] {
  return blocks.flatMap((b) => b.type === "thinking" ? [decodeSignature(b.signature)] : []);
}

function shapes(blocks: Assembled[]): unknown[] {
  return blocks.map((b) =>
    b.type === "text"
      ? ["text", b.text]
      : b.type === "thinking"
      ? ["thinking", b.thinking]
      : b.type === "tool_use"
      ? ["tool_use", b.id, b.name, b.input]
      : [b.type]
  );
}

Deno.test("fromOpenAIStream()", async (t) => {
  await t.step("streams text, and the events do not depend on where the bytes were split", async () => {
    const whole = await run(textSse, "openai");
    assert.deepEqual(shapes(whole.blocks), [[
      "text",
      "Hello 👋, 世界！ Ünïcödé 🧑‍💻 naïve café — テスト完了。",
    ]]);
    assert.deepEqual(whole.final, {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: {
        input_tokens: 176,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 1024,
        output_tokens: 12,
      },
    });
    const start = whole.events[0] as Extract<StreamEvent, { type: "message_start" }>;
    assert.deepEqual(start.message.usage, {
      input_tokens: 1234,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 1,
    });
    const bytes = encoder.encode(textSse).length;
    for (let cut = 1; cut < bytes; cut++) {
      const split = await collect(
        fromOpenAIStream(openAIChunks(bytesStream(encoder.encode(textSse), [cut])), options("openai")),
      );
      assert.deepEqual(split, whole.events, `split at byte ${cut}`);
    }
  });

  await t.step("streams parallel tool calls with fragmented arguments", async () => {
    const { events, blocks, final } = await run(parallelSse, "openai");
    assert.deepEqual(shapes(blocks), [
      ["text", "I'll check both."],
      ["tool_use", "call_abc", "get_weather", { location: "Paris", unit: "c" }],
      ["tool_use", "call_def", "get_time", { tz: "Europe/Paris" }],
    ]);
    assert.equal(final.delta.stop_reason, "tool_use");
    assert.deepEqual(final.usage, {
      input_tokens: 452,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 2048,
      output_tokens: 48,
    });
    await t.assertSnapshot(events);
  });

  await t.step("puts Gemini thought signatures in a thinking block before the tool calls", async () => {
    const shown = await run(geminiSse, "gemini");
    assert.deepEqual(shapes(shown.blocks), [
      [
        "thinking",
        "**Planning the lookup**\nThe user wants the weather in two cities. I will call get_weather twice.",
      ],
      ["text", "Let me check both cities."],
      ["thinking", ""],
      ["tool_use", "jm4owj31", "get_weather", { location: "杭州" }],
      ["tool_use", "jm4owj32", "get_weather", { location: "Paris" }],
    ]);
    assert.deepEqual(payloads(shown.blocks), [
      { tag: "gemini", payload: {} },
      { tag: "gemini", payload: { thoughtSignatures: { jm4owj31: "EjQKMgEMOdbHJChLX75QUCJjyYlm" } } },
    ]);
    // finish_reason "stop" with tool calls is a tool_use turn; the total counts Gemini's thought tokens.
    assert.equal(shown.final.delta.stop_reason, "tool_use");
    assert.equal(shown.final.usage.output_tokens, 110);
    await t.assertSnapshot(shown.events);

    const off = await run(geminiSse, "gemini", "off");
    assert.deepEqual(shapes(off.blocks).map((b) => (b as unknown[])[0]), [
      "text",
      "thinking",
      "tool_use",
      "tool_use",
    ]);

    // The next request gives Gemini its signature back on the right call.
    const next = toOpenAIRequest({
      model: "claude-opus-5-5",
      max_tokens: 1000,
      messages: [
        { role: "user", content: [{ type: "text", text: "Weather?" }] },
        { role: "assistant", content: off.blocks as ContentBlock[] },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "jm4owj31", content: "Rain" },
            { type: "tool_result", tool_use_id: "jm4owj32", content: "Sun" },
          ],
        },
      ],
    }, {
      model: "gemini-3-flash-preview",
      provider: PROVIDERS.gemini,
      maxOutputTokens: 65536,
      stream: true,
      warn() {},
    });
    const calls = (next.messages[1] as { tool_calls: { id: string; extra_content?: unknown }[] }).tool_calls;
    assert.deepEqual(calls.map((c) => [c.id, c.extra_content]), [
      ["jm4owj31", { google: { thought_signature: "EjQKMgEMOdbHJChLX75QUCJjyYlm" } }],
      ["jm4owj32", undefined],
    ]);
  });

  await t.step(
    "streams DeepSeek reasoning, then text, then a tool call, for each thinking display",
    async () => {
      const reasoning = "The user asks for the weather. I should call the tool.";
      const shown = await run(deepseekSse, "deepseek", "summarized");
      assert.deepEqual(shapes(shown.blocks), [
        ["thinking", reasoning],
        ["text", "Checking the weather."],
        ["tool_use", "call_00_kx1", "get_weather", { location: "Berlin" }],
      ]);
      assert.deepEqual(payloads(shown.blocks), [{ tag: "deepseek", payload: {} }]);
      assert.deepEqual(shown.final.usage, {
        input_tokens: 440,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 2560,
        output_tokens: 60,
        output_tokens_details: { thinking_tokens: 35 },
      });

      const omitted = await run(deepseekSse, "deepseek", "omitted");
      assert.deepEqual(shapes(omitted.blocks)[0], ["thinking", ""]);
      assert.ok(
        !omitted.events.some((e) => e.type === "content_block_delta" && e.delta.type === "thinking_delta"),
      );
      assert.deepEqual(payloads(omitted.blocks), [{ tag: "deepseek", payload: { reasoning } }]);
      await t.assertSnapshot(omitted.events);

      // No thinking asked for: the reasoning still rides with the tool call, which DeepSeek needs back.
      const off = await run(deepseekSse, "deepseek", "off");
      assert.deepEqual(shapes(off.blocks).map((b) => (b as unknown[])[0]), ["text", "thinking", "tool_use"]);
      assert.deepEqual(payloads(off.blocks), [{ tag: "deepseek", payload: { reasoning } }]);
    },
  );

  await t.step("splits inline <think> tags that arrive in pieces", async () => {
    const { events, blocks, final } = await run(thinkSse, "ollama");
    assert.deepEqual(shapes(blocks), [
      ["thinking", "The user greets me; a short reply will do."],
      ["text", "Hello! How can I help?"],
    ]);
    assert.deepEqual(payloads(blocks), [{ tag: "ollama", payload: {} }]);
    assert.deepEqual(final.usage, {
      input_tokens: 42,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 30,
    });
    await t.assertSnapshot(events);
    const off = await run(thinkSse, "ollama", "off");
    assert.deepEqual(shapes(off.blocks), [["text", "Hello! How can I help?"]]);
  });

  await t.step("ends cleanly without [DONE] or usage, estimating the counts", async () => {
    const { blocks, final, warnings } = await run(noDoneSse, "generic");
    assert.deepEqual(shapes(blocks), [["text", "The answer is forty"]]);
    assert.equal(final.delta.stop_reason, "max_tokens");
    assert.deepEqual(final.usage, {
      input_tokens: 1234,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 5,
    });
    assert.deepEqual(warnings, ["Upstream reported no token usage: counts are estimates"]);
  });

  await t.step("throws the mapped upstream error on an error chunk mid-stream", async () => {
    const events: StreamEvent[] = [];
    const iterate = async () => {
      for await (
        const e of fromOpenAIStream(openAIChunks(bytesStream(encoder.encode(errorSse))), options("openai"))
      ) {
        events.push(e);
      }
    };
    await assert.rejects(iterate, (err: unknown) => {
      assert.ok(err instanceof RelayError);
      assert.equal(err.type, "overloaded_error");
      assert.equal(err.status, 529);
      assert.equal(err.message, "The server is overloaded, please retry");
      return true;
    });
    assert.deepEqual(events.map((e) => e.type), [
      "message_start",
      "content_block_start",
      "content_block_delta",
    ]);
  });

  await t.step("never splits a call's arguments when calls interleave", async () => {
    const { events, blocks, final } = await run(interleavedSse, "openai");
    assert.deepEqual(shapes(blocks), [
      ["tool_use", "call_a", "Read", { file_path: "/tmp/a.txt" }],
      ["text", "Done."],
      ["tool_use", "call_b", "Bash", { command: "ls" }],
    ]);
    assert.equal(final.delta.stop_reason, "tool_use");
    await t.assertSnapshot(events);
  });

  await t.step("treats whole calls repeated at index 0 with new ids as new calls", async () => {
    const { blocks, final } = await run(sameIndexSse, "ollama");
    assert.deepEqual(shapes(blocks), [
      ["tool_use", "call_x1", "Read", { file_path: "a.txt" }],
      ["tool_use", "call_x2", "Read", { file_path: "b.txt" }],
    ]);
    assert.equal(final.delta.stop_reason, "tool_use");
  });

  await t.step("merges OpenRouter reasoning_details fragments into the signature", async () => {
    const { blocks, final } = await run(openrouterSse, "openrouter");
    assert.deepEqual(shapes(blocks), [
      ["thinking", "Let me think about it."],
      ["tool_use", "toolu_vrtx_01", "Bash", { command: "pwd" }],
    ]);
    assert.deepEqual(payloads(blocks), [{
      tag: "openrouter",
      payload: {
        details: [{
          type: "reasoning.text",
          text: "Let me think about it.",
          format: "anthropic-claude-v1",
          index: 0,
          signature: "ErUBCkYIBRgCIkD=",
        }],
      },
    }]);
    assert.deepEqual(final.usage, {
      input_tokens: 500,
      cache_creation_input_tokens: 500,
      cache_read_input_tokens: 4000,
      output_tokens: 80,
      output_tokens_details: { thinking_tokens: 20 },
    });
  });

  await t.step(
    "sends a thought signature that arrives after its call started in a trailing thinking block",
    async () => {
      const chunks = [
        {
          choices: [{
            index: 0,
            delta: {
              tool_calls: [{ index: 0, id: "c1", function: { name: "Bash", arguments: '{"command":' } }],
            },
          }],
        },
        { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"ls"}' } }] } }] },
        {
          choices: [{
            index: 0,
            delta: {
              tool_calls: [{ index: 0, extra_content: { google: { thought_signature: "late-sig" } } }],
            },
            finish_reason: "tool_calls",
          }],
        },
      ];
      async function* source() {
        yield* chunks;
      }
      const events = await collect(fromOpenAIStream(source(), options("generic", "off")));
      const blocks = assertEventGrammar(events);
      assert.deepEqual(shapes(blocks), [["tool_use", "c1", "Bash", { command: "ls" }], ["thinking", ""]]);
      assert.deepEqual(payloads(blocks), [{
        tag: "generic",
        payload: { thoughtSignatures: { c1: "late-sig" } },
      }]);
    },
  );

  await t.step("streams a refusal as text with stop_reason refusal", async () => {
    async function* source() {
      yield { choices: [{ index: 0, delta: { role: "assistant", refusal: "I can't help with that." } }] };
      yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
    }
    const events = await collect(fromOpenAIStream(source(), options("openai")));
    assert.deepEqual(shapes(assertEventGrammar(events)), [["text", "I can't help with that."]]);
    assert.equal((events.at(-2) as Run["final"]).delta.stop_reason, "refusal");
  });

  await t.step("gives every thinking block a signature, short when nothing is carried", async () => {
    async function* source() {
      yield { choices: [{ index: 0, delta: { reasoning: "hmm" } }] };
      yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
    }
    const events = await collect(fromOpenAIStream(source(), options("vllm")));
    const blocks = assertEventGrammar(events);
    assert.deepEqual(blocks, [{ type: "thinking", thinking: "hmm", signature: encodeSignature("vllm", {}) }]);
    // vLLM gets its reasoning back from the signature when the client does not see the text.
    const omitted = assertEventGrammar(await collect(fromOpenAIStream(source(), options("vllm", "omitted"))));
    assert.deepEqual(payloads(omitted), [{ tag: "vllm", payload: { reasoning: "hmm" } }]);
  });

  await t.step("fails when the stream is cut off before its finish_reason", async () => {
    const cut =
      'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function",' +
      '"function":{"name":"Bash","arguments":"{\\"command\\": \\"rm -rf /tmp/bu"}}]}}]}\n\n';
    const events: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (
          const e of fromOpenAIStream(openAIChunks(bytesStream(encoder.encode(cut))), options("openai"))
        ) {
          events.push(e);
        }
      })(),
      (err: unknown) => err instanceof RelayError && err.type === "api_error" && err.shouldRetry === true,
    );
    // What did arrive was sent, but never a message_delta or message_stop that would make it a whole turn.
    assert.ok(events.length > 0);
    assert.ok(!events.some((e) => (e as { type: string }).type === "message_stop"));
  });

  await t.step("fails when the upstream closes the stream without a chunk", async () => {
    for (const sse of ["", "data: [DONE]\n\n", ": keepalive\n\n"]) {
      const events = fromOpenAIStream(openAIChunks(bytesStream(encoder.encode(sse))), options("openai"));
      await assert.rejects(collect(events), (err: unknown) => {
        assert.ok(err instanceof RelayError);
        assert.equal(err.type, "api_error");
        assert.equal(err.message, "Upstream closed the stream without a response");
        return true;
      });
    }
  });
});

Deno.test("openAIStreamTranslator() over batches accepts [DONE] without a finish_reason", async () => {
  const sse = 'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: [DONE]\n\n';
  const batches: StreamEvent[][] = [];
  const translated = translateBatches(
    openAIChunkBatches(bytesStream(encoder.encode(sse))),
    openAIStreamTranslator(options("openai")),
  );
  for await (const b of translated) batches.push(b);
  const events = batches.flat();
  assert.equal(events.at(-1)?.type, "message_stop");
  assertEventGrammar(events);
});
