/**
 * Bedrock Runtime calls sent with a plain `fetch`, signed by the SDK's own SigV4 signer. The SDK's
 * per-call layers (its schema-driven JSON serializer above all, then the middleware stack) cost more CPU
 * than the translation itself, so the hot path keeps only what the SDK does well: the endpoint (its rule
 * set, `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, the configuration's `endpoint`), resolved once per backend by
 * one probe through the client's own stack; the credential chain with its refresh; and the signer, built
 * once, so that its signing-key cache works across calls. The request is the one the SDK sends: same
 * path, headers and body bytes (`JSON.stringify`, bytes as base64).
 *
 * A probe that finds bearer auth (a Bedrock API key) returns no sender: those calls keep the SDK path.
 *
 * @module
 */
import { type BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { bytesToBase64 } from "../../translate/_encoding.ts";
import { userAgentHeader } from "./client.ts";

/** The Bedrock Runtime operations sent this way, as they appear in the request path. */
export type BedrockOperation = "converse" | "converse-stream" | "invoke" | "invoke-with-response-stream";

/**
 * Sends one signed POST to `/model/{modelId}/{operation}` and resolves to the response as it is (any
 * status). An abort rejects with an `AbortError`, as the SDK's handler does.
 */
export type SignedSend = (
  operation: BedrockOperation,
  modelId: string,
  body: Uint8Array,
  headers: Record<string, string>,
  signal: AbortSignal,
) => Promise<Response>;

type Signer = Awaited<ReturnType<BedrockRuntimeClient["config"]["signer"]>>;
type AuthScheme = Parameters<BedrockRuntimeClient["config"]["signer"]>[0];
type SignableRequest = Parameters<Signer["sign"]>[0];

interface Route {
  protocol: string;
  hostname: string;
  port?: number;
  /** The endpoint's path ("" for Bedrock's own). */
  basePath: string;
  /** The headers every call carries (endpoint headers, host, user agent). */
  headers: Record<string, string>;
  signer: Signer;
  signingRegion: string;
  signingService: string;
}

interface Found {
  url: URL;
  headers: Record<string, string>;
  scheme: string | undefined;
  region: string | undefined;
  service: string | undefined;
  authScheme: AuthScheme | undefined;
}

const STOP = Symbol("relayx probe");

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null ? value as Record<string, unknown> : undefined;
}

/** What the SDK resolved for a call, up to its build step: endpoint, auth scheme and signing names. */
function found(context: Record<string, unknown>): Found | undefined {
  const endpoint = record(context.endpointV2);
  if (!endpoint || !(endpoint.url instanceof URL)) return undefined;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(endpoint.headers) ?? {})) {
    headers[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : String(v);
  }
  const selected = record(record(context.__smithy_context)?.selectedHttpAuthScheme);
  const option = record(selected?.httpAuthOption);
  const props = record(option?.signingProperties);
  const schemes = record(endpoint.properties)?.authSchemes;
  // The endpoint's first auth scheme, as the SDK's signer takes it (Bedrock's rule set names none).
  const authScheme = Array.isArray(schemes) ? schemes[0] as AuthScheme : undefined;
  return {
    url: endpoint.url,
    headers,
    scheme: typeof option?.schemeId === "string" ? option.schemeId : undefined,
    region: typeof props?.signingRegion === "string"
      ? props.signingRegion
      : typeof props?.region === "string"
      ? props.region
      : undefined,
    service: typeof props?.signingName === "string"
      ? props.signingName
      : typeof props?.name === "string"
      ? props.name
      : undefined,
    authScheme,
  };
}

/**
 * Runs one (empty) Converse command through the client's stack up to its build step, where the endpoint,
 * the auth scheme and the credentials have been resolved, and stops it there: nothing is sent. Failing
 * to resolve them throws what `client.send` would have thrown for a real call.
 */
async function probe(client: BedrockRuntimeClient): Promise<Found | undefined> {
  const command = new ConverseCommand({ modelId: "relayx-probe", messages: [] });
  let out: Found | undefined;
  (command.middlewareStack as { add(mw: unknown, options: Record<string, unknown>): void }).add(
    (_next: unknown, context: Record<string, unknown>) => () => {
      out = found(context);
      throw STOP;
    },
    { step: "build", priority: "high", name: "relayxProbe", override: true },
  );
  try {
    await client.send(command);
  } catch (err) {
    if (err !== STOP) throw err;
  }
  return out;
}

