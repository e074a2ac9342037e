/**
 * Tests of off_thread.ts: a folder loaded in a worker gives the same result as one loaded
 * here (big jobs come back in slices), and a missing folder is the same JobsDirError.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { JobsDirError } from "../../../src/config/errors.ts";
import {
  loadJobsDir,
  loadJobsDirOffThread,
  type LoadResult,
} from "../../../src/config/loader/mod.ts";
import { TASKS_PER_MESSAGE } from "../../../src/config/loader/off_thread.ts";
import { TASKS, withTempDir, yaml } from "./helpers.ts";

/** A load as plain data: schedules by what they say (their methods do not compare). */
function plain(result: LoadResult): unknown {
  return JSON.parse(JSON.stringify(result));
}

Deno.test("loadJobsDirOffThread: the same result as loadJobsDir, big jobs in slices", async () => {
  await withTempDir(async (dir) => {
    const tasks = TASKS_PER_MESSAGE * 2 + 7;
    const big = ["id: big", "schedule: '*/5 * * * *'", "timezone: Europe/Berlin", "tasks:"];
    for (let i = 0; i < tasks; i++) {
      big.push(`  - id: t${i}`, "    command: echo", ...(i ? [`    depends_on: [t${i - 1}]`] : []));
    }
    await Deno.writeTextFile(join(dir, "big.yaml"), yaml(...big));
    await Deno.writeTextFile(join(dir, "bad.yaml"), yaml("id: bad", "name: *nope", ...TASKS));
    await Deno.writeTextFile(
      join(dir, "down.yaml"),
      yaml("id: down", "depends_on: [big, ghost]", ...TASKS),
    );
    await Deno.writeTextFile(
      join(dir, "daily.yaml"),
      yaml("id: daily", "schedule: '@daily'", ...TASKS),
    );
    const here = await loadJobsDir(dir);
    const there = await loadJobsDirOffThread(dir);
    assert.deepEqual(plain(there), plain(here));
    assert.equal(there.jobs.find((j) => j.id === "big")?.tasks.length, tasks);
    assert.deepEqual(there.errors.map((e) => e.message.slice(0, 30)), [
      "YAML alias *nope has no anchor",
      'job "down" depends on unknown ',
    ]);
    // Schedules are whole objects again.
    const schedule = there.jobs.find((j) => j.id === "big")?.schedule;
    assert.equal(schedule?.timezone, "Europe/Berlin");
    assert.equal(typeof schedule?.next, "function");
  });
});

Deno.test("loadJobsDirOffThread: a missing folder is a JobsDirError", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(() => loadJobsDirOffThread(join(dir, "nope")), (err: unknown) => {
      assert.ok(err instanceof JobsDirError);
      assert.match(err.message, /jobs folder not found/);
      return true;
    });
  });
});
