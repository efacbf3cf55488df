/**
 * A conversation that moves between two backends behind the router, through the app: each backend gets
 * back exactly the signatures it made, never another's, with one warning per request for what was
 * dropped; streamed signatures are tagged like complete ones; with one backend nothing changes.
 */
import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import type { MessageResponse, ResponseBlock, StreamEvent } from "../../src/anthropic/types.ts";
import type { RouteConfig } from "../../src/config.ts";
import { RelayError } from "../../src/errors.ts";
import type { RequestLog } from "../../src/log.ts";
import { createRouter } from "../../src/routing/router.ts";
import { encodeSignature } from "../../src/translate/signature.ts";
import { type FakeBackend, fakeBackend, textEvents, textMessage } from "../support/fakes.ts";

const SIG_A = "EqQBCkgIARABGAIiQL+9/x1Zk2Q==";
// What an OpenAI-compatible backend makes: relayx's own signature carrying DeepSeek's reasoning.
const SIG_B = encodeSignature("deepseek", { reasoning: "B thinks." });

// Opus goes to a (with b as its fallback), haiku to b.
const ROUTES: RouteConfig[] = [
  { name: "small", match: { model: ["claude-haiku-*"] }, to: [{ backend: "b" }] },
  { name: "main", match: {}, to: [{ backend: "a" }, { backend: "b" }] },
];

function thinkingReply(thinking: string, signature: string): MessageResponse {
  const base = textMessage("Listing.");
  const content: ResponseBlock[] = [
    { type: "thinking", thinking, signature },
    { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
  ];
  return { ...base, content, stop_reason: "tool_use" };
}

function thinkingEvents(thinking: string, signature: string): StreamEvent[] {
  const [start, , , , delta, stop] = textEvents([""]);
  return [
    start!,
    {
      type: "content_block_start",
      index: 0,
      content_block: { type: "thinking", thinking: "", signature: "" },
    },
    { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking } },
    { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature } },
    { type: "content_block_stop", index: 0 },
    delta!,
    stop!,
  ];
}

function setup(names = ["a", "b"], routes = ROUTES) {
  const backends: Record<string, FakeBackend> = Object.fromEntries(names.map((n) => [n, fakeBackend()]));
  const router = createRouter({ backends, routes });
  const logs: RequestLog[] = [];
  const app = createApp({ backend: router, log: (l) => logs.push(l) });
  const post = async (body: Record<string, unknown>) => {
    const res = await app.request("/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ max_tokens: 50, ...body }),
    });
    return {
      status: res.status,
      warnings: res.headers.get("x-relayx-warnings") ?? "",
      text: await res.text(),
    };
  };
  return { backends, post, logs };
}

const ASK = { role: "user", content: "List the files." };
const RESULT = { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] };

function lastRequestContent(backend: FakeBackend, message: number): unknown {
  return backend.calls.at(-1)?.request.messages[message]?.content;
}

