/**
 * The live page in a real headless Chromium: it loads with no console error (a CSP violation is one),
 * shows requests made through relayx as they happen, and a screenshot of it is not blank.
 *
 * `RELAYX_PAGE_SCREENSHOT=tests/live/usage_page.png` also writes the screenshot there (the README's picture).
 */
import assert from "node:assert/strict";
import { createRelay } from "../../main.ts";
import { parseServerConfig } from "../../src/config.ts";
import { parseConfigFile } from "../../src/config_file.ts";
import { findChromium, pngFacts, startBrowser } from "../support/chromium.ts";
import { openAIError, startMockOpenAI, textStream, usage } from "../support/mock_openai.ts";

const chromium = findChromium();
if (!chromium) {
  console.warn(
    "live_page_browser_test: skipped: chromium is not installed (apt-get install -y chromium; .ci/run does)",
  );
}

// Polls the page; on timeout the error names what the browser reported (a CSP violation, an exception).
async function until(what: string, f: () => Promise<boolean>, errors: string[], ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) {
      throw new Error(`the page did not show ${what} in time; browser errors: ${errors.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test({
  name: "The live page loads in Chromium without a console error and shows requests made through relayx",
  ignore: !chromium,
  async fn() {
    await using local = await startMockOpenAI();
    await using cloud = await startMockOpenAI();
    const dir = await Deno.makeTempDir();
    const env = { RELAYX_DATA_DIR: dir, LOG_FORMAT: "off", CLOUD_KEY: "sk-test-cloud-key" };
    const file = JSON.stringify({
      backends: {
        local: { type: "openai", baseUrl: local.url, model: "qwen3-coder", provider: "ollama" },
        cloud: {
          type: "openai",
          baseUrl: cloud.url,
          apiKey: "${CLOUD_KEY}",
          model: "gpt-4.1",
          provider: "openai",
        },
      },
      routes: [
        { name: "haiku", match: { model: ["*haiku*"] }, to: ["local"] },
        { name: "main", to: ["cloud", "local"] },
      ],
      models: {
        "gpt-4.1": { price: { input: 2, output: 8 } },
        "qwen3-coder": { price: { input: 0, output: 0 } },
      },
    });
    const relay = await createRelay(env, { ...parseServerConfig(env), ...parseConfigFile(file, env) });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, relay.fetch);
    const url = `http://127.0.0.1:${server.addr.port}`;
    const post = async (model: string, session: string) => {
      const res = await fetch(`${url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-claude-code-session-id": session },
        body: JSON.stringify({
          model,
          max_tokens: 100,
          stream: true,
          messages: [{ role: "user", content: "Hi" }],
        }),
      });
      await res.text();
      return res.status;
    };
    try {
      await using browser = await startBrowser(chromium!, 1280, 1000);
      const blank = await pngFacts(await screenshot(browser));

      const loaded = browser.next("Page.loadEventFired");
      await browser.send("Page.navigate", { url: `${url}/` });
      await loaded;
      await until(
        "that it is live",
        async () => await browser.evaluate("document.getElementById('state').className") === "live",
        browser.errors,
      );
      assert.equal(await browser.evaluate("document.querySelectorAll('#routes tbody tr').length"), 2);
      assert.equal(await browser.evaluate("document.body.dataset.requests"), "0");

      cloud.enqueue(textStream("Hello from the cloud", { usage: usage(5200, 340) }));
      assert.equal(await post("claude-sonnet-4-5", "7f3c9a2e-session-one"), 200);
      await until(
        "the request",
        async () => await browser.evaluate("document.body.dataset.requests") === "1",
        browser.errors,
      );
      const row = String(await browser.evaluate("document.querySelector('#recent tbody tr').textContent"));
      assert.match(row, /main/);
      assert.match(row, /gpt-4\.1/);
      assert.match(row, /200/);

      // A few more, for a fuller picture: a fallback, a local model, an error.
      cloud.enqueue(openAIError(503, "overloaded"));
      local.enqueue(textStream("Hello from the fallback", { usage: usage(4100, 120) }));
      local.enqueue(textStream("Hi", { usage: usage(800, 30) }));
      local.enqueue(openAIError(400, "Invalid 'max_tokens'"));
      assert.equal(await post("claude-opus-4-1", "7f3c9a2e-session-one"), 200);
      assert.equal(await post("claude-haiku-4-5", "c41d07b8-session-two"), 200);
      assert.equal(await post("claude-haiku-4-5", "c41d07b8-session-two"), 400);
      await until(
        "four requests",
        async () => await browser.evaluate("document.body.dataset.requests") === "4",
        browser.errors,
      );
      assert.equal(await browser.evaluate("document.getElementById('fallbacks-n').textContent"), "1");
      assert.equal(await browser.evaluate("document.getElementById('errors-n').textContent"), "1");
      assert.equal(await browser.evaluate("document.querySelectorAll('#sessions tbody tr').length"), 2);

      const png = await screenshot(browser);
      const page = await pngFacts(png);
      assert.deepEqual([page.width, page.height], [1280, 1000]);
      assert.ok(
        page.distinct > blank.distinct * 4,
        `a blank page has ${blank.distinct} distinct bytes, this ${page.distinct}`,
      );
      const out = Deno.env.get("RELAYX_PAGE_SCREENSHOT");
      if (out) await Deno.writeFile(out, png);

      assert.deepEqual(browser.errors, [], "no console error, no CSP violation, no exception");
    } finally {
      relay.closeLive();
      await server.shutdown();
      relay.usage.recorder.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function screenshot(
  browser: { send: (m: string, p?: Record<string, unknown>) => Promise<Record<string, unknown>> },
) {
  const shot = await browser.send("Page.captureScreenshot", { format: "png" });
  return Uint8Array.from(atob(String(shot.data)), (c) => c.charCodeAt(0));
}
