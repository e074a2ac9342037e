/**
 * The jobs folder watcher: a file that becomes unreadable is reported on reload like an
 * invalid one, and the previous version of its job stays in force.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { loadJobsDir } from "../../src/config/loader/mod.ts";
import { planReload, type ReloadPlan, watchJobs } from "../../src/scheduler/watch.ts";

function job(id: string): string {
  return `id: ${id}\ntasks:\n  - id: t\n    command: "true"\n`;
}

async function withJobsDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "petit-watch-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("watchJobs: a file that becomes a broken symlink is an error; its job is kept", async () => {
  await withJobsDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "a.yaml"), job("a"));
    await Deno.writeTextFile(join(dir, "b.yaml"), job("b"));
    const { jobs } = await loadJobsDir(dir);
    const plans: ReloadPlan[] = [];
    const failures: string[] = [];
    const stop = watchJobs(
      dir,
      () => jobs,
      (plan) => plans.push(plan),
      (m) => failures.push(m),
      20,
    );
    try {
      const b = join(dir, "b.yaml");
      await Deno.remove(b);
      await Deno.symlink(join(dir, "gone.yaml"), b);
      const deadline = Date.now() + 5000;
      while (!plans.some((p) => p.errors.length > 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual(failures, [], "not a failed reload");
      const plan = plans.find((p) => p.errors.length > 0);
      assert.ok(plan, `no reload reported an error: ${JSON.stringify(plans)}`);
      assert.deepEqual(plan.errors, [
        `${b}:1:1: cannot read: broken symlink (${join(dir, "gone.yaml")} does not exist)`,
      ]);
      assert.deepEqual(plan.kept, ["b"]);
      assert.deepEqual(plan.jobs.map((j) => j.id), ["a", "b"]);
    } finally {
      stop();
    }
  });
});

Deno.test("planReload: an unreadable file with no previous job adds nothing", async () => {
  await withJobsDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "a.yaml"), job("a"));
    await Deno.symlink(join(dir, "loop.yaml"), join(dir, "loop.yaml"));
    const plan = planReload([], await loadJobsDir(dir));
    assert.deepEqual(plan.jobs.map((j) => j.id), ["a"]);
    assert.deepEqual(plan.kept, []);
    assert.deepEqual(plan.errors, [`${join(dir, "loop.yaml")}:1:1: cannot read: symlink loop`]);
  });
});
