/**
 * The boundary: `unknown` request bodies become typed requests here, or a 400 that names the bad field.
 *
 * Only what relayx reads is checked strictly; unknown top-level fields (`context_management`,
 * `container`, new beta fields Claude Code adds without notice) are ignored, never an error.
 *
 * @module
 */
import { z } from "zod";
import { DEFAULT_LIMITS } from "../limits.ts";
import { checkModel, checkNesting, checkToolUseIds } from "./_checks.ts";
import type {
  CountTokensRequest,
  Message,
  MessagesRequest,
  TextBlock,
  ThinkingConfig,
  Tool,
} from "./types.ts";
import { block, cacheControl, text, tool } from "./_block_schemas.ts";
import { RelayError } from "../errors.ts";
import type { KnownParts } from "./repeated_parts.ts";

const content = z.union([z.string(), z.array(block)]);

// A mid-conversation system message may carry only a per-turn `output_config` (no content), and
// `clear_at: "next_user_message"` hides it once a later user message exists.
const message = z.discriminatedUnion("role", [
  z.object({ role: z.enum(["user", "assistant"]), content }),
  z.object({
    role: z.literal("system"),
    content: content.optional(),
    clear_at: z.enum(["next_user_message", "never"]).nullable().optional().catch(undefined),
  }),
]);

const toolChoice = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("tool"), name: z.string(), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("none") }),
]);

const display = z.enum(["summarized", "omitted"]).optional().catch("summarized");

const THINKING_TYPES: ReadonlySet<string> = new Set(["enabled", "adaptive", "disabled"]);

// A thinking type newer than relayx is no 400: `between_tools` (thinking between tool calls) is closest to
// adaptive thinking, and any other leaves thinking to the backend's default.
const thinking = z.union([
  z.discriminatedUnion("type", [
    z.object({
      type: z.literal("enabled"),
      budget_tokens: z.number().int(),
      display: display,
    }),
    z.object({ type: z.literal("adaptive"), display: display }),
    z.object({ type: z.literal("disabled") }),
  ]),
  z.looseObject({ type: z.string().pipe(z.custom<string>((t) => !THINKING_TYPES.has(t as string))) })
    .transform((t): ThinkingConfig | undefined =>
      t.type === "between_tools" ? { type: "adaptive" } : undefined
    ),
]);

const tools = z.array(tool);

const common = {
  model: z.string().min(1),
  messages: z.array(message).min(1, "Expected at least one message").max(100_000, "At most 100000 messages"),
  system: z.union([z.string(), z.array(text)]).optional(),
  tools: tools.optional(),
  tool_choice: toolChoice.optional(),
  thinking: thinking.optional(),
  output_config: z.object({
    effort: z.enum(["low", "medium", "high", "xhigh", "max"]).optional().catch(undefined),
    format: z.object({ type: z.literal("json_schema"), schema: z.record(z.string(), z.unknown()) }).nullable()
      .optional(),
  }).optional(),
  cache_control: cacheControl,
  betas: z.array(z.string()).optional(),
  mcp_servers: z.array(z.unknown()).optional(),
};

