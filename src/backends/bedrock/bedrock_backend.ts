/**
 * The Bedrock backend: Converse/ConverseStream for every model, and InvokeModel(WithResponseStream) with
 * Anthropic's own request body for Claude (BEDROCK_API: auto = invoke for Claude, converse otherwise).
 *
 * The AWS SDK does what it does well: endpoints, the credential chain (SSO, SAML-written keys,
 * assume-role, instance roles), SigV4 or bearer auth for Bedrock API keys, typed exceptions, and
 * event-stream framing. The runtime calls themselves are sent with fetch and the SDK's signer
 * (`signed_fetch.ts`): its per-call serializer and middleware cost more than the translation.
 * Translation lives in `src/translate/bedrock/`; this module only assembles the backend from its parts:
 * credentials (`auth.ts`), clients (`client.ts`), model names (`model_resolver.ts`, `profiles.ts`,
 * `profile_lister.ts`), the calls (`complete_message.ts`, `bedrock_stream.ts`, `count_tokens.ts`), the
 * model list (`model_list.ts`) and the start-up line (`banner.ts`).
 *
 * @module
 */
import { BedrockRuntimeClient, type BedrockRuntimeClientConfig } from "@aws-sdk/client-bedrock-runtime";
import type { BedrockConfig } from "../../config.ts";
import { createModelRegistry, type ModelRegistry } from "../../models/registry.ts";
import { createRedactor, type Redactor, secretsOf } from "../../redact.ts";
import { DEFAULT_LIMITS, type Limits } from "../../limits.ts";
import type { Backend } from "../backend.ts";
import { abortableFetch } from "../abortable_fetch.ts";
import { answeringPrewarm } from "../prewarm.ts";
import { retryOnce } from "../retry_once.ts";
import { completeWithMedia, type MediaPlan, streamWithMedia } from "../with_media.ts";
import type { UpstreamLimits } from "../upstream_watch.ts";
import type { BedrockCall } from "./_call.ts";
import { type AuthPlan, planAuth } from "./auth.ts";
import { describeBedrock } from "./banner.ts";
import { bedrockStream } from "./bedrock_stream.ts";
import { sharedClientConfig, type StaticCredentials } from "./client.ts";
import { completeMessage } from "./complete_message.ts";
import { tokenCounter } from "./count_tokens.ts";
import { bedrockMediaCaps } from "./media_caps.ts";
import { listModels } from "./model_list.ts";
import { createModelResolver } from "./model_resolver.ts";
import { profileLister } from "./profile_lister.ts";
import { signedSender } from "./signed_fetch.ts";
import type { InferenceProfile } from "./profiles.ts";

export type { StaticCredentials, UpstreamLimits };

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
  /**
   * Hides secrets in the errors the backend maps (default: one that knows the environment's AWS
   * credentials); `credentials` are added to it.
   */
  redact?: Redactor;
  /**
   * Connect, response-headers and idle timeouts of upstream calls (default {@linkcode DEFAULT_LIMITS};
   * `main.ts` passes the configured `config.limits`), and the size bound of PDF text for models that
   * take no PDFs.
   */
  limits?: UpstreamLimits & Partial<Pick<Limits, "pdfTextMaxChars">>;
  /** A fetch for the SDK's HTTP handler to send requests with (default the global fetch). */
  fetch?: typeof fetch;
  /**
   * What relayx knows of upstream models: output caps, context windows, vision (default: relayx's own
   * entries and rules, without the catalogue; `main.ts` passes the full registry).
   */
  registry?: ModelRegistry;
}

// The start-up line names a model per family and up to two warnings: far below this.
const BANNER_MAX = 4000;

function readEnv(): Record<string, string | undefined> {
  try {
    return Deno.env.toObject();
  } catch {
    // Without --allow-env the SDK cannot run either; planning then just finds nothing.
    return {};
  }
}

function lister(
  options: BedrockBackendOptions,
  shared: BedrockRuntimeClientConfig,
): (() => Promise<InferenceProfile[]>) | undefined {
  if (options.listProfiles === false) return undefined;
  return options.listProfiles ??
    profileLister({ ...shared, ...(options.controlEndpoint ? { endpoint: options.controlEndpoint } : {}) });
}

/**
 * Creates the Bedrock backend. Async because choosing credentials may read `~/.aws` (when permitted).
 *
 * @example
 * ```ts
 * const backend = await createBedrockBackend({
 *   kind: "bedrock",
 *   profileExplicit: false,
 *   region: "us-east-1",
 *   api: "auto",
 * });
 * console.log(await backend.describe());
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
  const shared = sharedClientConfig(config.region, plan, options.credentials, options.fetch);
  const client = new BedrockRuntimeClient({
    ...shared,
    // The configuration file's `endpoint`; an option given in code wins.
    ...(options.endpoint ?? config.endpoint ? { endpoint: options.endpoint ?? config.endpoint } : {}),
  });
  const resolver = createModelResolver({
    region: config.region,
    modelId: config.modelId,
    smallModelId: config.smallModelId,
    listProfiles: lister(options, shared),
  });
  const creds = options.credentials;
  const redact = (options.redact ?? createRedactor(secretsOf(env)))
    .with([creds?.accessKeyId, creds?.secretAccessKey, creds?.sessionToken]);
  const registry = options.registry ?? createModelRegistry();
  const spec = (model: string) => registry.lookup(model, { provider: "bedrock" });
  const call: BedrockCall = {
    config,
    client,
    // The same fetch as the SDK's handler (client.ts): bodies kept abortable, one retry of an unanswered call.
    send: signedSender(client, retryOnce(abortableFetch(options.fetch))),
    plan,
    redact,
    limits: options.limits ?? DEFAULT_LIMITS,
    spec,
  };
  const stream = bedrockStream(call);
  const media: MediaPlan = {
    caps: (model) => bedrockMediaCaps(config, model, spec(model)),
    pdfTextMaxChars: options.limits?.pdfTextMaxChars ?? DEFAULT_LIMITS.pdfTextMaxChars,
  };
  // `max_tokens: 0` (a cache pre-warm) is answered without the upstream: see prewarm.ts.
  return answeringPrewarm({
    kind: "bedrock",
    resolveModel: (model) => resolver.resolve(model),
    complete: (request, ctx) =>
      completeWithMedia(media, request, ctx, (adapted) => completeMessage(call, adapted, ctx)),
    stream: (request, ctx) => streamWithMedia(stream, media, request, ctx),
    countTokens: tokenCounter(call),
    listModels: () => listModels(config, resolver),
    modelSpec: spec,
    // The line quotes the credential chain's and the profile listing's errors: redacted like any other.
    describe: async () =>
      redact.text(
        await describeBedrock({
          config,
          plan,
          client,
          resolver,
          injectedCredentials: options.credentials !== undefined,
          // The host the client really calls: the option's, else the configuration file's `endpoint`.
          endpoint: options.endpoint ?? config.endpoint,
          env,
          timeoutMs: options.describeTimeoutMs ?? 8000,
        }),
        BANNER_MAX,
      ),
  });
}
