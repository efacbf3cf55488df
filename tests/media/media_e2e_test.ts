/**
 * PDFs and images end to end: Claude Code's Read of a PDF (the document inside a tool_result) through a
 * relayx process started with `--allow-net --allow-env` only to an OpenAI-compatible provider that takes
 * no files, and to Amazon Nova through Converse; an image to DeepSeek, which has no vision.
 */
import assert from "node:assert/strict";
import { createBedrockBackend } from "../../src/backends/bedrock/mod.ts";
import { createOpenAIBackend } from "../../src/backends/openai.ts";
import { IMAGE_NOTE } from "../../src/media/adapt_media.ts";
import { spawnRelay } from "../server/_relay_process.ts";
import { converseOutput, converseStream, startMockBedrock } from "../support/mock_bedrock.ts";
import { completion, type MockOpenAI, startMockOpenAI, textStream } from "../support/mock_openai.ts";
import { startRelay } from "../support/relay.ts";
import { tinyPdfBase64 } from "../support/tiny_pdf.ts";

const PDF = tinyPdfBase64({
  pages: ["Invoice total is 4711 euros", "Payment due in March"],
  title: "Invoice 17",
});
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==";
const CREDENTIALS = { accessKeyId: "AKIDRELAYXTEST", secretAccessKey: "relayx-test-secret" };
const NOVA = "us.amazon.nova-pro-v1:0";

/** Claude Code's Read of a PDF, as it sends it: the document block inside the tool_result. */
function readOfPdf(model: string, data = PDF, stream = false): Record<string, unknown> {
  return {
    model,
    max_tokens: 1024,
    stream,
    messages: [
      { role: "user", content: [{ type: "text", text: "What does /work/invoice.pdf say?" }] },
      {
        role: "assistant",
        content: [{
          type: "tool_use",
          id: "toolu_01Read",
          name: "Read",
          input: { file_path: "/work/invoice.pdf" },
        }],
      },
      {
        role: "user",
        content: [{
          type: "tool_result",
          tool_use_id: "toolu_01Read",
          content: [{ type: "document", source: { type: "base64", media_type: "application/pdf", data } }],
        }],
      },
    ],
  };
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "dummy" },
    body: JSON.stringify(body),
  });
}

function env(mock: MockOpenAI, provider: string): Record<string, string> {
  return {
    LLM_BACKEND: "openai_compatible",
    OPENAI_BASE_URL: mock.url,
    OPENAI_API_KEY: "sk-test",
    OPENAI_PROVIDER: provider,
    OPENAI_MODEL: "qwen3-coder",
    SERVER_PORT: "0",
    // Page 1 and the start of page 2: shows the setting reaches the backend.
    RELAYX_PDF_TEXT_MAX_CHARS: "40",
  };
}

Deno.test("relayx run with --allow-net --allow-env only sends a PDF's text to a provider without files", async (t) => {
  await using mock = await startMockOpenAI();
  await using relay = await spawnRelay(
    ["run", "--allow-net", "--allow-env", "main.ts"],
    env(mock, "generic"),
  );

  await t.step("non-stream: the tool message carries the PDF's title, page markers and text", async () => {
    mock.enqueue(completion({ text: "It is an invoice for 4711 euros." }));
    const res = await post(relay.url, readOfPdf("claude-sonnet-5-5"));
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal((await res.json()).content[0].text, "It is an invoice for 4711 euros.");
    const sent = JSON.stringify(mock.requests.at(-1)?.body);
    assert.match(sent, /\[PDF \\"Invoice 17\\", 2 pages; its text/);
    assert.match(
      sent,
      /--- page 1 ---\\nInvoice total is 4711 euros\\n--- page 2 ---\\nPayment due i\\n\[Text cut at 40 characters: the rest of page 2 is not shown\]/,
    );
    assert.doesNotMatch(sent, /application\/pdf|March/);
    assert.match(res.headers.get("x-relayx-warnings") ?? "", /takes no PDFs/);
  });

  await t.step("stream: the same text reaches the upstream", async () => {
    mock.enqueue(textStream("Invoice."));
    const res = await post(relay.url, readOfPdf("claude-sonnet-5-5", PDF, true));
    assert.equal(res.status, 200);
    assert.match(await res.text(), /event: message_stop/);
    assert.match(JSON.stringify(mock.requests.at(-1)?.body), /Invoice total is 4711 euros/);
  });

  await t.step("a broken PDF is a 400 naming the block, and nothing goes upstream", async () => {
    const before = mock.requests.length;
    const res = await post(relay.url, readOfPdf("claude-sonnet-5-5", btoa("%PDF-1.7\nnot a real pdf")));
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(
      body.error.message,
      /^messages\.2\.content\.0\.content\.0\.source\.data: The PDF could not be read/,
    );
    assert.equal(mock.requests.length, before);
  });
});

Deno.test("Bedrock Converse with Amazon Nova reads the text of a PDF inside a tool_result", async (t) => {
  await using mock = await startMockBedrock({ accessKeyId: CREDENTIALS.accessKeyId });
  const backend = await createBedrockBackend(
    { kind: "bedrock", profileExplicit: false, region: "us-east-1", api: "auto" },
    { endpoint: mock.url, credentials: CREDENTIALS, env: {}, listProfiles: false },
  );
  await using relay = startRelay(backend);

  for (const stream of [false, true]) {
    await t.step(
      `${stream ? "ConverseStream" : "Converse"}: the toolResult holds the PDF's text`,
      async () => {
        mock.enqueue(stream ? converseStream("Invoice.") : converseOutput("Invoice."));
        const res = await post(relay.url, readOfPdf(NOVA, PDF, stream));
        assert.equal(res.status, 200, await res.clone().text());
        await res.body?.cancel();
        const sent = mock.requests.at(-1);
        assert.equal(sent?.operation, stream ? "converse-stream" : "converse");
        assert.equal(sent?.modelId, NOVA);
        const text = JSON.stringify(sent?.body);
        assert.match(text, /"toolResult"/);
        assert.match(
          text,
          /--- page 1 ---\\nInvoice total is 4711 euros\\n--- page 2 ---\\nPayment due in March/,
        );
        assert.doesNotMatch(text, /omitted/);
      },
    );
  }
});

Deno.test("an image sent to DeepSeek (no vision) reaches it as a note", async () => {
  await using mock = await startMockOpenAI();
  await using relay = startRelay(createOpenAIBackend({
    kind: "openai_compatible",
    apiKey: "sk-test",
    baseUrl: mock.url,
    model: "deepseek-chat",
    smallModel: "deepseek-chat",
    provider: "deepseek",
  }));
  mock.enqueue(completion({ text: "I cannot see it." }));
  const res = await post(relay.url, {
    model: "claude-sonnet-5-5",
    max_tokens: 100,
    messages: [{
      role: "user",
      content: [
        { type: "text", text: "What is in this picture?" },
        { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
      ],
    }],
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
  const sent = JSON.stringify(mock.requests.at(-1)?.body);
  assert.ok(sent.includes(IMAGE_NOTE), sent);
  assert.doesNotMatch(sent, /image_url|base64/);
});
