/**
 * Structural mutations of the bad-input corpus: wrong types, missing fields, wrong roles, empty content,
 * duplicated tool ids, and a few rules relayx checks itself.
 *
 * @module
 */
import { ACCEPT, EITHER, type Gen, type Json, messagesOf, rejects, spots } from "./_corpus.ts";

type Path = (string | number)[];

/** A field, the values of a wrong type for it, and the field a 400 must name. */
interface Slot {
  path: Path;
  bad: unknown[];
  /** The path the error message starts with (default: `path`). */
  field?: string;
  /** Whether count_tokens reads the field too (it ignores max_tokens, stream, sampling, metadata). */
  count?: boolean;
}

const NOT_STRING = [42, true, null, [], {}];

function parent(body: Json, path: Path): { holder: Record<string | number, unknown>; key: string | number } {
  let holder: unknown = body;
  for (const key of path.slice(0, -1)) holder = (holder as Record<string | number, unknown>)[key];
  return { holder: holder as Record<string | number, unknown>, key: path.at(-1)! };
}

function set(body: Json, path: Path, value: unknown): void {
  const { holder, key } = parent(body, path);
  holder[key] = value;
}

function remove(body: Json, path: Path): void {
  const { holder, key } = parent(body, path);
  delete holder[key];
}

function topSlots(): Slot[] {
  return [
    { path: ["model"], bad: [...NOT_STRING, ""], count: true },
    { path: ["max_tokens"], bad: ["1024", true, null, [], {}, -1, 1.5, 1e300] },
    { path: ["messages"], bad: ["hi", 42, {}, null, []], count: true },
    { path: ["system"], bad: [42, true, {}, [42], [{ type: "text" }]], count: true },
    { path: ["tools"], bad: ["Bash", 42, {}, [42]], count: true },
    { path: ["tool_choice"], bad: ["auto", 42, { type: "bogus" }, { type: "tool" }], count: true },
    { path: ["thinking"], bad: ["on", 42, {}, { type: "enabled", budget_tokens: "many" }], count: true },
    { path: ["stream"], bad: ["yes", 1, {}, null] },
    { path: ["temperature"], bad: ["hot", -1, 3, {}] },
    { path: ["top_p"], bad: ["x", 2, -0.1] },
    { path: ["top_k"], bad: ["x", -1, 1.5] },
    { path: ["stop_sequences"], bad: ["END", [1], {}] },
    { path: ["metadata"], bad: ["x", 42, [], { user_id: 42 }] },
    {
      path: ["output_config"],
      bad: ["x", 42, { format: { type: "json_schema", schema: "x" } }],
      count: true,
    },
    { path: ["service_tier"], bad: ["fast", 42] },
    {
      path: ["cache_control"],
      bad: ["x", { type: "persistent" }, { type: "ephemeral", ttl: "1d" }],
      count: true,
    },
    { path: ["betas"], bad: ["x", [1]], count: true },
    { path: ["mcp_servers"], bad: ["x", {}], count: true },
  ];
}

function blockSlots(at: Path, block: Json): Slot[] {
  const slots: Slot[] = [
    { path: at, bad: [42, "x", null, []] },
    { path: [...at, "type"], bad: [42, null, {}, true] },
  ];
  const field = (name: string, bad: unknown[]) => slots.push({ path: [...at, name], bad });
  switch (block.type) {
    case "text":
      field("text", NOT_STRING);
      field("cache_control", ["x", { type: "persistent" }, 42]);
      break;
    case "tool_use":
      field("id", [42, null]);
      field("name", [42, null, []]);
      break;
    case "tool_result":
      field("tool_use_id", [42, null]);
      field("content", [42, {}, [42]]);
      field("is_error", ["yes", 1]);
      break;
  }
  return slots;
}

/** Every field of `body` a wrong type can go into. */
function slotsOf(body: Json): Slot[] {
  const slots = topSlots();
  messagesOf(body).forEach((_, i) => {
    slots.push({ path: ["messages", i], bad: [42, "x", null, []], count: true });
    slots.push({ path: ["messages", i, "role"], bad: [42, null, "bot", "tool", "", "USER"], count: true });
    slots.push({ path: ["messages", i, "content"], bad: [42, null, {}, true], count: true });
  });
  for (const { i, j, block } of spots(body)) {
    for (const slot of blockSlots(["messages", i, "content", j], block)) slots.push({ ...slot, count: true });
  }
  (Array.isArray(body.system) ? body.system : []).forEach((_, k) => {
    slots.push({ path: ["system", k, "text"], bad: [42, null], count: true });
  });
  (body.tools as Json[]).forEach((_, k) => {
    const field = `tools.${k}`;
    slots.push({ path: ["tools", k, "name"], bad: [42, null, ""], field, count: true });
    slots.push({ path: ["tools", k, "input_schema"], bad: ["x", 42, []], field, count: true });
    slots.push({ path: ["tools", k, "description"], bad: [42, []], field, count: true });
  });
  return slots;
}

