import assert from "node:assert/strict";
import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { sharedClientConfig } from "../../../src/backends/bedrock/client.ts";
import { converseBody } from "../../../src/backends/bedrock/_call.ts";
import { type BedrockOperation, jsonBody, signedSender } from "../../../src/backends/bedrock/signed_fetch.ts";

const CREDENTIALS = {
  accessKeyId: "AKIDRELAYXTEST",
  secretAccessKey: "relayx-test-secret",
  sessionToken: "tok",
};
const MODEL = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-v1:0";
const encoder = new TextEncoder();

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** A client whose every request is recorded and answered with an empty JSON object. */
function recordingClient(
  endpoint?: string,
): { client: BedrockRuntimeClient; sent: Sent[]; fetch: typeof fetch } {
  const sent: Sent[] = [];
  const record: typeof fetch = async (input, init) => {
    const req = new Request(input, init);
    sent.push({
      method: req.method,
      url: req.url,
      headers: Object.fromEntries(req.headers),
      body: new Uint8Array(await req.arrayBuffer()),
    });
    return new Response("{}", { headers: { "content-type": "application/json" } });
  };
  const config = sharedClientConfig("us-east-1", { bearer: false, summary: "test" }, CREDENTIALS, record);
  return {
    client: new BedrockRuntimeClient({ ...config, ...(endpoint ? { endpoint } : {}) }),
    sent,
    fetch: record,
  };
}

// Headers whose values differ between any two calls (time, a random id, the signature over them) or that
// the SDK fills per call (its feature list in the user agent).
const PER_CALL = new Set(["amz-sdk-invocation-id", "x-amz-date", "authorization", "user-agent"]);

function stable(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !PER_CALL.has(k)));
}

const CONVERSE: ConverseCommandInput = {
  modelId: MODEL,
  messages: [{
    role: "user",
    content: [
      { text: "Hello é 🎉" },
      { image: { format: "png", source: { bytes: new Uint8Array([137, 80, 78, 71, 0, 255]) } } },
    ],
  }],
  system: [{ text: "Be brief" }, { cachePoint: { type: "default" } }],
  inferenceConfig: { maxTokens: 100 },
  toolConfig: {
    tools: [{
      toolSpec: {
        name: "get_weather",
        inputSchema: { json: { type: "object", properties: { city: { type: "string", default: null } } } },
      },
    }],
  },
  additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } },
};

async function sdkSends(client: BedrockRuntimeClient, operation: BedrockOperation): Promise<void> {
  const invoke = {
    modelId: MODEL,
    body: encoder.encode('{"anthropic_version":"bedrock-2023-05-31"}'),
    contentType: "application/json",
    accept: "application/json",
  };
  const command = operation === "converse"
    ? new ConverseCommand(CONVERSE)
    : operation === "converse-stream"
    ? new ConverseStreamCommand(CONVERSE)
    : operation === "invoke"
    ? new InvokeModelCommand(invoke)
    : new InvokeModelWithResponseStreamCommand(invoke);
  // The answers are not what these operations return: only the requests matter here.
  // deno-lint-ignore no-explicit-any -- one call for four command types
  await client.send(command as any).catch(() => {});
}

const OURS: Record<BedrockOperation, { body: Uint8Array; headers: Record<string, string> }> = {
  "converse": { body: converseBody(CONVERSE), headers: { "content-type": "application/json" } },
  "converse-stream": { body: converseBody(CONVERSE), headers: { "content-type": "application/json" } },
  "invoke": {
    body: encoder.encode('{"anthropic_version":"bedrock-2023-05-31"}'),
    headers: { "content-type": "application/json", accept: "application/json" },
  },
  "invoke-with-response-stream": {
    body: encoder.encode('{"anthropic_version":"bedrock-2023-05-31"}'),
    headers: { "content-type": "application/json", "x-amzn-bedrock-accept": "application/json" },
  },
};

