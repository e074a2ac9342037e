/**
 * The jobs folder watcher: a file that becomes unreadable or holds an alias bomb is
 * reported on reload like an invalid one, and the previous version of its job stays in
 * force; a big file is checked off the event loop, so timers keep firing during a reload.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { loadJobsDir } from "../../src/config/loader/mod.ts";
import { planReload, type ReloadPlan, watchJobs } from "../../src/scheduler/watch.ts";
import { scaled } from "../time_scale.ts";

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
      const deadline = Date.now() + scaled(5000);
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

/** A chain of `n` tasks, each depending on the one before. */
function chain(id: string, n: number): string {
  const lines = [`id: ${id}`, "tasks:"];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  - id: t${i}`,
      `    command: "true"`,
      ...(i ? [`    depends_on: [t${i - 1}]`] : []),
    );
  }
  return lines.join("\n") + "\n";
}

Deno.test("watchJobs: a big file is checked off the event loop; timers keep firing", async () => {
  await withJobsDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "a.yaml"), job("a"));
    // About 1.5 s of parsing and checks on this thread (bench/validate_big.ts).
    const tasks = 20_000;
    await Deno.writeTextFile(join(dir, "big.tmp"), chain("big", tasks));
    let reloaded: (plan: ReloadPlan) => void = () => {};
    const done = new Promise<ReloadPlan>((resolve) => (reloaded = resolve));
    const failures: string[] = [];
    const stop = watchJobs(
      dir,
      () => [],
      (plan) => {
        if (plan.jobs.some((j) => j.tasks.length === tasks)) reloaded(plan);
      },
      (m) => failures.push(m),
      20,
    );
    let last = performance.now();
    let stall = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last);
      last = now;
    }, 5);
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      last = performance.now();
      stall = 0;
      // Renamed into place, so that no reload reads it half written.
      const renamedAt = performance.now();
      await Deno.rename(join(dir, "big.tmp"), join(dir, "big.yaml"));
      const plan = await done;
      const reloadMs = performance.now() - renamedAt;
      // A stall right before the plan is measured by the next tick.
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(failures, []);
      assert.deepEqual(plan.errors, []);
      assert.deepEqual(plan.jobs.map((j) => j.id), ["a", "big"]);
      // Checked on this thread, the stall was the whole load (1.5 s here, 36 s before the
      // checks were made linear); off it, 23 ms. The bound: 300 ms, or a fifth of the reload
      // where the machine is slower (under qemu the reload takes minutes, and this thread's
      // share, receiving and building the jobs, seconds). The margin is for a busy machine.
      const bound = Math.max(300, reloadMs / 5);
      assert.ok(
        stall < bound,
        `the event loop stalled ${stall.toFixed(0)} ms of a ${reloadMs.toFixed(0)} ms reload`,
      );
    } finally {
      clearInterval(tick);
      stop();
    }
  });
});

Deno.test("watchJobs: an alias bomb in one file is its error; the others reload", async () => {
  await withJobsDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "a.yaml"), job("a"));
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
      const bomb = ["id: a", 'l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
      for (let i = 1; i < 9; i++) {
        bomb.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(", ")}]`);
      }
      await Deno.writeTextFile(join(dir, "b.yaml"), job("b"));
      await Deno.writeTextFile(
        join(dir, "a.yaml"),
        [...bomb, 'tasks: [{id: t, command: "true"}]'].join("\n"),
      );
      const deadline = Date.now() + scaled(5000);
      while (
        !plans.some((p) => p.errors.length > 0 && p.jobs.length === 2) && Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual(failures, [], "not a failed reload");
      const plan = plans.find((p) => p.errors.length > 0 && p.jobs.length === 2);
      assert.ok(plan, JSON.stringify(plans));
      assert.equal(plan.errors.length, 1);
      assert.match(
        plan.errors[0],
        /a\.yaml:7:10: YAML alias \*l4 makes this file's aliases expand/,
      );
      assert.deepEqual(plan.kept, ["a"]);
      assert.deepEqual(plan.jobs.map((j) => j.id).sort(), ["a", "b"]);
    } finally {
      stop();
    }
  });
});
