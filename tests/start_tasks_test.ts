/**
 * `deno task start` and `start:aws` run relayx with the same runtime settings (malloc tunables, V8 and
 * code-cache flags), and the bench reads them from deno.json the way it starts relayx.
 */
import assert from "node:assert/strict";
import deno from "../deno.json" with { type: "json" };
import { taskTuning } from "../bench/start_task.ts";

Deno.test("taskTuning()", async (t) => {
  await t.step("keeps the assignments in front and the flags that are not permissions", () => {
    const task = "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536 MALLOC_ARENA_MAX=2 deno run " +
      "--no-code-cache --allow-net --allow-read=relayx.json,$HOME/.aws --v8-flags=--max-old-space-size=512 " +
      "--deny-env=SECRET -A --no-prompt --env-file=.env main.ts --port 9000";
    assert.deepEqual(taskTuning(task), {
      env: { GLIBC_TUNABLES: "glibc.malloc.mmap_threshold=65536", MALLOC_ARENA_MAX: "2" },
      flags: ["--no-code-cache", "--v8-flags=--max-old-space-size=512"],
    });
  });

  await t.step("stops at the script: its own flags are not Deno's", () => {
    assert.deepEqual(taskTuning("deno run --allow-net main.ts --no-code-cache"), { env: {}, flags: [] });
  });

  await t.step("refuses a task that is not deno run", () => {
    assert.throws(() => taskTuning("deno test --allow-net tests/"), /Not a deno run task/);
  });
});

Deno.test("deno task start and start:aws run relayx with the same runtime settings", () => {
  assert.deepEqual(taskTuning(deno.tasks["start:aws"]), taskTuning(deno.tasks.start));
});