Deno.test("signedSender() sends the request the SDK sends", async (t) => {
  for (const endpoint of [undefined, "http://127.0.0.1:8123/base/"]) {
    for (const operation of Object.keys(OURS) as BedrockOperation[]) {
      await t.step(`${operation} to ${endpoint ?? "the region's endpoint"}`, async () => {
        const { client, sent, fetch } = recordingClient(endpoint);
        await sdkSends(client, operation);
        const send = await signedSender(client, fetch)();
        assert.ok(send, "a SigV4 client gets a sender");
        const { body, headers } = OURS[operation];
        await send(operation, MODEL, body, headers, new AbortController().signal);
        const [sdk, ours] = sent;
        assert.ok(sdk && ours);
        assert.equal(ours.method, sdk.method);
        assert.equal(ours.url, sdk.url);
        assert.deepEqual(stable(ours.headers), stable(sdk.headers));
        assert.equal(ours.headers["user-agent"], sdk.headers["user-agent"]?.replace(/ m\/\S+$/, ""));
        assert.match(ours.headers.authorization ?? "", /^AWS4-HMAC-SHA256 Credential=AKIDRELAYXTEST\//);
        assert.equal(
          ours.headers.authorization?.replace(/Signature=.*/, ""),
          sdk.headers.authorization?.replace(/Signature=.*/, ""),
        );
        // The same JSON (member order aside), bytes as base64.
        assert.deepEqual(
          JSON.parse(new TextDecoder().decode(ours.body)),
          JSON.parse(new TextDecoder().decode(sdk.body)),
        );
      });
    }
  }
});

Deno.test("signedSender() signs what it sends: the signature verifies over the request as received", async () => {
  const { client, sent, fetch } = recordingClient("http://127.0.0.1:8123");
  const send = await signedSender(client, fetch)();
  assert.ok(send);
  await send(
    "converse",
    MODEL,
    converseBody(CONVERSE),
    { "content-type": "application/json" },
    new AbortController().signal,
  );
  const [got] = sent;
  assert.ok(got);
  const url = new URL(got.url);
  const date = got.headers["x-amz-date"] ?? "";
  const at = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 11)}:${date.slice(11, 13)}:${
      date.slice(13, 15)
    }Z`,
  );
  // Re-sign, with a signer of its own, the request as the server saw it: any difference between what was
  // signed and what was sent (path encoding, a header, the body) changes the signature.
  const signer = await client.config.signer();
  const {
    authorization: _,
    "x-amz-date": _d,
    "x-amz-content-sha256": _s,
    "x-amz-security-token": _t,
    ...rest
  } = got.headers;
  const again = await signer.sign({
    method: got.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: {},
    headers: { ...rest, host: url.host },
    body: got.body,
  }, { signingDate: at, signingRegion: "us-east-1", signingService: "bedrock" });
  assert.equal(got.headers.authorization, again.headers.authorization);
});

Deno.test("signedSender() rejects an aborted call with an AbortError, as the SDK's handler does", async () => {
  const { client } = recordingClient("http://127.0.0.1:8123");
  // Like fetch: rejects with the signal's reason, at once if it is aborted already.
  const hang: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      if (init?.signal?.aborted) reject(init.signal.reason);
      init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
    });
  const send = await signedSender(client, hang)();
  assert.ok(send);
  const abort = new AbortController();
  const call = send("converse", MODEL, jsonBody({}), {}, abort.signal);
  abort.abort(new Error("client gone"));
  await assert.rejects(call, (err: Error) => err.name === "AbortError" && err.message === "Request aborted");
});

Deno.test("jsonBody() writes bytes as base64 and everything else as JSON.stringify does", () => {
  const plain = { a: [1, "é", null, { b: true }] };
  assert.equal(new TextDecoder().decode(jsonBody(plain)), JSON.stringify(plain));
  assert.equal(
    new TextDecoder().decode(jsonBody({ deep: [{ source: { bytes: new Uint8Array([1, 2, 3]) } }] })),
    '{"deep":[{"source":{"bytes":"AQID"}}]}',
  );
});