Deno.test("router: history from backend a goes to b without a's thinking, and back to a intact", async () => {
  const { backends, post, logs } = setup();
  backends.a!.reply = thinkingReply("Use ls.", SIG_A);

  const first = await post({ model: "claude-opus-4-5", messages: [ASK] });
  assert.equal(first.status, 200, first.text);
  const answer = JSON.parse(first.text) as MessageResponse;
  assert.deepEqual(answer.content[0], {
    type: "thinking",
    thinking: "Use ls.",
    signature: `relayx1.o.a.${SIG_A}`,
  });
  assert.equal(first.warnings, "");

  const history = [ASK, { role: "assistant", content: answer.content }, RESULT];
  // `/model haiku`: the same conversation on b.
  const moved = await post({ model: "claude-haiku-4-5", messages: history });
  assert.equal(moved.status, 200, moved.text);
  assert.deepEqual(lastRequestContent(backends.b!, 1), [
    { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
  ]);
  assert.match(moved.warnings, /thinking: 1 block from backend "a" dropped for backend "b"/);
  assert.deepEqual(logs.at(-1)?.warnings, [
    'thinking: 1 block from backend "a" dropped for backend "b" (a signature is valid only where it was made)',
  ]);

  // Back on a: its signature, byte for byte.
  const back = await post({ model: "claude-opus-4-5", messages: history });
  assert.equal(back.status, 200, back.text);
  assert.deepEqual(lastRequestContent(backends.a!, 1), [
    { type: "thinking", thinking: "Use ls.", signature: SIG_A },
    { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
  ]);
  assert.equal(back.warnings, "");
});

Deno.test("router: a fallback target gets the history without the failed target's thinking", async () => {
  const { backends, post } = setup();
  backends.b!.reply = thinkingReply("B thinks.", SIG_B);
  const first = await post({ model: "claude-haiku-4-5", messages: [ASK] });
  const answer = JSON.parse(first.text) as MessageResponse;
  assert.deepEqual(answer.content[0], {
    type: "thinking",
    thinking: "B thinks.",
    signature: `relayx1.o.b.${SIG_B}`,
  });
  const history = [ASK, { role: "assistant", content: answer.content }, RESULT];

  // a is unavailable: b serves, and gets its own (relayx-made) signature back unchanged.
  backends.a!.reply = new RelayError("api_error", "a is down", { status: 503 });
  const fallback = await post({ model: "claude-opus-4-5", messages: history });
  assert.equal(fallback.status, 200, fallback.text);
  assert.deepEqual(backends.a!.calls.at(-1)?.request.messages[1]?.content, [
    { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
  ]);
  assert.deepEqual(lastRequestContent(backends.b!, 1), [
    { type: "thinking", thinking: "B thinks.", signature: SIG_B },
    { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
  ]);
});

Deno.test("router: a streamed signature_delta is tagged like a complete message's signature", async () => {
  const { backends, post } = setup();
  backends.a!.events = thinkingEvents("Use ls.", SIG_A);
  const res = await post({ model: "claude-opus-4-5", messages: [ASK], stream: true });
  assert.equal(res.status, 200);
  const signatures = res.text.split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as StreamEvent)
    .flatMap((e) =>
      e.type === "content_block_delta" && e.delta.type === "signature_delta" ? [e.delta.signature] : []
    );
  assert.deepEqual(signatures, [`relayx1.o.a.${SIG_A}`]);

  // The streamed block, sent back, reaches a as it made it.
  const history = [ASK, {
    role: "assistant",
    content: [{ type: "thinking", thinking: "Use ls.", signature: signatures[0] }, {
      type: "text",
      text: "Hi",
    }],
  }, { role: "user", content: "More." }];
  backends.a!.events = textEvents(["ok"]);
  await post({ model: "claude-opus-4-5", messages: history, stream: true });
  assert.deepEqual(lastRequestContent(backends.a!, 1), [
    { type: "thinking", thinking: "Use ls.", signature: SIG_A },
    { type: "text", text: "Hi" },
  ]);
});

Deno.test("router: with one backend, signatures pass exactly as without the router", async () => {
  const routes: RouteConfig[] = [
    { name: "small", match: { model: ["claude-haiku-*"] }, to: [{ backend: "a", model: "small-model" }] },
    { name: "main", match: {}, to: [{ backend: "a" }] },
  ];
  const { backends, post } = setup(["a"], routes);
  backends.a!.reply = thinkingReply("Use ls.", SIG_A);
  const first = await post({ model: "claude-opus-4-5", messages: [ASK] });
  const answer = JSON.parse(first.text) as MessageResponse;
  assert.deepEqual(answer.content[0], { type: "thinking", thinking: "Use ls.", signature: SIG_A });
  const tagged = { type: "thinking", thinking: "Old.", signature: `relayx1.o.gone.${SIG_A}` };
  await post({
    model: "claude-haiku-4-5",
    messages: [ASK, { role: "assistant", content: [tagged] }, RESULT],
  });
  assert.deepEqual(lastRequestContent(backends.a!, 1), [tagged], "nothing is untagged or dropped either");
});
