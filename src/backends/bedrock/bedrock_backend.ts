/**
 * The Bedrock backend: Converse/ConverseStream for every model, and InvokeModel(WithResponseStream) with
 * Anthropic's own request body for Claude (BEDROCK_API: auto = invoke for Claude, converse otherwise).
 *
 * The AWS SDK does what it does well: endpoints, the credential chain (SSO, SAML-written keys,
 * assume-role, instance roles), SigV4 or bearer auth for Bedrock API keys, and event-stream framing.
 * Translation lives in `src/translate/`; model names are resolved in `bedrock_resolve.ts`, credentials
 * chosen in `bedrock_auth.ts`.
 *
 * @module
 */
import {
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
  CountTokensCommand,
  type CountTokensInput,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import type {
  CountTokensRequest,
  MessageResponse,
  MessagesRequest,
  StreamEvent,
} from "../../anthropic/types.ts";
import type { BedrockConfig } from "../../config.ts";
import { RelayError } from "../../errors.ts";
import { countInputTokens, estimateInputTokens } from "../../tokens.ts";
import {
  type BedrockErrorOptions,
  fromBedrockError,
  streamExceptionToError,
} from "../../translate/bedrock/bedrock_errors.ts";
import {
  type BedrockApi,
  bedrockModelInfo,
  foundationModelId,
  splitGeography,
} from "../../translate/bedrock/bedrock_models.ts";
import {
  type BedrockStreamOptions,
  converseStreamTranslator,
} from "../../translate/bedrock/converse_stream.ts";
import { translateBatches } from "../../translate/stream_translator.ts";
import { type FromBedrockOptions, fromConverseResponse } from "../../translate/bedrock/from_converse.ts";
import { fromInvokeResponse, invokeStreamTranslator } from "../../translate/bedrock/invoke_stream.ts";
import { requestToolNames, toConverseRequest } from "../../translate/bedrock/to_converse.ts";
import { toInvokeBody } from "../../translate/bedrock/to_invoke.ts";
import { toolNameMap } from "../../translate/tool_names.ts";
import type { Backend, CallContext, ModelInfo } from "../backend.ts";
import { type AuthPlan, type CredentialFacts, describeCredentials, loginHint, planAuth } from "./auth.ts";
import { converseEventBatches, invokeEventBatches } from "../../translate/bedrock/bedrock_eventstream.ts";
import { takeRawBody } from "./raw_body.ts";
import { parseClaudeName } from "../../anthropic/claude_names.ts";
import {
  accountOfProfiles,
  createModelResolver,
  CURRENT_CLAUDE,
  type InferenceProfile,
  type ModelResolver,
  newestProfile,
  profileLister,
} from "./model_resolver.ts";

/** Static credentials, for tests and embedders that hold their own. */
export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Options for {@linkcode createBedrockBackend}; production passes none. */
export interface BedrockBackendOptions {
  /** Bedrock Runtime endpoint (default: the SDK's, which honours `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`). */
  endpoint?: string;
  /** Bedrock control-plane endpoint for listing profiles (default: the SDK's, `AWS_ENDPOINT_URL_BEDROCK`). */
  controlEndpoint?: string;
  /** Credentials to use instead of the SDK's chain. */
  credentials?: StaticCredentials;
  /** Environment to plan credentials from (default `Deno.env`); only names are read, never printed. */
  env?: Record<string, string | undefined>;
  /** Lists the account's inference profiles; `false` skips listing (naming rules only). */
  listProfiles?: (() => Promise<InferenceProfile[]>) | false;
  /** Milliseconds describe() waits for credentials and the profile list. */
  describeTimeoutMs?: number;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function readEnv(): Record<string, string | undefined> {
  try {
    return Deno.env.toObject();
  } catch {
    // Without --allow-env the SDK cannot run either; planning then just finds nothing.
    return {};
  }
}

function rec(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null ? value as Record<string, unknown> : undefined;
}

function retryAfterOf(err: unknown): string | undefined {
  const headers = rec(rec(rec(err)?.$response)?.headers);
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === "retry-after" && typeof v === "string") return v;
  }
  return undefined;
}

