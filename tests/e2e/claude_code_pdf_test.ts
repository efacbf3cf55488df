/**
 * The real Claude Code CLI reads a PDF with Read (the document travels inside the tool_result) through
 * relayx to upstreams that cannot take it there: an OpenAI-compatible provider that takes no files, and
 * Amazon Nova through Converse, which takes documents only at the top level of a user turn. relayx must
 * send the PDF's text, with its title and page markers, never a 400 and never a silent drop.
 */
import assert from "node:assert/strict";
import { createBedrockBackend } from "../../src/backends/bedrock/bedrock_backend.ts";
import { createOpenAIBackend } from "../../src/backends/openai.ts";
import { type ClaudeRun, runClaude } from "../support/claude_cli.ts";
import { converseStream, startMockBedrock } from "../support/mock_bedrock.ts";
import { startMockOpenAI, textStream, toolCallStream } from "../support/mock_openai.ts";
import { startRelay } from "../support/relay.ts";
import { tinyPdf } from "../support/tiny_pdf.ts";

const CREDENTIALS = { accessKeyId: "AKIDRELAYXTEST", secretAccessKey: "relayx-test-secret" };
const NOVA = "us.amazon.nova-pro-v1:0";
const PAGES = ["Invoice total is 4711 euros", "Payment due in March"];
const PDF = tinyPdf({ pages: PAGES, title: "Invoice 17" });
/** relayx's heading and page markers: the text was extracted by relayx, not by the CLI. */
const EXTRACTED =
  /\[PDF \\"Invoice 17\\", 2 pages; its text[^\]]*\][\s\S]*--- page 1 ---\\nInvoice total is 4711 euros\\n--- page 2 ---\\nPayment due in March/;
/** Per CLI run; a normal run takes 1-3 s. */
const RUN_TIMEOUT_MS = 45_000;

type Json = Record<string, unknown>;

function rec(v: unknown): Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v as Json : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Runs the CLI on `invoice.pdf` in a fresh working directory; `script` queues the mock's two turns. */
async function readInvoice(
  url: string,
  script: (path: string) => void,
  args: string[] = [],
): Promise<ClaudeRun> {
  const cwd = await Deno.makeTempDir({ prefix: "relayx-cc-cwd-" });
  const tmp = await Deno.makeTempDir({ prefix: "relayx-cc-tmp-" });
  try {
    script(`${cwd}/invoice.pdf`);
    const run = await runClaude({
      baseUrl: url,
      prompt: "What does invoice.pdf say?",
      cwd,
      files: { "invoice.pdf": PDF },
      args,
      timeoutMs: RUN_TIMEOUT_MS,
      env: { CLAUDE_CODE_TMPDIR: tmp },
    });
    const why = `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
    assert.equal(run.code, 0, why);
    assert.equal(run.result?.is_error, false, why);
    assert.equal(run.result?.result, "4711 euros, due in March.", why);
    return run;
  } finally {
    for (const dir of [cwd, tmp]) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test("Claude Code reads a PDF through relayx on upstreams that take none in a tool result", async (t) => {
  await t.step(
    "an OpenAI-compatible provider without files gets the PDF's text in the tool message",
    async () => {
      await using mock = await startMockOpenAI();
      await using relay = startRelay(createOpenAIBackend({
        kind: "openai_compatible",
        apiKey: "sk-test",
        baseUrl: mock.url,
        model: "qwen3-coder",
        smallModel: "qwen3-coder",
        provider: "generic",
      }));
      await readInvoice(relay.url, (path) =>
        mock.enqueue(
          toolCallStream([{ id: "call_read1", name: "Read", args: { file_path: path } }]),
          textStream("4711 euros, due in March."),
        ));
      const sent = mock.requests.filter((r) => r.path.endsWith("/chat/completions"));
      assert.equal(sent.length, 2);
      const messages = list(rec(sent[1]?.body).messages).map(rec);
      const tool = messages.find((m) => m.role === "tool" && m.tool_call_id === "call_read1");
      assert.ok(tool, `no tool message for the Read call: ${JSON.stringify(messages).slice(-2000)}`);
      assert.match(JSON.stringify(tool), EXTRACTED);
      assert.doesNotMatch(JSON.stringify(messages), /application\/pdf|"file"|\[document[^\]]*omitted/);
      const warnings = relay.logs.filter((l) => l.path === "/v1/messages").flatMap((l) => l.warnings ?? []);
      assert.ok(warnings.some((w) => /takes no PDFs/.test(w)), `warnings: ${warnings}`);
    },
  );

  await t.step("Amazon Nova through Converse gets the PDF's text in the toolResult", async () => {
    await using mock = await startMockBedrock({ accessKeyId: CREDENTIALS.accessKeyId });
    await using relay = startRelay(
      await createBedrockBackend(
        { kind: "bedrock", profileExplicit: false, region: "us-east-1", api: "converse" },
        { endpoint: mock.url, credentials: CREDENTIALS, env: {}, listProfiles: false },
      ),
    );
    await readInvoice(relay.url, (path) =>
      mock.enqueue(
        converseStream("", {
          toolUses: [{ toolUseId: "tooluse_read1", name: "Read", input: { file_path: path } }],
        }),
        converseStream("4711 euros, due in March."),
      ), ["--model", NOVA]);
    const sent = mock.requests.filter((r) => r.operation === "converse-stream");
    assert.deepEqual(sent.map((r) => r.modelId), [NOVA, NOVA]);
    const blocks = list(rec(sent[1]?.body).messages).map(rec).flatMap((m) => list(m.content).map(rec));
    const result = blocks.map((b) => rec(b.toolResult)).find((r) => r.toolUseId === "tooluse_read1");
    assert.ok(result, `no toolResult for the Read call: ${JSON.stringify(blocks).slice(-2000)}`);
    const content = list(result.content).map(rec);
    // Nova takes no document inside a toolResult: text only there, and the PDF's text in it.
    assert.ok(content.every((c) => c.document === undefined), JSON.stringify(content).slice(0, 500));
    assert.match(JSON.stringify(content), EXTRACTED);
    assert.doesNotMatch(JSON.stringify(sent[1]?.body), /\[document[^\]]*omitted/);
  });
});
