/**
 * Starts a real relayx server (Deno.serve on 127.0.0.1, port 0) over a backend, for end-to-end tests
 * with the official Anthropic SDK and the Claude Code CLI. On close it checks that no log line it
 * captured holds one of the suite's test credentials (or those the caller names).
 */
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createApp } from "../../src/app.ts";
import type { Backend } from "../../src/backends/backend.ts";
import type { RequestLog } from "../../src/log.ts";

/** The credentials the suite's backends are built with; none may ever reach a log line. */
export const TEST_SECRETS: readonly string[] = ["sk-test", "relayx-test-secret", "AKIDRELAYXTEST"];

/** A running relayx. */
export interface TestRelay extends AsyncDisposable {
  url: string;
  logs: RequestLog[];
  /** An Anthropic client pointed at it, without retries. */
  client: Anthropic;
  /** Stops the server, then fails if a captured log line holds a secret. */
  close(): Promise<void>;
}

/** Options for {@linkcode startRelay}. */
export interface StartRelayOptions {
  /** More credentials the logs must not hold (besides {@linkcode TEST_SECRETS}). */
  secrets?: string[];
}

/** Serves `backend` on a free loopback port. */
export function startRelay(backend: Backend, options: StartRelayOptions = {}): TestRelay {
  const logs: RequestLog[] = [];
  const app = createApp({ backend, log: (e) => logs.push(e) });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  const client = new Anthropic({ baseURL: url, apiKey: "dummy", maxRetries: 0 });
  const secrets = [...TEST_SECRETS, ...options.secrets ?? []];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.shutdown();
    for (const entry of logs) {
      const line = JSON.stringify(entry);
      for (const secret of secrets) {
        assert.ok(!line.includes(secret), `a log line holds "${secret}": ${line}`);
      }
    }
  };
  return { url, logs, client, close, [Symbol.asyncDispose]: close };
}