function wrongTypes(g: Gen): void {
  for (let n = 0; n < 90; n++) {
    const { name, body } = g.base();
    const slot = g.pick(slotsOf(body));
    const value = g.pick(slot.bad);
    set(body, slot.path, value);
    const count = slot.count === true && g.random() < 0.2;
    if (count) delete body.max_tokens;
    const where = slot.path.join(".");
    g.add(`wrong type: ${name} ${where} = ${JSON.stringify(value)}`, body, rejects(slot.field ?? where), {
      path: count ? "/v1/messages/count_tokens" : "/v1/messages",
    });
  }
}

function missingFields(g: Gen): void {
  for (let n = 0; n < 50; n++) {
    const { name, body } = g.base();
    const candidates: { path: Path; field: string; ok?: boolean }[] = [
      { path: ["model"], field: "model" },
      { path: ["max_tokens"], field: "max_tokens" },
      { path: ["messages"], field: "messages" },
      { path: ["system"], field: "", ok: true },
      { path: ["metadata"], field: "", ok: true },
    ];
    messagesOf(body).forEach((m, i) => {
      candidates.push({ path: ["messages", i, "role"], field: `messages.${i}` });
      candidates.push({ path: ["messages", i, "content"], field: `messages.${i}`, ok: m.role === "system" });
    });
    for (const { i, j, block } of spots(body)) {
      const at = ["messages", i, "content", j];
      candidates.push({ path: [...at, "type"], field: at.join(".") });
      const required = { text: ["text"], tool_use: ["id", "name"], tool_result: ["tool_use_id"] }[
        String(block.type)
      ] ?? [];
      for (const key of required) candidates.push({ path: [...at, key], field: [...at, key].join(".") });
    }
    (body.tools as Json[]).forEach((_, k) => {
      candidates.push({ path: ["tools", k, "name"], field: `tools.${k}` });
      candidates.push({ path: ["tools", k, "input_schema"], field: `tools.${k}` });
    });
    const { path, field, ok } = g.pick(candidates);
    remove(body, path);
    g.add(`missing: ${name} ${path.join(".")}`, body, ok ? ACCEPT : rejects(field));
  }
}

function wrongRoles(g: Gen): void {
  for (const role of ["tool", "bot", "", "USER", "function", "developer", 7]) {
    const { name, body } = g.base();
    const i = g.int(messagesOf(body).length);
    messagesOf(body)[i]!.role = role;
    g.add(`role: ${name} messages.${i}.role = ${JSON.stringify(role)}`, body, rejects(`messages.${i}.role`));
  }
  const { body: prefill } = g.base();
  messagesOf(prefill).push({ role: "assistant", content: "Sure, here is" });
  g.add("role: a final assistant turn (prefill)", prefill, ACCEPT);
  const { body: twice } = g.base();
  messagesOf(twice).push({ role: "user", content: "again" }, { role: "user", content: "and again" });
  g.add("role: consecutive user turns", twice, ACCEPT);
  const { body: assistantFirst } = g.base();
  messagesOf(assistantFirst).unshift({ role: "assistant", content: "I start." });
  g.add("role: the conversation opens with the assistant", assistantFirst, ACCEPT);
  const { body: systemOnly } = g.base();
  systemOnly.messages = [{ role: "system", content: "Only a system message." }];
  g.add("role: only a system message", systemOnly, EITHER);
  const { body: misplaced } = g.base("tool_use");
  const use = spots(misplaced, "tool_use")[0]!;
  messagesOf(misplaced).push({ role: "user", content: [{ ...use.block, id: "toolu_misplaced" }] });
  g.add("role: a tool_use block in a user turn", misplaced, EITHER);
}

