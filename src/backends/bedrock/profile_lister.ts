/**
 * Listing the account's inference profiles through the Bedrock control plane (`@aws-sdk/client-bedrock`),
 * for the model resolver.
 *
 * @module
 */
import {
  BedrockClient,
  type BedrockClientConfig,
  ListInferenceProfilesCommand,
} from "@aws-sdk/client-bedrock";
import type { InferenceProfile } from "./profiles.ts";

/**
 * Lists the account's inference profiles with the Bedrock control-plane client (every page).
 *
 * @example
 * ```ts
 * import { BedrockClient } from "@aws-sdk/client-bedrock";
 *
 * const client = new BedrockClient({ region: "us-east-1" });
 * const profiles = await listInferenceProfiles(client, AbortSignal.timeout(5000));
 * console.log(profiles.map((p) => p.id));
 * ```
 */
export async function listInferenceProfiles(
  client: BedrockClient,
  signal: AbortSignal,
): Promise<InferenceProfile[]> {
  const out: InferenceProfile[] = [];
  let nextToken: string | undefined;
  // A bound on pages, so that a misbehaving endpoint that always returns a token cannot loop forever.
  for (let page = 0; page < 50; page++) {
    const res = await client.send(new ListInferenceProfilesCommand({ maxResults: 1000, nextToken }), {
      abortSignal: signal,
    });
    for (const s of res.inferenceProfileSummaries ?? []) {
      if (!s.inferenceProfileId) continue;
      out.push({
        id: s.inferenceProfileId,
        type: s.type ?? "SYSTEM_DEFINED",
        status: s.status,
        modelArns: (s.models ?? []).flatMap((m) => (m.modelArn ? [m.modelArn] : [])),
        arn: s.inferenceProfileArn,
      });
    }
    nextToken = res.nextToken;
    if (!nextToken) break;
  }
  return out;
}

/**
 * The profile lister relayx uses: a control-plane client sharing the runtime client's region and
 * credentials, with a timeout so that start-up and the first request never wait long on it.
 *
 * @example
 * ```ts
 * const list = profileLister({ region: "eu-west-1" }, 5000);
 * const profiles = await list();
 * ```
 */
export function profileLister(
  config: BedrockClientConfig,
  timeoutMs = 8000,
): () => Promise<InferenceProfile[]> {
  return async () => {
    const client = new BedrockClient({ maxAttempts: 1, ...config });
    try {
      return await listInferenceProfiles(client, AbortSignal.timeout(timeoutMs));
    } finally {
      client.destroy();
    }
  };
}
