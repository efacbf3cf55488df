import assert from "node:assert/strict";
import { RelayError } from "../../../src/errors.ts";
import { fromBedrockError, streamExceptionToError } from "../../../src/translate/bedrock/bedrock_errors.ts";

const opts = { estimate: 150_000, window: 200_000, profile: "dev-sso" };

function sdkError(name: string, message: string, status?: number): Error & { $metadata: unknown } {
  const e = new Error(message) as Error & { $metadata: unknown };
  e.name = name;
  e.$metadata = { httpStatusCode: status };
  return e;
}

function summary(e: RelayError): string {
  return `${e.status} ${e.type} retry=${e.shouldRetry} | ${e.message}`;
}

Deno.test("fromBedrockError()", async (t) => {
  await t.step("maps every SDK exception of the schema", async (t) => {
    const table = [
      ["ValidationException", "Malformed input request: #: extraneous key [foo] is not permitted", 400],
      ["ServiceQuotaExceededException", "Your request exceeds the service quota", 400],
      ["ConflictException", "Conflict", 400],
      ["AccessDeniedException", "You don't have access to the model with the specified model ID.", 403],
      ["ResourceNotFoundException", "Model not found", 404],
      ["ModelTimeoutException", "Model timed out", 408],
      ["ThrottlingException", "Too many requests, please wait before trying again.", 429],
      ["ModelNotReadyException", "Model is not ready", 429],
      ["ModelErrorException", "The model failed", 424],
      ["InternalServerException", "Internal error", 500],
      ["ServiceUnavailableException", "Service unavailable", 503],
    ] as const;
    const out = Object.fromEntries(table.map(([name, message, status]) => [
      name,
      summary(fromBedrockError(sdkError(name, message, status), opts)),
    ]));
    await t.assertSnapshot(out);
  });

  await t.step("rewrites context overflow to the text Claude Code compacts on", () => {
    const stated = fromBedrockError(
      sdkError(
        "ValidationException",
        "The model returned the following errors: prompt is too long: 210443 tokens > 200000 maximum",
        400,
      ),
      opts,
    );
    assert.equal(stated.message, "prompt is too long: 210443 tokens > 200000 maximum");
    assert.equal(stated.status, 400);
    assert.equal(stated.shouldRetry, false);
    const unstated = fromBedrockError(
      sdkError("ValidationException", "Input is too long for requested model.", 400),
      opts,
    );
    // No figures and an estimate below the window: a 10% gap, which Claude Code sizes its trimming by.
    assert.equal(unstated.message, "prompt is too long: 220000 tokens > 200000 maximum");
  });

  await t.step(
    "turns expired SSO credentials into a 401 that names the profile and the login command",
    () => {
      for (
        const err of [
          sdkError("CredentialsProviderError", "Could not load credentials from any providers"),
          sdkError("ExpiredTokenException", "The security token included in the request is expired", 403),
          sdkError(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            403,
          ),
          sdkError(
            "TokenProviderError",
            "Token is expired. To refresh this SSO session run 'aws sso login' with the corresponding profile.",
          ),
        ]
      ) {
        const e = fromBedrockError(err, opts);
        assert.equal(e.status, 401, err.name);
        assert.equal(e.type, "authentication_error");
        assert.equal(e.shouldRetry, false);
        assert.match(e.message, /profile "dev-sso"/);
        assert.match(e.message, /`aws sso login --profile dev-sso`/);
      }
      const noProfile = fromBedrockError(sdkError("CredentialsProviderError", "Could not load credentials"), {
        estimate: 0,
        window: 0,
      });
      assert.match(noProfile.message, /the default AWS credential chain/);
    },
  );

  await t.step("explains a missing region", () => {
    const e = fromBedrockError(new Error("Region is missing"), opts);
    assert.equal(e.status, 500);
    assert.match(e.message, /set AWS_REGION/);
    assert.equal(e.shouldRetry, false);
  });

  await t.step("suggests an inference profile when on-demand throughput is refused", () => {
    const e = fromBedrockError(
      sdkError(
        "ValidationException",
        "Invocation of model ID anthropic.claude-opus-4-7 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
        400,
      ),
      opts,
    );
    assert.match(e.message, /use an inference profile id/);
  });

  await t.step("passes RelayErrors through and maps unknown errors by status", () => {
    const relay = new RelayError("invalid_request_error", "x");
    assert.equal(fromBedrockError(relay, opts), relay);
    assert.equal(
      fromBedrockError(sdkError("SomethingNew", "bad gateway", 502), opts).type,
      "overloaded_error",
    );
    assert.equal(
      fromBedrockError(sdkError("SomethingNew", "teapot", 418), opts).type,
      "invalid_request_error",
    );
    assert.equal(fromBedrockError("boom", opts).type, "api_error");
  });
});

Deno.test("streamExceptionToError()", async (t) => {
  await t.step("maps ConverseStream exception members by their camelCase names", () => {
    const throttled = streamExceptionToError("throttlingException", { message: "Too many tokens" });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.shouldRetry, true);
    const unavailable = streamExceptionToError("serviceUnavailableException", { message: "busy" });
    assert.equal(unavailable.type, "overloaded_error");
    const model = streamExceptionToError("modelStreamErrorException", {
      message: "Model error",
      originalStatusCode: 500,
      originalMessage: "upstream exploded",
    });
    assert.equal(model.type, "api_error");
    assert.match(model.message, /upstream exploded/);
  });

  await t.step("rewrites an overflow reported mid-stream", () => {
    const e = streamExceptionToError(
      "validationException",
      { message: "Input is too long for requested model." },
      { estimate: 250_000, window: 200_000 },
    );
    assert.equal(e.message, "prompt is too long: 250000 tokens > 200000 maximum");
  });
});

Deno.test("fromBedrockError() maps a body that is not JSON by its status, without quoting it", () => {
  const parseError = (status: number): SyntaxError => {
    let err: SyntaxError | undefined;
    try {
      JSON.parse("<html><title>502 Bad Gateway</title></html>");
    } catch (e) {
      err = e as SyntaxError;
    }
    return Object.assign(err ?? new SyntaxError("not JSON"), { $metadata: { httpStatusCode: status } });
  };
  assert.equal(
    summary(fromBedrockError(parseError(200), opts)),
    "500 api_error retry=undefined | Bedrock answered with a body that is not JSON",
  );
  assert.equal(
    summary(fromBedrockError(parseError(502), opts)),
    "529 overloaded_error retry=true | Bedrock answered HTTP 502 with a body that is not JSON",
  );
  assert.equal(fromBedrockError(parseError(403), opts).type, "permission_error");
});
