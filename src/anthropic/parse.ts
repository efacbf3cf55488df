/**
 * The boundary: `unknown` request bodies become typed requests here, or a 400 that names the bad field.
 *
 * Only what relayx reads is checked strictly; unknown top-level fields (`context_management`,
 * `container`, new beta fields Claude Code adds without notice) are ignored, never an error.
 *
 * @module
 */
import { z } from "zod";
import {
  type CountTokensRequest,
  type Message,
  type MessagesRequest,
  SERVER_TOOL_BLOCK_TYPES,
  type TextBlock,
} from "./types.ts";
import { RelayError } from "../errors.ts";

const cacheControl = z.object({ type: z.literal("ephemeral"), ttl: z.enum(["5m", "1h"]).optional() })
  .nullable()
  .optional();

const text = z.object({
  type: z.literal("text"),
  text: z.string(),
  cache_control: cacheControl,
  citations: z.unknown().optional(),
});

const imageSource = z.discriminatedUnion("type", [
  z.object({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
  z.object({ type: z.literal("url"), url: z.string() }),
  z.object({ type: z.literal("file"), file_id: z.string() }),
]);

const image = z.object({ type: z.literal("image"), source: imageSource, cache_control: cacheControl });

const document = z.object({
  type: z.literal("document"),
  source: z.discriminatedUnion("type", [
    z.object({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
    z.object({ type: z.literal("text"), media_type: z.string(), data: z.string() }),
    z.object({ type: z.literal("content"), content: z.union([z.string(), z.array(z.union([text, image]))]) }),
    z.object({ type: z.literal("url"), url: z.string() }),
    z.object({ type: z.literal("file"), file_id: z.string() }),
  ]),
  title: z.string().nullable().optional(),
  context: z.string().nullable().optional(),
  citations: z.unknown().optional(),
  cache_control: cacheControl,
});

const searchResult = z.object({
  type: z.literal("search_result"),
  source: z.string(),
  title: z.string(),
  content: z.array(text),
  cache_control: cacheControl,
});

const toolReference = z.object({ type: z.literal("tool_reference"), tool_name: z.string() });

const toolResult = z.object({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: z.union([
    z.string(),
    z.array(z.discriminatedUnion("type", [text, image, document, searchResult, toolReference])),
  ]).optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControl,
});

const serverBlock = z.looseObject({ type: z.enum(SERVER_TOOL_BLOCK_TYPES) });

const block = z.discriminatedUnion("type", [
  text,
  image,
  document,
  searchResult,
  z.object({
    type: z.literal("tool_use"),
    id: z.string(),
    name: z.string(),
    input: z.unknown(),
    cache_control: cacheControl,
  }),
  toolResult,
  z.object({ type: z.literal("thinking"), thinking: z.string(), signature: z.string() }),
  z.object({ type: z.literal("redacted_thinking"), data: z.string() }),
  serverBlock,
]);

const message = z.object({
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(block)]),
});

const tool = z.union([
  z.object({
    type: z.literal("custom").optional(),
    name: z.string().min(1),
    description: z.string().optional(),
    input_schema: z.record(z.string(), z.unknown()),
    cache_control: cacheControl,
    defer_loading: z.boolean().optional(),
    strict: z.boolean().optional(),
  }),
  // Server tools (web_search_*, ...): any other type. A "custom" tool never falls through to here, so that
  // a bad input_schema is a 400 naming it rather than a tool no backend can translate.
  // (z.custom, not .refine: zod takes a branch that fails only a refinement as the union's match.)
  z.looseObject({ type: z.string().pipe(z.custom<string>((t) => t !== "custom")), name: z.string() }),
]);

const toolChoice = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("tool"), name: z.string(), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("none") }),
]);

const display = z.enum(["summarized", "omitted"]).optional().catch("summarized");

const thinking = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("enabled"),
    budget_tokens: z.number().int(),
    display: display,
  }),
  z.object({ type: z.literal("adaptive"), display: display }),
  z.object({ type: z.literal("disabled") }),
]);

const common = {
  model: z.string().min(1),
  messages: z.array(message).min(1, "Expected at least one message"),
  system: z.union([z.string(), z.array(text)]).optional(),
  tools: z.array(tool).optional(),
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

// String content is one text block; normalising here spares every translator the two shapes.
function messages(body: Common): Message[] {
  return body.messages.map((m) => ({
    role: m.role,
    content: typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content,
  }));
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
 * Parses a `POST /v1/messages` body.
 *
 * @throws {RelayError} 400 `invalid_request_error` naming the path of the first bad field.
 */
export function parseMessagesRequest(body: unknown, betaHeader: string | null = null): MessagesRequest {
  const r = messagesSchema.safeParse(body);
  if (!r.success) fail(r.error);
  const b = r.data;
  return {
    ...b,
    messages: messages(b),
    system: system(b),
    betas: betas(b, betaHeader),
    output_config: outputConfig(b),
  };
}

/**
 * Parses a `POST /v1/messages/count_tokens` body.
 *
 * @throws {RelayError} 400 `invalid_request_error` naming the path of the first bad field.
 */
export function parseCountTokensRequest(body: unknown, betaHeader: string | null = null): CountTokensRequest {
  const r = countSchema.safeParse(body);
  if (!r.success) fail(r.error);
  const b = r.data;
  return {
    ...b,
    messages: messages(b),
    system: system(b),
    betas: betas(b, betaHeader),
    output_config: outputConfig(b),
  };
}