async function routeOf(client: BedrockRuntimeClient): Promise<Route | undefined> {
  const f = await probe(client);
  // Bearer auth (AWS_BEARER_TOKEN_BEDROCK) and any scheme other than SigV4 stay with the SDK.
  if (!f || f.scheme !== "aws.auth#sigv4") return undefined;
  const region = f.region ?? await client.config.region();
  const signer = await client.config.signer(f.authScheme);
  const port = f.url.port ? Number(f.url.port) : undefined;
  const ua = userAgentHeader();
  return {
    protocol: f.url.protocol,
    hostname: f.url.hostname,
    port,
    // The SDK appends the operation's path to the endpoint's as it is, unless that is just "/".
    basePath: f.url.pathname === "/" ? "" : f.url.pathname,
    headers: {
      ...f.headers,
      // What the SDK's host-header and user-agent middleware write.
      host: port ? `${f.url.hostname}:${port}` : f.url.hostname,
      "user-agent": ua,
      "x-amz-user-agent": "aws-sdk-js/3",
      // What its retry middleware writes: relayx makes no SDK retries (client.ts).
      "amz-sdk-request": "attempt=1; max=1",
    },
    signer,
    signingRegion: region,
    signingService: f.service ?? "bedrock",
  };
}

// The SDK's label encoding: encodeURIComponent, plus the characters it leaves alone.
function encodeLabel(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function abortError(signal: AbortSignal): Error {
  // The SDK's fetch handler rejects an aborted call with this shape, whatever the signal's reason.
  return Object.assign(new Error("Request aborted"), { name: "AbortError", cause: signal.reason });
}

/**
 * A sender for the client's calls, or undefined when they keep the SDK path (bearer auth). The route is
 * probed on first use and kept; a failed probe (no credentials, no region) is thrown and tried again on
 * the next call, as the SDK would.
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
 *
 * const client = new BedrockRuntimeClient({ region: "us-east-1" });
 * const send = await signedSender(client, fetch)();
 * const body = new TextEncoder().encode(JSON.stringify({ messages: [{ role: "user", content: [{ text: "Hi" }] }] }));
 * const res = await send?.("converse", "us.amazon.nova-pro-v1:0", body, { "content-type": "application/json" }, AbortSignal.timeout(60_000));
 * console.log(res?.status);
 * ```
 */
export function signedSender(
  client: BedrockRuntimeClient,
  send: typeof fetch,
): () => Promise<SignedSend | undefined> {
  let route: Promise<Route | undefined> | undefined;
  let sender: SignedSend | undefined;
  return async () => {
    if (!route) {
      route = routeOf(client);
      route.catch(() => route = undefined);
    }
    const r = await route;
    if (!r) return undefined;
    sender ??= async (operation, modelId, body, headers, signal) => {
      if (signal.aborted) throw abortError(signal);
      const path = `${r.basePath}/model/${encodeLabel(modelId)}/${operation}`;
      const request: SignableRequest = {
        method: "POST",
        protocol: r.protocol,
        hostname: r.hostname,
        port: r.port,
        path,
        query: {},
        headers: {
          ...r.headers,
          ...headers,
          "content-length": String(body.byteLength),
          "amz-sdk-invocation-id": crypto.randomUUID(),
        },
        body,
      };
      const signed = await r.signer.sign(request, {
        // The clock skew the SDK learnt from earlier answers (its signer's error handler sets it).
        signingDate: new Date(Date.now() + (client.config.systemClockOffset ?? 0)),
        signingRegion: r.signingRegion,
        signingService: r.signingService,
      });
      const url = `${r.protocol}//${r.hostname}${r.port ? `:${r.port}` : ""}${path}`;
      try {
        // relayx's bodies come from TextEncoder: ArrayBuffer-backed, never shared memory.
        const bytes = body as Uint8Array<ArrayBuffer>;
        return await send(url, { method: "POST", headers: signed.headers, body: bytes, signal });
      } catch (err) {
        if (signal.aborted) throw abortError(signal);
        throw err;
      }
    };
    return sender;
  };
}

/**
 * A request's JSON body as the SDK writes it: byte members (images, documents) as base64.
 *
 * @example
 * ```ts
 * jsonBody({ source: { bytes: new Uint8Array([1, 2, 3]) } }); // the bytes of {"source":{"bytes":"AQID"}}
 * ```
 */
export function jsonBody(input: unknown): Uint8Array {
  return encoder.encode(jsonText(input) ?? "null");
}

/** The JSON text of a value as {@linkcode jsonBody} writes it (bytes as base64). */
export function jsonText(input: unknown): string | undefined {
  // The replacer slows every value down; most requests carry no bytes, and a walk finds that out cheaply.
  return hasBytes(input, 0)
    ? JSON.stringify(input, (_k, v) => v instanceof Uint8Array ? bytesToBase64(v) : v)
    : JSON.stringify(input);
}

const encoder = new TextEncoder();

function hasBytes(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (value instanceof Uint8Array) return true;
  // A bound on the walk only: relayx's parser refuses bodies nested far less deeply.
  if (depth > 256) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (hasBytes(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (hasBytes((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}
