import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createApp } from "../../src/app.ts";
import type { ModelInfo } from "../../src/backends/backend.ts";
import { fakeBackend } from "../support/fakes.ts";

const IDS = ["m1", "m2", "m3", "m4", "m5"];

function setup() {
  const backend = fakeBackend();
  backend.listModels = (): Promise<ModelInfo[]> =>
    Promise.resolve(IDS.map((id) => ({ id, display_name: id.toUpperCase(), upstream: `up-${id}` })));
  const app = createApp({ backend });
  const sdk = new Anthropic({
    apiKey: "dummy",
    baseURL: "http://relay.test",
    maxRetries: 0,
    fetch: (url: string | URL | Request, init?: RequestInit) =>
      Promise.resolve(app.fetch(new Request(url, init))),
  });
  const list = async (query: string) => {
    const res = await app.request(`/v1/models${query}`);
    return { status: res.status, body: await res.json() };
  };
  return { sdk, list };
}

Deno.test("GET /v1/models pages as Anthropic documents it", async (t) => {
  const { sdk, list } = setup();

  await t.step("limit and after_id page forward; has_more says whether more follow", async () => {
    const first = await list("?limit=2");
    assert.deepEqual(first.body.data.map((m: { id: string }) => m.id), ["m1", "m2"]);
    assert.deepEqual([first.body.first_id, first.body.last_id, first.body.has_more], ["m1", "m2", true]);
    const last = await list("?limit=2&after_id=m4");
    assert.deepEqual([last.body.first_id, last.body.last_id, last.body.has_more], ["m5", "m5", false]);
  });

  await t.step("before_id pages backward: the items right before it", async () => {
    const page = await list("?limit=2&before_id=m5");
    assert.deepEqual(page.body.data.map((m: { id: string }) => m.id), ["m3", "m4"]);
    assert.deepEqual([page.body.first_id, page.body.last_id, page.body.has_more], ["m3", "m4", true]);
    const start = await list("?limit=2&before_id=m3");
    assert.deepEqual([start.body.first_id, start.body.last_id, start.body.has_more], ["m1", "m2", false]);
    const none = await list("?before_id=m1");
    assert.deepEqual([none.body.data, none.body.first_id, none.body.has_more], [[], null, false]);
  });

  await t.step("the SDK's auto-paging walks the whole list both ways", async () => {
    // At most 10 items: a server that ignores before_id would page forever.
    const walk = async (params: Anthropic.ModelListParams) => {
      const ids: string[] = [];
      for await (const m of sdk.models.list(params)) if (ids.push(m.id) >= 10) break;
      return ids;
    };
    assert.deepEqual(await walk({ limit: 2 }), IDS);
    assert.deepEqual(await walk({ limit: 2, before_id: "m5" }), ["m3", "m4", "m1", "m2"]);
  });

  await t.step("an id not in the list ends paging rather than starting over", async () => {
    for (const query of ["?after_id=gone", "?before_id=gone"]) {
      const page = await list(query);
      assert.deepEqual([page.status, page.body.data, page.body.has_more], [200, [], false]);
    }
  });

  await t.step("after_id and before_id together are a 400 naming them", async () => {
    const res = await list("?after_id=m1&before_id=m3");
    assert.equal(res.status, 400);
    assert.equal(res.body.type, "error");
    assert.equal(res.body.error.type, "invalid_request_error");
    assert.match(res.body.error.message, /^before_id: .*after_id/);
  });
});
