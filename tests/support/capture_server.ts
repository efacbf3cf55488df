/**
 * A tiny fake Anthropic Messages API used to capture what the real Claude Code CLI sends.
 *
 * Every request is recorded (method, url, headers with credentials redacted, parsed JSON body)
 * as `NNN.json` in an output directory, and answered like the Anthropic API would.
 *
 * CLI:
 *   deno run --allow-net --allow-read --allow-write tests/support/capture_server.ts OUT_DIR [PORT] [SCRIPT.json]
 *
 * Prints `listening on http://127.0.0.1:PORT` once ready (PORT 0 or absent = pick a free one).
 *
 * SCRIPT.json is an array of steps. Each `POST /v1/messages` request consumes the first
 * unused step whose `match` fits it (by default only requests that carry a non-empty
 * `tools` list, i.e. the main agent loop, consume steps); requests with no matching step
 * get a plain text reply ("OK" unless `defaultText` is set in the options). Step kinds:
 *   { "text": "hello" }                                    text answer, stop_reason end_turn
 *   { "tool_use": { "name": "Write", "input": {...}, "id"?: "toolu_x" }, "text"?: "preamble" }
 *                                                           tool_use answer (input streamed as
 *                                                           input_json_delta), stop_reason tool_use
 *   { "status": 429, "headers": {"retry-after": "1"}, "body": {...} }   raw HTTP error reply
 *   { "sse_error": { "type": "overloaded_error", "message": "..." } }   stream that starts and then
 *                                                           ends with `event: error` (a non-streaming
 *                                                           request gets the matching HTTP error)
 * Optional on any step: "match": { "hasTools"?: boolean, "modelIncludes"?: string,
 * "lastUserTextIncludes"?: string, "any"?: true }.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface StepMatch {
  any?: boolean;
  hasTools?: boolean;
  modelIncludes?: string;
  lastUserTextIncludes?: string;
}

export interface Step {
  match?: StepMatch;
  text?: string;
  tool_use?: { name: string; input: Json; id?: string };
  status?: number;
  headers?: Record<string, string>;
  body?: Json;
  sse_error?: { type: string; message: string };
}

export interface CapturedRequest {
  seq: number;
  time: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Json | string | null;
  /** Index of the script step used to answer, or null for the default answer. */
  step: number | null;
}

export interface CaptureServerOptions {
  outDir?: string;
  port?: number;
  script?: Step[];
  defaultText?: string;
}

export interface CaptureServer {
  port: number;
  url: string;
  requests: CapturedRequest[];
  shutdown(): Promise<void>;
}

const REDACTED_HEADERS = new Set(["x-api-key", "authorization", "proxy-authorization", "cookie"]);

function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of headers) out[k] = REDACTED_HEADERS.has(k.toLowerCase()) ? "REDACTED" : v;
  return out;
}

function sse(events: [string, Json][]): string {
  return events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join("");
}

function lastUserText(body: Record<string, Json>): string {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as Record<string, Json>;
    if (m?.role !== "user") continue;
    if (typeof m.content === "string") return m.content;
    if (Array.isArray(m.content)) {
      return m.content
        .map((b) =>
          (b as Record<string, Json>)?.type === "text" ? String((b as Record<string, Json>).text) : ""
        )
        .join("\n");
    }
  }
  return "";
}

function matches(step: Step, body: Record<string, Json>): boolean {
  const m = step.match ?? { hasTools: true };
  if (m.any) return true;
  const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
  if (m.hasTools !== undefined && m.hasTools !== hasTools) return false;
  if (m.modelIncludes !== undefined && !String(body.model ?? "").includes(m.modelIncludes)) return false;
  if (m.lastUserTextIncludes !== undefined && !lastUserText(body).includes(m.lastUserTextIncludes)) {
    return false;
  }
  return true;
}

let idCounter = 0;
function newId(prefix: string): string {
  idCounter++;
  return `${prefix}_01capture${String(idCounter).padStart(6, "0")}${
    crypto.randomUUID().replaceAll("-", "").slice(0, 12)
  }`;
}

function usage(outputTokens: number): Record<string, Json> {
  return {
    input_tokens: 100,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
  };
}

type Block = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: Json };

function blocksFor(step: Step | undefined, defaultText: string): Block[] {
  if (step?.tool_use) {
    const blocks: Block[] = [];
    if (step.text) blocks.push({ type: "text", text: step.text });
    blocks.push({
      type: "tool_use",
      id: step.tool_use.id ?? newId("toolu"),
      name: step.tool_use.name,
      input: step.tool_use.input,
    });
    return blocks;
  }
  return [{ type: "text", text: step?.text ?? defaultText }];
}

function messageJson(model: string, blocks: Block[]): Record<string, Json> {
  const stop = blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
  return {
    id: newId("msg"),
    type: "message",
    role: "assistant",
    model,
    content: blocks as unknown as Json,
    stop_reason: stop,
    stop_sequence: null,
    usage: usage(10),
  };
}