function isAbort(err: unknown): boolean {
  const name = rec(err)?.name;
  return name === "AbortError" || name === "RequestAbortedError";
}

/** Events of the SDK's own stream iterator (the fallback when the raw body was not taken), one per batch. */
async function* singles<T>(items: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const item of items) yield [item];
}

/** InvokeModelWithResponseStream events -> the parsed Anthropic event in each chunk. */
async function* invokeChunks(
  events: AsyncIterable<unknown>,
  errors: BedrockErrorOptions,
): AsyncGenerator<unknown> {
  for await (const event of events) {
    const e = rec(event);
    if (!e) continue;
    const bytes = rec(e.chunk)?.bytes;
    if (bytes instanceof Uint8Array) {
      yield JSON.parse(decoder.decode(bytes));
      continue;
    }
    for (const [key, value] of Object.entries(e)) {
      if (key.endsWith("Exception") && value !== undefined) throw streamExceptionToError(key, value, errors);
    }
  }
}

// The SDK's own user-agent provider calls os.release(), which under Deno needs --allow-sys=osRelease;
// this one reports the same kind of facts from Deno itself, so `--allow-net --allow-env` is enough.
function userAgent(): Promise<[string, string?][]> {
  return Promise.resolve([
    ["aws-sdk-js", "3"],
    ["ua", "2.1"],
    [`os/${Deno.build.os}`],
    ["lang/js"],
    ["md/deno", Deno.version.deno],
    ["api/bedrock-runtime", "3"],
    ["app/relayx"],
  ]);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function shortError(err: unknown): string {
  const e = rec(err);
  const name = typeof e?.name === "string" ? e.name : "Error";
  const message = typeof e?.message === "string" ? e.message.split("\n")[0] ?? "" : String(err);
  return `${name}: ${message}`.slice(0, 240);
}

/**
 * Creates the Bedrock backend. Async because choosing credentials may read `~/.aws` (when permitted).
 *
 * @example
 * ```ts
 * const backend = await createBedrockBackend(config.backend as BedrockConfig);
 * ```
 */
export async function createBedrockBackend(
  config: BedrockConfig,
  options: BedrockBackendOptions = {},
): Promise<Backend> {
  const env = options.env ?? readEnv();
  const plan: AuthPlan = options.credentials
    ? { bearer: false, summary: "static credentials (injected)" }
    : await planAuth(config, env);
  const shared: BedrockRuntimeClientConfig = {
    region: config.region,
    defaultUserAgentProvider: userAgent,
    // Deno's fetch instead of the SDK's NodeHttp2Handler, which opens and closes an HTTP/2 session (a new
    // TCP + TLS connection) for every request of this client; fetch pools connections, negotiates HTTP/2
    // with Bedrock's https endpoints, and hands over a web ReadableStream for the raw event-stream path.
    requestHandler: new FetchHttpHandler(),
    // Claude Code retries by itself, honouring retry-after; SDK retries underneath would multiply waits.
    maxAttempts: 1,
  };
  if (plan.profile) shared.profile = plan.profile;
  // The SDK's chain, built here only so that its nested clients (SSO, SSO-OIDC, STS) get the same
  // user agent and so need no --allow-sys either.
  shared.credentials = options.credentials ??
    defaultProvider({ profile: plan.profile, clientConfig: { defaultUserAgentProvider: userAgent } });
  const client = new BedrockRuntimeClient({
    ...shared,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  const lister = options.listProfiles === false ? undefined : options.listProfiles ??
    profileLister({ ...shared, ...(options.controlEndpoint ? { endpoint: options.controlEndpoint } : {}) });
  const resolver: ModelResolver = createModelResolver({
    region: config.region,
    modelId: config.modelId,
    smallModelId: config.smallModelId,
    listProfiles: lister,
  });
  // Models whose CountTokens said "not supported": asked again only after a restart.
  const noCount = new Set<string>();

  function pickApi(model: string): BedrockApi {
    if (config.api !== "auto") return config.api;
    return bedrockModelInfo(model).family === "claude" ? "invoke" : "converse";
  }

  function mapError(err: unknown, request: Omit<MessagesRequest, "max_tokens">, model: string): RelayError {
    if (err instanceof RelayError) return err;
    if (isAbort(err)) return new RelayError("api_error", "Request aborted", { status: 499, cause: err });
    const relay = fromBedrockError(err, {
      estimate: estimateInputTokens(request),
      window: bedrockModelInfo(model).contextWindow,
      profile: plan.profile,
    });
    const retryAfter = retryAfterOf(err);
    if (!retryAfter) return relay;
    return new RelayError(relay.type, relay.message, {
      status: relay.status,
      retryAfter,
      shouldRetry: relay.shouldRetry,
      cause: err,
    });
  }

  function fromOptions(request: MessagesRequest, ctx: CallContext): FromBedrockOptions {
    return {
      model: request.model,
      messageId: ctx.ids.messageId(),
      ids: ctx.ids,
      names: toolNameMap(requestToolNames(request)),
      warn: ctx.warn,
    };
  }

  function streamOptions(request: MessagesRequest, ctx: CallContext): BedrockStreamOptions {
    return {
      ...fromOptions(request, ctx),
      inputEstimate: estimateInputTokens(request),
      contextWindow: bedrockModelInfo(ctx.model).contextWindow,
    };
  }

  function invokeBody(request: MessagesRequest, ctx: CallContext): Uint8Array {
    const body = toInvokeBody(request, {
      modelId: ctx.model,
      maxOutputTokens: config.maxOutputTokens,
      warn: ctx.warn,
    });
    return encoder.encode(JSON.stringify(body));
  }

  function converseInput(request: MessagesRequest, ctx: CallContext): ConverseCommandInput {
    return toConverseRequest(request, {
      modelId: ctx.model,
      maxOutputTokens: config.maxOutputTokens,
      warn: ctx.warn,
    });
  }

  async function* streamEvents(request: MessagesRequest, ctx: CallContext): AsyncGenerator<StreamEvent[]> {
    const api = pickApi(ctx.model);
    // Translation errors (400s) are thrown before any upstream call.
    const input = api === "invoke" ? invokeBody(request, ctx) : converseInput(request, ctx);
    const local = new AbortController();
    const signal = AbortSignal.any([ctx.signal, local.signal]);
    let events: AsyncIterable<StreamEvent[]>;
    try {
      if (input instanceof Uint8Array) {
        const command = new InvokeModelWithResponseStreamCommand({
          modelId: ctx.model,
          body: input,
          contentType: "application/json",
          accept: "application/json",
        });
        const raw = takeRawBody(command);
        const res = await client.send(command, { abortSignal: signal });
        const body = raw();
        const options = streamOptions(request, ctx);
        const errors = { estimate: options.inputEstimate, window: options.contextWindow ?? 0 };
        const chunks = body
          ? invokeEventBatches(body, errors)
          : res.body
          ? singles(invokeChunks(res.body, errors))
          : undefined;
        if (!chunks) throw new RelayError("api_error", "Bedrock returned no stream");
        events = translateBatches(chunks, invokeStreamTranslator(options));
      } else {
        const command = new ConverseStreamCommand(input);
        const raw = takeRawBody(command);
        const res = await client.send(command, { abortSignal: signal });
        const body = raw();
        const stream = body ? converseEventBatches(body) : res.stream ? singles(res.stream) : undefined;
        if (!stream) throw new RelayError("api_error", "Bedrock returned no stream");
        events = translateBatches(stream, converseStreamTranslator(streamOptions(request, ctx)));
      }
    } catch (err) {
      local.abort();
      throw mapError(err, request, ctx.model);
    }
    let finished = false;
    try {
      yield* events;
      finished = true;
    } catch (err) {
      throw ctx.signal.aborted ? err : mapError(err, request, ctx.model);
    } finally {
      // Early return (client gone) or failure: stop the upstream generation too.
      if (!finished) local.abort();
    }
  }

  function countInput(request: CountTokensRequest, ctx: CallContext, api: BedrockApi): CountTokensInput {
    // CountTokens needs a complete request; max_tokens does not change the count.
    const full: MessagesRequest = { ...request, max_tokens: bedrockModelInfo(ctx.model).maxOutputTokens };
    if (api === "invoke") return { invokeModel: { body: invokeBody(full, ctx) } };
    const c = converseInput(full, ctx);
    return {
      converse: {
        messages: c.messages,
        system: c.system,
        toolConfig: c.toolConfig,
        additionalModelRequestFields: c.additionalModelRequestFields,
      },
    };
  }

  async function describeAuth(): Promise<string> {
    if (plan.bearer && !options.credentials) return plan.summary;
    try {
      const provider = client.config.credentials;
      const creds = await provider() as CredentialFacts;
      return `${plan.summary}: ${describeCredentials(creds)}`;
    } catch (err) {
      // Profiles are invisible to the SDK too when relayx may not read ~/.aws; say so instead of failing later.
      const files = plan.filesUnreadable ? "; to use a profile from ~/.aws, add --allow-read=$HOME/.aws" : "";
      return `${plan.summary} | WARNING: no usable AWS credentials (${shortError(err)}); ${
        loginHint(plan.profile)
      }${files}`;
    }
  }

  async function mappings(): Promise<[string, string][]> {
    const names = [CURRENT_CLAUDE.opus, CURRENT_CLAUDE.sonnet, CURRENT_CLAUDE.haiku];
    return await Promise.all(
      names.map(async (n): Promise<[string, string]> => [n, await resolver.resolve(n)]),
    );
  }

  // What each family resolves to: its newest model in the account, or the naming rule for the newest
  // Claude when the account's profiles could not be listed.
  async function familyMap(profiles: InferenceProfile[] | undefined): Promise<string> {
    const parts: string[] = [];
    for (const tier of ["opus", "sonnet", "haiku"] as const) {
      if (tier === "haiku" && config.smallModelId) {
        parts.push(`haiku -> ${config.smallModelId}`);
        continue;
      }
      const id = profiles
        ? newestProfile(tier, profiles, config.region)
        : await resolver.resolve(CURRENT_CLAUDE[tier]);
      parts.push(
        `${tier} -> ${id ?? `${await resolver.defaultModel()} (no ${tier} profile in the account)`}`,
      );
    }
    return parts.join(", ");
  }

  return {
    kind: "bedrock",

    resolveModel(model: string): Promise<string> {
      return resolver.resolve(model);
    },

    async complete(request: MessagesRequest, ctx: CallContext): Promise<MessageResponse> {
      const api = pickApi(ctx.model);
      const from = fromOptions(request, ctx);
      if (api === "invoke") {
        const body = invokeBody(request, ctx);
        let json: unknown;
        try {
          const res = await client.send(
            new InvokeModelCommand({
              modelId: ctx.model,
              body,
              contentType: "application/json",
              accept: "application/json",
            }),
            { abortSignal: ctx.signal },
          );
          json = JSON.parse(decoder.decode(res.body));
        } catch (err) {
          throw mapError(err, request, ctx.model);
        }
        return fromInvokeResponse(json, from);
      }
      const input = converseInput(request, ctx);
      try {
        const out = await client.send(new ConverseCommand(input), { abortSignal: ctx.signal });
        return fromConverseResponse(out, from);
      } catch (err) {
        throw mapError(err, request, ctx.model);
      }
    },

    stream(request: MessagesRequest, ctx: CallContext): AsyncIterable<StreamEvent[]> {
      return streamEvents(request, ctx);
    },

    async countTokens(request: CountTokensRequest, ctx: CallContext): Promise<number> {
      const estimate = () => countInputTokens(request);
      const info = bedrockModelInfo(ctx.model);
      // CountTokens takes only bare foundation-model ids, and only Anthropic's models support it.
      const modelId = foundationModelId(ctx.model);
      if (info.family !== "claude" || modelId.startsWith("arn:") || noCount.has(modelId)) return estimate();
      let input: CountTokensInput;
      try {
        input = countInput(request, ctx, pickApi(ctx.model));
      } catch {
        // Whatever the translator rejects here, messages will reject with the proper 400.
        return estimate();
      }
      try {
        const res = await client.send(new CountTokensCommand({ modelId, input }), {
          abortSignal: ctx.signal,
        });
        return res.inputTokens ?? estimate();
      } catch (err) {
        if (ctx.signal.aborted) throw mapError(err, request, ctx.model);
        const name = shortError(err);
        if (/^(ValidationException|AccessDeniedException|ResourceNotFoundException)/.test(name)) {
          noCount.add(modelId);
        }
        ctx.warn(`count_tokens: Bedrock CountTokens failed (${name.slice(0, 120)}); estimated locally`);
        return estimate();
      }
    },

    async listModels(): Promise<ModelInfo[]> {
      const out: ModelInfo[] = [];
      const seen = new Set<string>();
      const add = (id: string, upstream: string) => {
        if (seen.has(id)) return;
        seen.add(id);
        const name = parseClaudeName(id);
        const display = name
          ? `Claude ${name.tier.charAt(0).toUpperCase()}${name.tier.slice(1)} ${name.major}${
            name.minor === undefined ? "" : `.${name.minor}`
          }`
          : id;
        out.push({ id, display_name: id === upstream ? display : `${display} -> ${upstream}`, upstream });
      };
      for (const [name, id] of await mappings()) add(name, id);
      const { profiles } = await resolver.listing();
      for (const p of profiles ?? []) {
        const base = splitGeography(p.id).bare;
        const name = base.startsWith("anthropic.") ? parseClaudeName(base) : undefined;
        if (!name || p.type !== "SYSTEM_DEFINED") continue;
        const alias = `claude-${name.tier}-${name.major}${name.minor === undefined ? "" : `-${name.minor}`}`;
        add(alias, await resolver.resolve(alias));
      }
      if (config.modelId) add(config.modelId, config.modelId);
      if (config.smallModelId) add(config.smallModelId, config.smallModelId);
      return out;
    },

    async describe(): Promise<string> {
      const timeoutMs = options.describeTimeoutMs ?? 8000;
      const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME ?? env.AWS_ENDPOINT_URL;
      let host = `bedrock-runtime.${config.region}.amazonaws.com`;
      try {
        if (endpoint) host = new URL(endpoint).host;
      } catch {
        host = endpoint ?? host;
      }
      const [auth, listing] = await Promise.all([
        withTimeout(describeAuth(), timeoutMs, "resolving AWS credentials").catch((err) =>
          `${plan.summary} | WARNING: ${shortError(err)}`
        ),
        withTimeout(resolver.listing(), timeoutMs, "listing inference profiles").catch((err) => ({
          error: shortError(err),
          profiles: undefined,
        })),
      ]);
      const families = await familyMap(listing.profiles);
      // Static keys do not carry the account; the listed profiles' ARNs do.
      const account = listing.profiles && !auth.includes("account ")
        ? accountOfProfiles(listing.profiles)
        : undefined;
      const authLine = account ? `${auth}, account ${account}` : auth;
      // Without credentials the listing failed for the same reason the warning above already gives.
      const why = auth.includes("WARNING") ? "no credentials" : `listing profiles failed: ${listing.error}`;
      const source = listing.profiles ? "" : ` (naming rules; ${why})`;
      const fallback = `other Claude names -> ${await resolver.defaultModel()}`;
      return `Bedrock ${config.region} at ${host}, api ${config.api}, auth ${authLine} | models ${families}, ${fallback}${source}`;
    },
  };
}
