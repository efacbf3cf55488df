import assert from "node:assert/strict";
import type { RelayError } from "../../../src/errors.ts";
import { createRedactor } from "../../../src/redact.ts";
import {
  connectionError,
  fromOpenAIError,
  fromOpenAIErrorChunk,
} from "../../../src/translate/openai/openai_errors.ts";
import authError from "../../testdata/openai/error_auth.json" with { type: "json" };
import contextLength from "../../testdata/openai/error_context_length.json" with { type: "json" };
import geminiArray from "../../testdata/openai/error_gemini_array.json" with { type: "json" };

const opts = { estimate: 9000, window: 8192 };

function view(err: RelayError): unknown {
  return {
    type: err.type,
    status: err.status,
    message: err.message,
    retryAfter: err.retryAfter,
    shouldRetry: err.shouldRetry,
  };
}

Deno.test("fromOpenAIError()", async (t) => {
  await t.step("rewrites context overflow into the message Claude Code compacts on", () => {
    assert.deepEqual(view(fromOpenAIError(400, contextLength, opts)), {
      type: "invalid_request_error",
      status: 400,
      message: "prompt is too long: 130532 tokens > 128000 maximum",
      retryAfter: undefined,
      shouldRetry: false,
    });
    // Ollama/llama.cpp wording without figures: relayx's estimate and window fill in.
    assert.equal(
      fromOpenAIError(
        400,
        { error: "the request exceeds the available context size, try increasing it" },
        opts,
      ).message,
      "prompt is too long: 9000 tokens > 8192 maximum",
    );
    assert.equal(
      fromOpenAIError(400, '{"error":{"message":"x","code":"context_length_exceeded"}}', opts).message,
      "prompt is too long: 9000 tokens > 8192 maximum",
    );
  });

  await t.step("maps each upstream status", async () => {
    const table: Record<string, unknown> = {};
    for (const status of [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 520, 529]) {
      table[status] = view(fromOpenAIError(status, { error: { message: `Upstream said ${status}` } }, {
        ...opts,
        retryAfter: status === 429 || status === 503 ? "7" : null,
      }));
    }
    assert.equal((table[401] as { status: number }).status, 500);
    assert.equal((table[503] as { status: number }).status, 529);
    assert.equal((table[429] as { retryAfter: string }).retryAfter, "7");
    await t.assertSnapshot(table);
  });

  await t.step("reads Gemini's array shape, plain text and empty bodies", () => {
    assert.deepEqual(view(fromOpenAIError(400, geminiArray, opts)), {
      type: "invalid_request_error",
      status: 400,
      message:
        "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties[labels].properties: should be non-empty for OBJECT type",
      retryAfter: undefined,
      shouldRetry: false,
    });
    assert.equal(fromOpenAIError(502, "Bad Gateway", opts).message, "Bad Gateway");
    assert.equal(fromOpenAIError(500, "", opts).message, "Upstream returned HTTP 500");
    assert.equal(fromOpenAIError(404, { detail: "Not Found" }, opts).message, "Not Found");
  });

  await t.step("blames the upstream key on 401; the redactor the backend applies hides the key", () => {
    const redact = createRedactor([]);
    const err = redact.error(fromOpenAIError(401, authError, opts));
    assert.equal(err.type, "api_error");
    assert.equal(err.status, 500);
    assert.equal(err.shouldRetry, false);
    assert.ok(
      err.message.startsWith("Upstream authentication failed: Incorrect API key provided: [redacted]"),
    );
    assert.ok(!err.message.includes("sk-proj"), err.message);
    const shown = (body: string) => redact.error(fromOpenAIError(400, body, opts)).message;
    assert.ok(!shown("bad header Bearer abc.def.ghi").includes("abc.def"));
    assert.ok(!shown("key AIzaSyA1234567890abcdefghij invalid").includes("AIza"));
  });

  await t.step("names a gateway's HTML error page by its title", () => {
    const page =
      "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    assert.equal(fromOpenAIError(502, page, opts).message, "502 Bad Gateway (HTML page)");
    assert.equal(fromOpenAIError(502, "<html><body>down</body></html>", opts).message, "an HTML page");
  });

  await t.step("does not read rate limits that mention tokens as overflow", () => {
    const err = fromOpenAIError(429, {
      error: { message: "Request too large: too many tokens per min (TPM). Limit 30000, Requested 50000." },
    }, opts);
    assert.equal(err.type, "rate_limit_error");
  });
});

