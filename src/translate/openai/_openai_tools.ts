/**
 * Custom tools as OpenAI function tools, each translated and serialised once per tool object: a client
 * that resends the same tools gets the same validated objects back (`anthropic/repeated_parts.ts`), so
 * their translation and their JSON text are lookups from the second request on.
 *
 * @module
 */
import type { CustomTool, Tool } from "../../anthropic/types.ts";
import { isCustomTool } from "../prepare.ts";
import { safeIdentifier } from "../tool_names.ts";
import type { OpenAIChatRequest, OpenAITool } from "./openai_types.ts";
import type { ProviderProfile } from "./providers.ts";
import { cleanSchemaForGemini } from "./schema_clean.ts";
import { arrayBytes, objectBytes } from "../_json_bytes.ts";

// One memo per schema style. Keyed by the tool object, so an entry lives exactly as long as the tool.
const plain = new WeakMap<CustomTool, OpenAITool>();
const strict = new WeakMap<CustomTool, OpenAITool>();

function translate(tool: CustomTool, strictSchemas: boolean): OpenAITool {
  const fn: OpenAITool["function"] = { name: safeIdentifier(tool.name) };
  if (tool.description) fn.description = tool.description;
  if (strictSchemas) {
    const cleaned = cleanSchemaForGemini(tool.input_schema);
    // Gemini rejects an object without properties; a tool without parameters is how it says "no input".
    if (cleaned.properties !== undefined) fn.parameters = cleaned;
  } else fn.parameters = tool.input_schema;
  return Object.freeze({ type: "function", function: Object.freeze(fn) });
}

/** The request's custom tools as OpenAI function tools (server tools are dropped by preparation). */
export function openAITools(tools: readonly Tool[] | undefined, provider: ProviderProfile): OpenAITool[] {
  const memo = provider.strictSchemas ? strict : plain;
  const out: OpenAITool[] = [];
  for (const tool of tools ?? []) {
    if (!isCustomTool(tool)) continue;
    let translated = memo.get(tool);
    if (translated === undefined) {
      translated = translate(tool, provider.strictSchemas);
      memo.set(tool, translated);
    }
    out.push(translated);
  }
  return out;
}

/**
 * A chat-completions body as UTF-8 JSON, exactly the bytes of `JSON.stringify(body)`, with each tool's
 * bytes taken from a memo: tools are most of a coding agent's request, and the same on every turn, so
 * only the rest is serialised and encoded per request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PROVIDERS } from "./providers.ts";
 *
 * const tools = openAITools([{ name: "Bash", input_schema: { type: "object" } }], PROVIDERS.openai);
 * const body = { model: "gpt-4.1", messages: [{ role: "user" as const, content: "Hi" }], tools };
 * assert.equal(new TextDecoder().decode(chatBodyBytes(body)), JSON.stringify(body));
 * ```
 */
export function chatBodyBytes(body: OpenAIChatRequest): Uint8Array<ArrayBuffer> {
  const tools = body.tools;
  if (tools === undefined) return encoder.encode(JSON.stringify(body));
  return objectBytes({ ...body }, "tools", arrayBytes(tools));
}

const encoder = new TextEncoder();
