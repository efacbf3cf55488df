/**
 * A mock SearXNG instance on 127.0.0.1: `GET /search?q=...&format=json` answers
 * `{"query", "number_of_results", "results": [{"url", "title", "content", "engine", ...}]}` as SearXNG
 * does, and 403 for any other format (SearXNG's answer when the format is not enabled). It records every
 * query and fails on demand: a status (429, 500), a hang until the client leaves, or down (closed).
 *
 * @example
 * ```ts
 * await using searxng = startMockSearxng();
 * searxng.results = [{ url: "https://deno.com/blog", title: "Deno blog", content: "Deno 2.9 is out" }];
 * ```
 */

/** One result as SearXNG's JSON gives it (the fields relayx reads; SearXNG sends more). */
export interface SearxngResult {
  url: string;
  title: string;
  content: string;
  publishedDate?: string | null;
}

/** How the next searches fail. */
export type SearxngFailure = { status: number } | "hang" | undefined;

/** A running mock. */
export interface MockSearxng extends AsyncDisposable {
  /** Its base URL (before `/search`). */
  url: string;
  /** Every query received, in order. */
  queries: string[];
  /** What each search answers. */
  results: SearxngResult[];
  /** Set to make searches fail (until set back to undefined). */
  fail: SearxngFailure;
  /** Resolves when a search that hangs was given up by its client. */
  abandoned: PromiseWithResolvers<void>;
  /** Stops the server: later searches cannot connect. */
  close(): Promise<void>;
}

/** Starts the mock on a free loopback port. */
export function startMockSearxng(): MockSearxng {
  const mock: Omit<MockSearxng, "url" | "close" | typeof Symbol.asyncDispose> = {
    queries: [],
    results: [{
      url: "https://example.com/relayx",
      title: "relayx: Claude Code on every backend",
      content: "relayx speaks the Anthropic Messages API and translates it.",
      publishedDate: "2026-11-30T00:00:00",
    }],
    fail: undefined,
    abandoned: Promise.withResolvers<void>(),
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname !== "/search") return new Response("Not Found", { status: 404 });
    if (url.searchParams.get("format") !== "json") return new Response("Forbidden", { status: 403 });
    mock.queries.push(url.searchParams.get("q") ?? "");
    const fail = mock.fail;
    if (fail === "hang") {
      return new Promise<Response>((resolve) => {
        req.signal.addEventListener("abort", () => {
          mock.abandoned.resolve();
          resolve(new Response(null, { status: 499 }));
        }, { once: true });
      });
    }
    if (fail) return new Response(`{"error":"failure ${fail.status}"}`, { status: fail.status });
    const body = {
      query: url.searchParams.get("q"),
      number_of_results: mock.results.length,
      results: mock.results.map((r) => ({
        ...r,
        engine: "mock",
        engines: ["mock"],
        score: 1,
        category: "general",
      })),
      answers: [],
      corrections: [],
      infoboxes: [],
      suggestions: [],
      unresponsive_engines: [],
    };
    return Response.json(body);
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.shutdown();
  };
  return Object.assign(mock, {
    url: `http://127.0.0.1:${server.addr.port}`,
    close,
    [Symbol.asyncDispose]: close,
  });
}
