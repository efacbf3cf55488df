/**
 * The HTTP step every search provider shares: send, read JSON, and turn each failure into an outcome.
 *
 * @module
 */
import { isRecord } from "../translate/_json.ts";
import { failedAnswer, type SearchOutcome, unreachable } from "./search_provider.ts";

/** A search service's JSON answer, or the outcome that ends the search. */
export type JsonAnswer = { ok: true; body: Record<string, unknown> } | { ok: false; outcome: SearchOutcome };

/** Sends one request to a search service and reads its JSON object. */
export async function fetchJson(
  fetcher: typeof fetch,
  service: string,
  url: string,
  init: RequestInit & { signal: AbortSignal },
): Promise<JsonAnswer> {
  let res: Response;
  try {
    res = await fetcher(url, init);
  } catch (err) {
    return { ok: false, outcome: unreachable(service, err, init.signal) };
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    return { ok: false, outcome: failedAnswer(service, res.status) };
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    if (init.signal.aborted) throw init.signal.reason;
    const detail = `${service} answered something other than JSON (${err instanceof Error ? err.name : "?"})`;
    return { ok: false, outcome: { ok: false, code: "unavailable", detail } };
  }
  if (!isRecord(body)) {
    return {
      ok: false,
      outcome: { ok: false, code: "unavailable", detail: `${service} answered no object` },
    };
  }
  return { ok: true, body };
}