Deno.test("fromOpenAIErrorChunk() takes the status from the chunk", () => {
  assert.equal(
    fromOpenAIErrorChunk({ error: { message: "Busy", code: 503 } }, opts).type,
    "overloaded_error",
  );
  assert.equal(
    fromOpenAIErrorChunk({ error: { message: "Slow down", type: "rate_limit_exceeded" } }, opts).type,
    "rate_limit_error",
  );
  assert.equal(
    fromOpenAIErrorChunk({ error: { message: "Boom", type: "server_error" } }, opts).type,
    "api_error",
  );
  assert.equal(
    fromOpenAIErrorChunk({ error: { message: "x", code: "context_length_exceeded" } }, opts).message,
    "prompt is too long: 9000 tokens > 8192 maximum",
  );
});

Deno.test("connectionError()", async (t) => {
  await t.step("explains a refused connection, as Deno reports it", () => {
    const cause = new TypeError(
      "error sending request for url (http://localhost:11434/v1/chat/completions): client error (Connect): tcp connect error: Connection refused (os error 111)",
    );
    assert.deepEqual(view(connectionError("http://localhost:11434/v1", cause)), {
      type: "api_error",
      status: 500,
      message:
        "Cannot reach the upstream at http://localhost:11434/v1: connection refused (is the server running?)",
      retryAfter: undefined,
      shouldRetry: undefined,
    });
  });

  await t.step("names DNS, TLS and timeout failures and never shows credentials in the URL", () => {
    const dns = connectionError(
      "https://user:secret@api.example.test/v1/?key=abc",
      new TypeError("dns error: failed to lookup address information"),
    );
    assert.equal(dns.message, "Cannot reach the upstream at https://api.example.test/v1: host not found");
    const tls = connectionError(
      "https://x.test/v1",
      new TypeError("invalid peer certificate: UnknownIssuer"),
    );
    assert.equal(tls.message, "Cannot reach the upstream at https://x.test/v1: TLS handshake failed");
    const timeout = connectionError(
      "https://x.test/v1",
      new DOMException("Signal timed out.", "TimeoutError"),
    );
    assert.equal(timeout.type, "timeout_error");
    assert.equal(timeout.message, "Timed out connecting to the upstream at https://x.test/v1");
    const nested = connectionError(
      "http://h:1/v1",
      new Error("fetch failed", { cause: new Error("connect ECONNREFUSED") }),
    );
    assert.match(nested.message, /connection refused/);
  });
});

Deno.test("fromOpenAIError() tells a too-large max_tokens apart from a too-long prompt", () => {
  // vLLM and OpenAI: the prompt fits, the prompt plus the requested completion does not.
  const split = fromOpenAIError(400, {
    error: {
      message: "This model's maximum context length is 32768 tokens. However, you requested 36384 tokens " +
        "(20000 in the messages, 16384 in the completion). Please reduce the length of the messages or completion.",
      code: "context_length_exceeded",
    },
  }, opts);
  assert.equal(
    split.message,
    "input length and `max_tokens` exceed context limit: 20000 + 16384 > 32768, decrease input length or " +
      "`max_tokens` and try again",
  );
  assert.equal(split.status, 400);
  const vllm = fromOpenAIError(400, {
    error: {
      message:
        "'max_tokens' or 'max_completion_tokens' is too large: 16384. This model's maximum context length " +
        "is 32768 tokens and your request has 20000 input tokens (16384 > 32768 - 20000).",
      type: "BadRequestError",
    },
  }, opts);
  assert.match(vllm.message, /^input length and `max_tokens` exceed context limit: 20000 \+ 16384 > 32768/);
  // The prompt alone is too long: Claude Code's compaction message, with the upstream's figures.
  const long = fromOpenAIError(400, {
    error: {
      message: "This model's maximum context length is 32768 tokens. However, you requested 40000 tokens " +
        "(36000 in the messages, 4000 in the completion).",
      code: "context_length_exceeded",
    },
  }, opts);
  assert.equal(long.message, "prompt is too long: 36000 tokens > 32768 maximum");
});
