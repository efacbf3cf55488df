import assert from "node:assert/strict";
import { deadline } from "../../src/routes/_deadline.ts";

Deno.test("deadline() calls back once the time has passed, unless cancelled first", async () => {
  const fired: string[] = [];
  deadline(30, () => fired.push("short"));
  const cancel = deadline(30, () => fired.push("cancelled"));
  const long = deadline(5000, () => fired.push("long")); // a longer one does not delay the short ones
  cancel();
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(fired, ["short"]);
  const rest = deadline(10, () => fired.push("again"));
  await new Promise((r) => setTimeout(r, 60));
  rest();
  long();
  assert.deepEqual(fired, ["short", "again"]);
});
