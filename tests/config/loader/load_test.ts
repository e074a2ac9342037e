/**
 * Tests of load.ts: a folder with errors of every kind in several files, collected in one
 * pass and sorted, while the valid files still load.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { loadJobsDir } from "../../../src/config/loader/mod.ts";
import { TASKS, withTempDir, yaml } from "./helpers.ts";

Deno.test("errors: all errors of all files are collected in one pass, sorted", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "c_third.yaml"),
      yaml(
        "id: third",
        "max_concurrency: 0",
        "schedule: '* * *'",
        "tasks:",
        "  - id: x",
        "    command: echo",
        "    depends_on: [nope]",
      ),
    );
    await Deno.writeTextFile(
      join(dir, "a_first.yaml"),
      yaml(
        "id: first",
        "shedule: '@daily'",
        "depends_on: [ghost]",
        "tasks:",
        "  - id: x",
        "    command: echo",
        "    timeout_secs: 'ten'",
        "  - id: x",
        "    command: echo",
      ),
    );
    await Deno.writeTextFile(
      join(dir, "b_second.yml"),
      yaml(
        "id: first",
        "enabled: maybe",
        "tasks:",
        "  - id: a",
        "    type: shell",
        "    depends_on: [a]",
      ),
    );
    await Deno.writeTextFile(join(dir, "d_good.yaml"), yaml("id: good", ...TASKS));
    const result = await loadJobsDir(dir);
    const f = (name: string) => join(dir, name);
    const got = result.errors.map((e) => `${e.file}:${e.line}:${e.col}`);
    assert.deepEqual(got, [
      `${f("a_first.yaml")}:2:1`, // unknown key shedule
      `${f("a_first.yaml")}:3:14`, // unknown job ghost
      `${f("a_first.yaml")}:7:19`, // timeout_secs type
      `${f("a_first.yaml")}:8:9`, // duplicate task id
      `${f("b_second.yml")}:1:5`, // duplicate job id
      `${f("b_second.yml")}:2:10`, // enabled type
      `${f("b_second.yml")}:4:5`, // shell without script
      `${f("b_second.yml")}:6:18`, // depends on itself
      `${f("c_third.yaml")}:2:18`, // max_concurrency
      `${f("c_third.yaml")}:3:11`, // schedule fields
      `${f("c_third.yaml")}:7:18`, // unknown task
    ]);
    const messages = result.errors.map((e) => e.message);
    assert.match(messages[0], /unknown key "shedule"/);
    assert.match(messages[1], /unknown job "ghost"/);
    assert.match(messages[4], new RegExp(`also defined in ${f("a_first.yaml")}:1:5`));
    assert.match(messages[9], /found 3/);
    assert.match(messages[10], /unknown task "nope"/);
    // The valid file still loads; per-file results are in file order.
    assert.deepEqual(result.jobs.map((j) => j.id), ["good"]);
    assert.deepEqual(result.files.map((r) => [r.jobId, r.errors.length, r.job !== null]), [
      ["first", 4, false],
      ["first", 4, false],
      ["third", 3, false],
      ["good", 0, true],
    ]);
  });
});
