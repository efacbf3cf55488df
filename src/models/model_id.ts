/**
 * How the model registry reads a model id: the same model is spelled many ways by the upstreams relayx
 * talks to (`us.anthropic.claude-sonnet-4-20250514-v1:0` on Bedrock, `anthropic/claude-sonnet-4` on
 * OpenRouter, `claude-sonnet-4-20250514` at Anthropic, `qwen3-coder:30b` on Ollama), so lookups compare
 * normalised keys. Pure.
 *
 * @module
 */

// Bedrock's cross-region inference-profile prefixes.
const GEOGRAPHY = /^(?:us-gov|us|eu|apac|jp|au|ca|global)\./;
// Bedrock's foundation-model version suffix (`-v1:0`, `-v2`).
const BEDROCK_VERSION = /-v\d+(?::\d+)?$/;
// A release date at the end of an id: `-20250514`, `-2025-08-07`, `@20250514` (Vertex).
const DATE = /[-@](?:\d{8}|\d{4}-\d{2}-\d{2})$/;
// The provider prefix of a Bedrock foundation-model id (`anthropic.`, `amazon.`, `meta.`).
const BEDROCK_PROVIDER = /^[a-z0-9-]+\.(?=[a-z])/;

/**
 * The id without what only says where it is served: an ARN's wrapping, a Bedrock geography prefix, an
 * `openrouter/` prefix; lower case. Vendor, version and size stay.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(servedId("eu.anthropic.claude-haiku-4-5-20251001-v1:0"), "anthropic.claude-haiku-4-5-20251001-v1:0");
 * assert.equal(servedId("openrouter/qwen/qwen3-coder"), "qwen/qwen3-coder");
 * ```
 */
export function servedId(model: string): string {
  let id = model.trim().toLowerCase();
  if (id.startsWith("arn:")) id = id.match(/:(?:foundation-model|inference-profile)\/(.+)$/)?.[1] ?? id;
  return id.replace(GEOGRAPHY, "").replace(/^openrouter\//, "");
}

/** Strips the marks of a release from a bare model name: a date, a Bedrock version, dots in versions. */
function canonical(name: string): string {
  let out = name.replace(BEDROCK_VERSION, "");
  // A Bedrock id may carry both (`claude-sonnet-4-20250514-v1:0`): the version comes off first.
  out = out.replace(DATE, "");
  // `claude-3.7-sonnet` (OpenRouter) and `claude-3-7-sonnet` (Anthropic) are one model.
  return out.replace(/(\d)\.(\d)/g, "$1-$2");
}

/**
 * The keys a model id is looked up by, most specific first: the served id itself, then its bare name
 * (vendor and Bedrock provider dropped) in canonical form (date, Bedrock version and `:tag` dropped,
 * `3.7` spelled `3-7`), with an Ollama size tag kept as a suffix before it is dropped
 * (`qwen3-coder:30b` -> `qwen3-coder-30b`, then `qwen3-coder`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(modelKeys("us.anthropic.claude-sonnet-4-20250514-v1:0"), [
 *   "anthropic.claude-sonnet-4-20250514-v1:0",
 *   "claude-sonnet-4",
 * ]);
 * assert.deepEqual(modelKeys("qwen3-coder:30b"), ["qwen3-coder:30b", "qwen3-coder-30b", "qwen3-coder"]);
 * assert.deepEqual(modelKeys("anthropic/claude-3.7-sonnet"), ["anthropic/claude-3.7-sonnet", "claude-3-7-sonnet"]);
 * ```
 */
export function modelKeys(model: string): string[] {
  const served = servedId(model);
  const keys = [served];
  const add = (key: string) => {
    if (key && !keys.includes(key)) keys.push(key);
  };
  // The last path segment is the model (`vendor/model`, `openrouter/vendor/model`).
  let bare = served.slice(served.lastIndexOf("/") + 1);
  // Bedrock's provider prefix (`anthropic.`); a dot before a digit is a version (`llama3.1`), not one.
  bare = bare.replace(BEDROCK_PROVIDER, "");
  const colon = bare.lastIndexOf(":");
  if (colon > 0 && !BEDROCK_VERSION.test(bare)) {
    // An Ollama tag (`:30b`, `:latest`) or OpenRouter's `:free`: the size is worth a try, then none.
    const tag = bare.slice(colon + 1);
    const name = canonical(bare.slice(0, colon));
    if (/^\d+(?:\.\d+)?[bm]$/.test(tag)) add(`${name}-${tag.replace(".", "-")}`);
    add(name);
  } else {
    add(canonical(bare));
  }
  return keys;
}
