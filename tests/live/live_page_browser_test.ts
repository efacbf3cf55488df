/**
 * The live page in a real headless Chromium, with relayx's key set: without the key the page says how to
 * open it; opened as `/#key=...` it gets its cookie, drops the fragment, loads with no console error (a CSP
 * violation is one), shows requests made through relayx as they happen, and a screenshot of it is not
 * blank; the key is in no request URL relayx sees and in no log line, and a reload needs only the cookie.
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
const KEY = "relayx-browser-test-page-key";
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
    const env = {
      RELAYX_DATA_DIR: dir,
      LOG_FORMAT: "json",
      CLOUD_KEY: "sk-test-cloud-key",
      RELAYX_API_KEY: KEY,
    };
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
    // The log lines, and every URL relayx is asked for: the key must be in none of them.
    const logs: string[] = [];
    const urls: string[] = [];
    const consoleLog = console.log;
    console.log = (...args: unknown[]) => void logs.push(args.map(String).join(" "));
    const relay = await createRelay(env, { ...parseServerConfig(env), ...parseConfigFile(file, env) });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
      urls.push(request.url);
      return relay.fetch(request);
    });
    const url = `http://127.0.0.1:${server.addr.port}`;
    const post = async (model: string, session: string) => {
      const res = await fetch(`${url}/v1/messages`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-api-key": KEY,
          "x-claude-code-session-id": session,
        },
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

      const open = async (target: string) => {
        const loaded = browser.next("Page.loadEventFired");
        await browser.send("Page.navigate", { url: target });
        await loaded;
      };
      await browser.send("Network.enable");
      const cookies =
        async () => ((await browser.send("Network.getCookies", { urls: [`${url}/`] })).cookies as {
          name: string;
          value: string;
          httpOnly: boolean;
          sameSite?: string;
        }[]);

      // Without the key nor a cookie, the data is refused and the page says how to open it.
      await open(`${url}/`);
      await until(
        "how to open it",
        async () => await browser.evaluate("document.getElementById('help').hidden") === false,
        browser.errors,
      );
      assert.equal(
        await browser.evaluate("document.getElementById('help-url').textContent"),
        `${url}/#key=YOUR_KEY`,
      );
      assert.deepEqual(await cookies(), []);
      // The refused request is logged by the browser as an error; the rest of the test expects none.
      browser.errors.splice(0);

      // A fragment change on the same document does not reload it: the page is left first.
      await open("about:blank");
      await open(`${url}/#key=${KEY}`);
      await until(
        "that it is live",
        async () => await browser.evaluate("document.getElementById('state').className") === "live",
        browser.errors,
      );
      assert.equal(await browser.evaluate("location.href"), `${url}/`, "the fragment left the address bar");
      assert.equal(await browser.evaluate("document.getElementById('help').hidden"), true);
      const [cookie, ...more] = await cookies();
      assert.deepEqual(more, []);
      assert.equal(cookie?.name, `relayx_page_${server.addr.port}`);
      assert.equal(cookie?.httpOnly, true);
      assert.equal(cookie?.sameSite, "Strict");
      assert.ok(cookie && !cookie.value.includes(KEY));
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

      // A reload without the key: the cookie alone opens the data.
      await open("about:blank");
      await open(`${url}/`);
      await until(
        "that it is live again",
        async () => await browser.evaluate("document.getElementById('state').className") === "live",
        browser.errors,
      );
      assert.equal(await browser.evaluate("document.body.dataset.requests"), "4");

      assert.deepEqual(browser.errors, [], "no console error, no CSP violation, no exception");
      const pageUrls = urls.filter((u) => !u.endsWith("/v1/messages"));
      assert.ok(pageUrls.some((u) => u.endsWith("/api/usage/session")), pageUrls.join("\n"));
      assert.ok(pageUrls.some((u) => u.endsWith("/api/usage/events")), pageUrls.join("\n"));
      for (const u of urls) {
        assert.ok(!u.includes(KEY) && !new URL(u).searchParams.has("key") && !u.includes("#"), u);
      }
      const lines = logs.filter((l) => l.includes('"request_id"'));
      assert.ok(lines.some((l) => l.includes('"path":"/api/usage/session"')), lines.join("\n"));
      for (const line of lines) {
        assert.ok(!line.includes(KEY), line);
        assert.doesNotMatch(String(JSON.parse(line).path), /[?#]/, line);
      }
    } finally {
      console.log = consoleLog;
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
