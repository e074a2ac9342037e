/**
 * `scripts/tasks.ts`: a task's `deno run` flags read back from its command.
 *
 * @module
 */

import assert from "node:assert/strict";
import meta from "../../deno.json" with { type: "json" };
import { BUNDLE_ENTRY, runFlags } from "../../scripts/tasks.ts";

Deno.test("runFlags: the words between `run` and the bundle's entry", () => {
  assert.deepEqual(
    runFlags({ command: `deno run --allow-read --v8-flags=--a,--b ${BUNDLE_ENTRY} run jobs/` }),
    ["--allow-read", "--v8-flags=--a,--b"],
  );
  const pt = runFlags(meta.tasks.pt);
  assert.ok(pt.includes("--allow-run") && pt.some((f) => f.startsWith("--v8-flags=")));
  assert.deepEqual(runFlags(meta.tasks.run), pt, "pt run runs with the pt task's flags");
});

Deno.test("runFlags: a command that does not run the bundle is an error that shows it", () => {
  assert.throws(() => runFlags({ command: "deno run -A src/main.ts" }), /src\/main\.ts/);
  assert.throws(() => runFlags({ command: `deno compile ${BUNDLE_ENTRY}` }), /not "deno run/);
});
