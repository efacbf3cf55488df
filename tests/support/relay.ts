/**
 * Starts a real relayx server (Deno.serve on 127.0.0.1, port 0) over a backend, for end-to-end tests
 * with the official Anthropic SDK and the Claude Code CLI.
 */
import Anthropic from "@anthropic-ai/sdk";
import { createApp } from "../../src/app.ts";
import type { Backend } from "../../src/backends/backend.ts";
import type { RequestLog } from "../../src/log.ts";

/** A running relayx. */
export interface TestRelay extends AsyncDisposable {
  url: string;
  logs: RequestLog[];
  /** An Anthropic client pointed at it, without retries. */
  client: Anthropic;
  close(): Promise<void>;
}

/** Serves `backend` on a free loopback port. */
export function startRelay(backend: Backend): TestRelay {
  const logs: RequestLog[] = [];
  const app = createApp({ backend, log: (e) => logs.push(e) });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  const client = new Anthropic({ baseURL: url, apiKey: "dummy", maxRetries: 0 });
  const close = async () => {
    await server.shutdown();
  };
  return { url, logs, client, close, [Symbol.asyncDispose]: close };
}