function emptyContent(g: Gen): void {
  const cases: [string, (body: Json) => void, typeof ACCEPT][] = [
    ["messages = []", (b) => (b.messages = []), rejects("messages")],
    ['model = ""', (b) => (b.model = ""), rejects("model")],
    ['a user turn with content ""', (b) => messagesOf(b).push({ role: "user", content: "" }), EITHER],
    ["a user turn with content []", (b) => messagesOf(b).push({ role: "user", content: [] }), EITHER],
    [
      "an empty text block",
      (b) => messagesOf(b).push({ role: "user", content: [{ type: "text", text: "" }] }),
      EITHER,
    ],
    [
      "a whitespace text block",
      (b) => messagesOf(b).push({ role: "user", content: [{ type: "text", text: " \n\t" }] }),
      EITHER,
    ],
    ["an empty assistant turn", (b) => messagesOf(b).push({ role: "assistant", content: [] }), EITHER],
    ['system = ""', (b) => (b.system = ""), ACCEPT],
    ["system = []", (b) => (b.system = []), ACCEPT],
    ["tools = []", (b) => (b.tools = []), EITHER],
    ["an empty system message", (b) => messagesOf(b).push({ role: "system", content: [] }), ACCEPT],
    ['stop_sequences = [""]', (b) => (b.stop_sequences = [""]), EITHER],
  ];
  for (const [what, mutate, expect] of cases) {
    const { name, body } = g.base();
    mutate(body);
    g.add(`empty: ${name} ${what}`, body, expect);
  }
  for (const content of ["", [], [{ type: "text", text: "" }]]) {
    const { name, body } = g.base("tool_result");
    spots(body, "tool_result")[0]!.block.content = content;
    g.add(`empty: ${name} tool_result content ${JSON.stringify(content)}`, body, ACCEPT);
  }
}

function duplicates(g: Gen): void {
  for (let n = 0; n < 6; n++) {
    const { name, body } = g.base("tool_use");
    const use = spots(body, "tool_use")[0]!;
    const turn = messagesOf(body)[use.i]!.content as Json[];
    turn.push(structuredClone(use.block));
    g.add(
      `duplicate: ${name} tool_use id repeated in one turn`,
      body,
      rejects(`messages.${use.i}.content.${turn.length - 1}.id`),
    );
  }
  for (let n = 0; n < 4; n++) {
    const { name, body } = g.base("tool_result");
    const result = spots(body, "tool_result")[0]!;
    (messagesOf(body)[result.i]!.content as Json[]).push(structuredClone(result.block));
    g.add(`duplicate: ${name} tool_result repeated`, body, EITHER);
  }
  const { name: n1, body: orphan } = g.base("tool_result");
  spots(orphan, "tool_result")[0]!.block.tool_use_id = "toolu_nobody";
  g.add(`duplicate: ${n1} tool_result for an unknown tool_use id`, orphan, EITHER);
  const { name: n2, body: unanswered } = g.base("tool_result");
  const at = spots(unanswered, "tool_result")[0]!.i;
  unanswered.messages = messagesOf(unanswered).slice(0, at);
  messagesOf(unanswered).push({ role: "user", content: "Never mind the tool." });
  g.add(`duplicate: ${n2} a tool_use left without its result`, unanswered, EITHER);
  const { name: n3, body: twoTools } = g.base();
  (twoTools.tools as Json[]).push(structuredClone((twoTools.tools as Json[])[0]!));
  g.add(`duplicate: ${n3} the same tool defined twice`, twoTools, EITHER);
}

function relayRules(g: Gen): void {
  const { body: choice } = g.base();
  choice.tool_choice = { type: "tool", name: "NoSuchTool" };
  g.add("rule: tool_choice names a tool that is not defined", choice, rejects("tool_choice.name"));
  const { body: server } = g.base();
  // Web search relayx runs itself (src/web_search/); code execution it cannot run.
  (server.tools as Json[]).push({ type: "code_execution_20250522", name: "code_execution" });
  server.tool_choice = { type: "tool", name: "code_execution" };
  g.add("rule: tool_choice names a server tool relayx cannot run", server, rejects("tool_choice.name"));
  const { body: budget } = g.base();
  budget.thinking = { type: "enabled", budget_tokens: 500_000 };
  g.add("rule: a thinking budget above max_tokens", budget, ACCEPT);
  const { body: none } = g.base();
  none.tool_choice = { type: "none" };
  g.add("rule: tool_choice none with tools and tool history", none, ACCEPT);
}

/** The structural mutation families. */
export const STRUCTURAL: readonly ((g: Gen) => void)[] = [
  wrongTypes,
  missingFields,
  wrongRoles,
  emptyContent,
  duplicates,
  relayRules,
];