const messagesSchema = z.object({
  ...common,
  max_tokens: z.number().int().nonnegative(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().nonnegative().optional(),
  metadata: z.object({ user_id: z.string().nullable().optional() }).nullable().optional(),
  service_tier: z.enum(["auto", "standard_only"]).optional(),
});

const countSchema = z.object({ ...common, max_tokens: z.number().int().optional() });

type Issue = z.core.$ZodIssue;

// A union ("string or blocks") reports only "Invalid input" at its own path; the branch that got
// furthest names the real culprit, e.g. messages.0.content.1.type rather than messages.0.content. On a tie,
// a structural problem beats a refinement (a custom tool's bad input_schema, not "not a server tool").
function deepest(
  issue: Issue,
  prefix: PropertyKey[],
): { path: PropertyKey[]; message: string; refined: boolean } {
  const path = [...prefix, ...issue.path];
  let best = { path, message: issue.message, refined: issue.code === "custom" };
  if (issue.code === "invalid_union") {
    for (const branch of issue.errors) {
      for (const inner of branch) {
        const candidate = deepest(inner, path);
        const longer = candidate.path.length > best.path.length;
        const better = candidate.path.length === best.path.length && best.refined && !candidate.refined;
        if (longer || better) best = candidate;
      }
    }
  }
  return best;
}

function fail(error: z.ZodError): never {
  const first = error.issues[0];
  const { path, message } = first ? deepest(first, []) : { path: [], message: "Invalid request" };
  const where = path.length ? path.map(String).join(".") : "body";
  throw new RelayError("invalid_request_error", `${where}: ${message}`, { shouldRetry: false });
}

type Common = z.output<z.ZodObject<typeof common>>;

// No cast turns the schema's output into the types of types.ts: the two parse functions below build
// their requests as typed literals, so a schema that drifts from the types is a compile error there and
// in `messages()`. A spread is not checked for excess fields: `_NoExtraFields` fails to compile when the
// schema reads a top-level field that the types do not have.
type ExtraFields<S, T> = Exclude<keyof S, keyof T>;
type _NoExtraFields = [
  ExtraFields<z.output<typeof messagesSchema>, MessagesRequest>,
  ExtraFields<z.output<typeof countSchema>, CountTokensRequest>,
] extends [never, never] ? true : never;
const _noExtraFields: _NoExtraFields = true;

// String content is one text block; normalising here spares every translator the two shapes. A system
// message without content (only a per-turn output_config) has nothing for a model, nor has one cleared by a
// later user message ("next_user_message": Anthropic keeps it in the list but no longer shows it).
function messages(body: Common): Message[] {
  const lastUser = body.messages.findLastIndex((m) => m.role === "user");
  const out: Message[] = [];
  body.messages.forEach((m, i) => {
    if (
      m.role === "system" && (m.content === undefined || (m.clear_at === "next_user_message" && i < lastUser))
    ) {
      return;
    }
    const c = m.content ?? [];
    out.push({ role: m.role, content: typeof c === "string" ? [{ type: "text", text: c }] : c });
  });
  return out;
}

function system(body: Common): TextBlock[] | undefined {
  return typeof body.system === "string"
    ? (body.system === "" ? undefined : [{ type: "text", text: body.system }])
    : body.system;
}

function betas(body: Common, betaHeader: string | null): string[] | undefined {
  const all = [...(body.betas ?? [])];
  if (betaHeader) { for (const b of betaHeader.split(",")) if (b.trim()) all.push(b.trim()); }
  return all.length ? all : undefined;
}

function outputConfig(body: Common): MessagesRequest["output_config"] {
  return body.output_config
    ? { ...body.output_config, format: body.output_config.format ?? undefined }
    : undefined;
}

/**
 * Validates a request's `tools` as {@linkcode parseMessagesRequest} does, or `undefined` when they are
 * not valid (for `repeated_parts.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(validateTools([{ name: "Bash", input_schema: { type: "object" } }])?.length, 1);
 * assert.equal(validateTools([{ name: 7 }]), undefined);
 * ```
 */
export function validateTools(value: unknown): Tool[] | undefined {
  const r = tools.safeParse(value);
  return r.success ? r.data : undefined;
}

/** What parsing needs from the configuration. */
export interface ParseOptions {
  /** The longest `model` accepted (default {@linkcode DEFAULT_LIMITS}`.maxModelLength`). */
  maxModelLength?: number;
}

/**
 * Parses a `POST /v1/messages` body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const request = parseMessagesRequest(
 *   { model: "claude-sonnet-4-5", max_tokens: 1024, messages: [{ role: "user", content: "Hello" }] },
 *   "interleaved-thinking-2025-05-14",
 * );
 * assert.deepEqual(request.messages[0]?.content, [{ type: "text", text: "Hello" }]);
 * assert.deepEqual(request.betas, ["interleaved-thinking-2025-05-14"]);
 * assert.throws(() => parseMessagesRequest({ model: "m".repeat(600), max_tokens: 1, messages: [] }), /model: Too long/);
 * ```
 * `known` carries parts validated before (`repeated_parts.ts`), left out of `body`.
 *
 * @throws {RelayError} 400 `invalid_request_error` naming the path of the first bad field.
 */
export function parseMessagesRequest(
  body: unknown,
  betaHeader: string | null = null,
  options: ParseOptions = {},
  known: KnownParts = {},
): MessagesRequest {
  checkModel(body, options.maxModelLength ?? DEFAULT_LIMITS.maxModelLength);
  checkNesting(body);
  const r = messagesSchema.safeParse(body);
  if (!r.success) fail(r.error);
  const b = r.data;
  checkToolUseIds(b.messages);
  return {
    ...b,
    tools: known.tools ?? b.tools,
    messages: messages(b),
    system: system(b),
    betas: betas(b, betaHeader),
    output_config: outputConfig(b),
  };
}

/**
 * Parses a `POST /v1/messages/count_tokens` body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const request = parseCountTokensRequest({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "Hi" }] });
 * assert.equal(request.max_tokens, undefined);
 * ```
 * @throws {RelayError} 400 `invalid_request_error` naming the path of the first bad field.
 */
export function parseCountTokensRequest(
  body: unknown,
  betaHeader: string | null = null,
  options: ParseOptions = {},
): CountTokensRequest {
  checkModel(body, options.maxModelLength ?? DEFAULT_LIMITS.maxModelLength);
  checkNesting(body);
  const r = countSchema.safeParse(body);
  if (!r.success) fail(r.error);
  const b = r.data;
  checkToolUseIds(b.messages);
  return {
    ...b,
    messages: messages(b),
    system: system(b),
    betas: betas(b, betaHeader),
    output_config: outputConfig(b),
  };
}
