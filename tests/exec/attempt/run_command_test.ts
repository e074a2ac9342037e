/**
 * `runCommandAttempt`'s working folder check: a `working_dir` that does not exist, or is a
 * file, fails the task with an error naming it, starts no process and is not retried as a
 * transient failure; an existing one (absolute or relative to the job file) runs as before.
 * Jobs come from YAML and run through the DAG runner (`executeRun`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { formatConfigError } from "../../../src/config/errors.ts";
import { loadJobTexts } from "../../../src/config/loader/mod.ts";
import { EventBus } from "../../../src/events/bus.ts";
import type { PetitEvent } from "../../../src/events/types.ts";
import { executeRun, type RunResult } from "../../../src/exec/runner.ts";

/** Runs the job in `yaml`, whose file is `<dir>/job.yaml`. */
async function runYaml(
  dir: string,
  yaml: string,
): Promise<{ result: RunResult; events: PetitEvent[] }> {
  const loaded = loadJobTexts([{ file: join(dir, "job.yaml"), text: yaml }]);
  assert.deepEqual(loaded.errors.map(formatConfigError), []);
  const bus = new EventBus();
  const events: PetitEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const result = await executeRun({ job: loaded.jobs[0], runId: "r1", trigger: "manual", bus });
  return { result, events };
}

Deno.test("runCommandAttempt: a missing or non-folder working_dir fails once, naming it; no process starts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-cwd-" });
  try {
    await Deno.writeTextFile(join(dir, "a-file"), "");
    const { result, events } = await runYaml(
      dir,
      `id: job
tasks:
  - id: missing
    type: shell
    script: touch ran-missing
    working_dir: ${dir}/nope
    retry: { max_attempts: 2, condition: transient_only }
  - id: file
    command: "true"
    working_dir: a-file
  - id: always
    command: "true"
    working_dir: nope
    retry: { max_attempts: 1, condition: always }
`,
    );
    assert.equal(result.status, "failed");
    const missing = result.tasks.get("missing")!;
    assert.equal(missing.status, "failed");
    assert.equal(missing.attempts, 1, "transient_only does not retry a missing folder");
    assert.equal(
      missing.error,
      `working_dir ${dir}/nope does not exist (create it, or fix the task's working_dir)`,
    );
    assert.equal(missing.exitCode, null);
    assert.equal(
      result.tasks.get("file")!.error,
      `working_dir ${dir}/a-file is not a directory (fix the task's working_dir)`,
    );
    // `always` retries whatever failed, this too.
    assert.equal(result.tasks.get("always")!.attempts, 2);

    // task_started says that no process group was made; nothing ran anywhere.
    const started = events.filter((e) => e.type === "task_started");
    assert.equal(started.length, 4);
    for (const e of started) assert.equal(e.type === "task_started" && e.pgid, null);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a-file"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runCommandAttempt: an existing working_dir, absolute or relative to the job file, runs there", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-cwd-" });
  try {
    await Deno.mkdir(join(dir, "sub"));
    const { result } = await runYaml(
      dir,
      `id: job
tasks:
  - id: absolute
    command: pwd
    working_dir: ${dir}/sub
  - id: relative
    command: pwd
    working_dir: sub
  - id: default
    command: pwd
`,
    );
    assert.equal(result.status, "completed", result.error ?? "");
    const real = await Deno.realPath(dir);
    const pwd = (id: string) => result.tasks.get(id)!.stdout.trim();
    assert.equal(pwd("absolute"), join(real, "sub"));
    assert.equal(pwd("relative"), join(real, "sub"));
    assert.equal(pwd("default"), real);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