function chunk(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out.length ? out : [""];
}

function streamEvents(model: string, blocks: Block[], error?: { type: string; message: string }): string {
  const msg = messageJson(model, blocks);
  const events: [string, Json][] = [[
    "message_start",
    { type: "message_start", message: { ...msg, content: [], stop_reason: null, usage: usage(1) } },
  ]];
  if (error) {
    events.push(["ping", { type: "ping" }]);
    events.push(["error", { type: "error", error }]);
    return sse(events);
  }
  blocks.forEach((b, index) => {
    if (b.type === "text") {
      events.push(["content_block_start", {
        type: "content_block_start",
        index,
        content_block: { type: "text", text: "" },
      }]);
      for (const piece of chunk(b.text, 20)) {
        events.push(["content_block_delta", {
          type: "content_block_delta",
          index,
          delta: { type: "text_delta", text: piece },
        }]);
      }
    } else {
      events.push(["content_block_start", {
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id: b.id, name: b.name, input: {} },
      }]);
      for (const piece of chunk(JSON.stringify(b.input), 16)) {
        events.push(["content_block_delta", {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: piece },
        }]);
      }
    }
    events.push(["content_block_stop", { type: "content_block_stop", index }]);
  });
  events.push(["message_delta", {
    type: "message_delta",
    delta: { stop_reason: msg.stop_reason ?? null, stop_sequence: null },
    usage: { output_tokens: 10 },
  }]);
  events.push(["message_stop", { type: "message_stop" }]);
  return sse(events);
}

const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

function errorResponse(status: number, type: string, message: string): Response {
  return Response.json({ type: "error", error: { type, message } }, { status });
}

export function startCaptureServer(opts: CaptureServerOptions = {}): CaptureServer {
  const script = opts.script ?? [];
  const used = new Set<number>();
  const requests: CapturedRequest[] = [];
  const defaultText = opts.defaultText ?? "OK";
  if (opts.outDir) Deno.mkdirSync(opts.outDir, { recursive: true });

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const raw = await req.text();
    let body: Json | string | null = null;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const rec: CapturedRequest = {
      seq: requests.length + 1,
      time: new Date().toISOString(),
      method: req.method,
      url: url.pathname + url.search,
      headers: redactHeaders(req.headers),
      body,
      step: null,
    };
    requests.push(rec);
    const save = () => {
      if (!opts.outDir) return;
      Deno.writeTextFileSync(
        `${opts.outDir}/${String(rec.seq).padStart(3, "0")}.json`,
        JSON.stringify(rec, null, 2) + "\n",
      );
    };

    if (req.method === "POST" && url.pathname === "/v1/messages/count_tokens") {
      save();
      return Response.json({ input_tokens: 100 });
    }
    if (req.method === "POST" && url.pathname === "/v1/messages") {
      const b = (body && typeof body === "object" && !Array.isArray(body) ? body : {}) as Record<
        string,
        Json
      >;
      const idx = script.findIndex((s, i) => !used.has(i) && matches(s, b));
      const step = idx >= 0 ? script[idx] : undefined;
      if (idx >= 0) {
        used.add(idx);
        rec.step = idx;
      }
      save();
      if (step?.status) {
        return new Response(JSON.stringify(step.body ?? { type: "error", error: { type: "api_error" } }), {
          status: step.status,
          headers: { "content-type": "application/json", ...(step.headers ?? {}) },
        });
      }
      if (step?.sse_error && b.stream !== true) {
        // A non-streaming request (e.g. the CLI's fallback after a failed stream) gets the same error as HTTP.
        const status = ERROR_STATUS[step.sse_error.type] ?? 500;
        return Response.json({ type: "error", error: step.sse_error }, { status });
      }
      const model = typeof b.model === "string" ? b.model : "claude-unknown";
      const blocks = blocksFor(step, defaultText);
      const reqId = newId("req");
      if (b.stream === true) {
        return new Response(streamEvents(model, blocks, step?.sse_error), {
          headers: {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            "request-id": reqId,
          },
        });
      }
      return Response.json(messageJson(model, blocks), { headers: { "request-id": reqId } });
    }
    save();
    return errorResponse(404, "not_found_error", `No route for ${req.method} ${url.pathname}`);
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: opts.port ?? 0, onListen: () => {} }, handler);
  const port = (server.addr as Deno.NetAddr).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    shutdown: () => server.shutdown(),
  };
}

if (import.meta.main) {
  const [outDir, portArg, scriptPath] = Deno.args;
  if (!outDir) {
    console.error("usage: capture_server.ts OUT_DIR [PORT] [SCRIPT.json]");
    Deno.exit(2);
  }
  const script = scriptPath ? JSON.parse(Deno.readTextFileSync(scriptPath)) as Step[] : [];
  const srv = startCaptureServer({ outDir, port: Number(portArg ?? 0), script });
  console.log(`listening on ${srv.url}`);
}
