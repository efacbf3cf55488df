import assert from "node:assert/strict";
import { isUnanswered, retryOnce } from "../../src/backends/retry_once.ts";
import { refusedPort } from "../support/fault_tcp.ts";

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a failure");
}

Deno.test("isUnanswered() knows the failures a second attempt may fix, from Deno's own errors", async (t) => {
  await t.step("a refused connection", async () => {
    const err = await failureOf(fetch(`http://127.0.0.1:${refusedPort()}/`, { method: "POST", body: "{}" }));
    assert.equal(isUnanswered(err), true);
  });

  await t.step("a connection closed before any response", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const serving = (async () => {
      const conn = await listener.accept();
      await conn.read(new Uint8Array(4096));
      conn.close();
    })();
    const err = await failureOf(
      fetch(`http://127.0.0.1:${listener.addr.port}/`, { method: "POST", body: "{}" }),
    );
    await serving;
    listener.close();
    assert.equal(isUnanswered(err), true);
  });

  await t.step("not a body cut after the response began, nor an abort, nor a bad response", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const serving = (async () => {
      for (const answer of ["HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{", "SSH-2.0-OpenSSH\r\n\r\n"]) {
        const conn = await listener.accept();
        await conn.read(new Uint8Array(4096));
        await conn.write(new TextEncoder().encode(answer));
        conn.close();
      }
    })();
    const url = `http://127.0.0.1:${listener.addr.port}/`;
    const res = await fetch(url, { method: "POST", body: "{}" });
    assert.equal(isUnanswered(await failureOf(res.text())), false);
    assert.equal(isUnanswered(await failureOf(fetch(url, { method: "POST", body: "{}" }))), false);
    await serving;
    listener.close();
    const aborted = await failureOf(fetch(url, { signal: AbortSignal.abort() }));
    assert.equal(isUnanswered(aborted), false);
  });
});

Deno.test("retryOnce() sends an unanswered request once more, and only once", async (t) => {
  const refused = new TypeError("fetch failed", {
    cause: new Error("client error (Connect): tcp connect error: Connection refused (os error 111)"),
  });

  await t.step("a second failure is the caller's", async () => {
    let attempts = 0;
    const send = retryOnce(() => {
      attempts++;
      return Promise.reject(refused);
    });
    await assert.rejects(send("http://127.0.0.1:1/", { method: "POST", body: "{}" }), refused);
    assert.equal(attempts, 2);
  });

  await t.step("not when the body cannot be sent twice, or the caller gave up", async () => {
    let attempts = 0;
    const send = retryOnce(() => {
      attempts++;
      return Promise.reject(refused);
    });
    const stream = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    await assert.rejects(send("http://127.0.0.1:1/", { method: "POST", body: stream }), refused);
    await assert.rejects(send("http://127.0.0.1:1/", { signal: AbortSignal.abort() }), refused);
    assert.equal(attempts, 2);
  });
});
