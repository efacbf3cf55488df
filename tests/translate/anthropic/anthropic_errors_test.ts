import assert from "node:assert/strict";
import { fromAnthropicError } from "../../../src/translate/anthropic/anthropic_errors.ts";

const NONE = { retryAfter: null, shouldRetry: null };

Deno.test("fromAnthropicError: an envelope keeps its type, message, status and headers", () => {
  const body = JSON.stringify({
    type: "error",
    error: {
      type: "rate_limit_error",
      message: "Number of request tokens has exceeded your per-minute rate limit",
    },
    request_id: "req_011",
  });
  const err = fromAnthropicError(429, body, { retryAfter: "12", shouldRetry: "true" });
  assert.deepEqual([err.type, err.status, err.message, err.retryAfter, err.shouldRetry], [
    "rate_limit_error",
    429,
    "Number of request tokens has exceeded your per-minute rate limit",
    "12",
    true,
  ]);
});

Deno.test("fromAnthropicError: a body that is no envelope gets the status's type and an excerpt", () => {
  const err = fromAnthropicError(502, "<html><body>Bad Gateway</body></html>", NONE);
  assert.equal(err.type, "api_error");
  assert.equal(err.status, 502);
  assert.match(err.message, /^Upstream answered HTTP 502: <html>/);
  const bare = fromAnthropicError(404, JSON.stringify({ error: "model 'qwen9' not found" }), NONE);
  assert.deepEqual([bare.type, bare.message], ["not_found_error", "model 'qwen9' not found"]);
});

Deno.test("fromAnthropicError: an unknown declared type falls back to the status's", () => {
  const body = JSON.stringify({ type: "error", error: { type: "weird_error", message: "Odd" } });
  const err = fromAnthropicError(503, body, { retryAfter: null, shouldRetry: "false" });
  assert.deepEqual([err.type, err.status, err.shouldRetry], ["api_error", 503, false]);
});

Deno.test("fromAnthropicError: an error envelope sent with 200 keeps its type's status", () => {
  const body = JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
  const err = fromAnthropicError(200, body, NONE);
  assert.deepEqual([err.type, err.status], ["overloaded_error", 529]);
});
