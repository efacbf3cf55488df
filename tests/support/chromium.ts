/**
 * Headless Chromium (Debian's `chromium`) driven over the Chrome DevTools Protocol with Deno's own
 * WebSocket: no browser-automation dependency. One page target, attached in flat mode; console errors,
 * log errors and uncaught exceptions are collected.
 */

/** The browser's executable, or undefined when it is not installed. */
export function findChromium(): string | undefined {
  for (const path of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** A running headless browser with one page. */
export interface Browser extends AsyncDisposable {
  /** Sends a command to the page and resolves with its result. */
  send(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Resolves with the params of the page's next `method` event. */
  next(method: string): Promise<Record<string, unknown>>;
  /** Evaluates `expression` in the page and returns its value (JSON-serializable). */
  evaluate(expression: string): Promise<unknown>;
  /** Console errors, error log entries and uncaught exceptions seen so far. */
  errors: string[];
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

// The flags that work on a machine without network (see the environment notes): no background requests.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--hide-scrollbars",
  "--remote-debugging-port=0",
];

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** Starts `executable` headless with a fresh profile and opens one blank page of `width` x `height`. */
export async function startBrowser(executable: string, width = 1280, height = 900): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "relayx-chromium-" });
  const child = new Deno.Command(executable, {
    args: [...FLAGS, `--user-data-dir=${profile}`, `--window-size=${width},${height}`, "about:blank"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let wsUrl: string | undefined;
  while (wsUrl === undefined) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`chromium exited before DevTools listened:\n${text}`);
    text += value;
    wsUrl = /DevTools listening on (ws:\/\/\S+)/.exec(text)?.[1];
  }
  // The rest of stderr is drained so that the browser never blocks on a full pipe.
  (async () => {
    while (!(await lines.read()).done) { /* drained */ }
  })().catch(() => {});

  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot connect to ${wsUrl}`));
  });
  let nextId = 0;
  const pending = new Map<number, PromiseWithResolvers<Record<string, unknown>>>();
  const waiters = new Map<string, ((params: Record<string, unknown>) => void)[]>();
  const errors: string[] = [];
  // Set once the page is attached; events of other targets (the blank start page) are ignored.
  const page: { session?: string } = {};
  ws.onmessage = (e) => {
    const msg = JSON.parse(String(e.data)) as Message;
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`CDP: ${msg.error.message}`));
      else p?.resolve(msg.result ?? {});
      return;
    }
    if (!msg.method || msg.sessionId !== page.session) return;
    const params = msg.params ?? {};
    _collect(msg.method, params, errors);
    const list = waiters.get(msg.method);
    if (list?.length) { for (const w of list.splice(0)) w(params); }
  };
  const raw = (method: string, params: Record<string, unknown> = {}, sessionId?: string) => {
    const id = ++nextId;
    const p = Promise.withResolvers<Record<string, unknown>>();
    pending.set(id, p);
    ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return p.promise;
  };
  const { targetId } = await raw("Target.createTarget", { url: "about:blank" });
  page.session = String((await raw("Target.attachToTarget", { targetId, flatten: true })).sessionId);
  const send = (method: string, params: Record<string, unknown> = {}) => raw(method, params, page.session);
  await send("Runtime.enable");
  await send("Log.enable");
  await send("Page.enable");
  await send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await raw("Browser.close").catch(() => {});
    ws.close();
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 5000);
    await child.status;
    clearTimeout(timer);
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };
  return {
    send,
    next: (method) => new Promise((resolve) => waiters.set(method, [...waiters.get(method) ?? [], resolve])),
    async evaluate(expression) {
      const r = await send("Runtime.evaluate", { expression, returnByValue: true });
      if (r.exceptionDetails) throw new Error(`evaluate: ${JSON.stringify(r.exceptionDetails)}`);
      return (r.result as { value?: unknown }).value;
    },
    errors,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function _collect(method: string, params: Record<string, unknown>, errors: string[]): void {
  switch (method) {
    case "Runtime.consoleAPICalled":
      if (params.type === "error" || params.type === "assert") {
        errors.push(`console.${params.type}: ${JSON.stringify(params.args)}`);
      }
      return;
    case "Log.entryAdded": {
      const entry = params.entry as { level?: string; text?: string; url?: string };
      if (entry.level === "error") errors.push(`log: ${entry.text} ${entry.url ?? ""}`);
      return;
    }
    case "Runtime.exceptionThrown":
      errors.push(`exception: ${JSON.stringify(params.exceptionDetails)}`);
      return;
  }
}

/** Width, height and the number of distinct byte values of a PNG's decoded (filtered) scanlines. */
export async function pngFacts(
  png: Uint8Array,
): Promise<{ width: number; height: number; distinct: number }> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    if (type === "IDAT") idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const data = new Uint8Array(
    await new Response(
      new Blob(idat as BlobPart[]).stream().pipeThrough(new DecompressionStream("deflate")),
    ).arrayBuffer(),
  );
  const seen = new Set<number>();
  for (const byte of data) seen.add(byte);
  return { width, height, distinct: seen.size };
}
