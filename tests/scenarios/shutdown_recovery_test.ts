/**
 * Shutdown on SIGTERM (grace, cancellation, a second signal), recovery after `kill -9`, and
 * `pt retry`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  alive,
  concurrently,
  lines,
  query,
  runs,
  type Sandbox,
  stdoutOf,
  tasks,
  waitPid,
  waitUntil,
  withSandbox,
} from "./helpers.ts";
import { REPEAT_SIGNAL_WINDOW_MS } from "../../src/cli/commands/run.ts";
import { scaled } from "../time_scale.ts";

/** Whether any non-zombie process of group `pgid` is left, asked of `ps`. */
async function groupAlive(pgid: number): Promise<boolean> {
  const out = await new Deno.Command("ps", { args: ["-A", "-o", "pgid=,stat="] }).output();
  return new TextDecoder().decode(out.stdout).split("\n").some((l) => {
    const [g, stat] = l.trim().split(/\s+/);
    return g === String(pgid) && stat !== undefined && !stat.startsWith("Z");
  });
}

/** A job whose task records its pid (the group leader) and a background grandchild's pid. */
function longJob(sb: Sandbox, id: string, more = ""): Promise<void> {
  return sb.job(
    id,
    `id: ${id}
schedule: "* * * * * *"
max_concurrency: 1
${more}
tasks:
  - id: t
    type: shell
    script: 'echo $$ > ${sb.dir}/leader; sleep 300 & echo $! > ${sb.dir}/gpid; sleep 300'
`,
  );
}

/** Waits for the long task to be up; returns [leader, grandchild], tracked for cleanup. */
async function taskPids(sb: Sandbox): Promise<[number, number]> {
  const leader = await waitPid(`${sb.dir}/leader`);
  sb.track(leader, true);
  const grandchild = await waitPid(`${sb.dir}/gpid`);
  sb.track(grandchild);
  assert.ok(await alive(leader) && await alive(grandchild));
  return [leader, grandchild];
}

async function gone(pids: readonly number[], what: string, timeoutMs = 5000): Promise<void> {
  await waitUntil(what, async () => {
    for (const pid of pids) if (await alive(pid)) return false;
    return true;
  }, timeoutMs);
}

async function shortTask(): Promise<void> {
  await withSandbox(async (sb) => {
    await sb.job(
      "short",
      `id: short
schedule: "* * * * * *"
max_concurrency: 1
tasks:
  - id: t
    type: shell
    script: 'sleep 1.5; echo finished'
`,
    );
    const pt = sb.run();
    await pt.ready();
    await pt.waitLog(/run started \(schedule\)/, 5000);
    const signalled = Date.now();
    const exit = await pt.stop();
    const took = Date.now() - signalled;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stderr, /shutting down: waiting up to 30s for 1 running run\(s\)/);
    assert.ok(took >= 900, `exited after ${took} ms, before the task could finish`);
    const fired = runs(sb.db, "short").filter((r) => r.status !== "skipped");
    assert.equal(fired.length, 1, JSON.stringify(fired));
    assert.equal(fired[0].status, "completed");
    assert.deepEqual(tasks(sb.db, fired[0].id).map((t) => t.status), ["completed"]);
    // Nothing fired once the signal came.
    assert.ok(runs(sb.db, "short").every((r) => r.started_at <= signalled + 50));
  });
}

async function longTaskGrace(): Promise<void> {
  await withSandbox(async (sb) => {
    await longJob(sb, "long");
    const pt = sb.run(["--grace", "1"]);
    await pt.ready();
    const [leader, grandchild] = await taskPids(sb);
    const signalled = Date.now();
    const exit = await pt.stop();
    const took = Date.now() - signalled;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stderr, /waiting up to 1s for 1 running run\(s\)/);
    assert.ok(took >= 900 && took < scaled(8000), `exited ${took} ms after SIGTERM with --grace 1`);
    const [run] = runs(sb.db, "long");
    assert.equal(run.status, "cancelled");
    assert.deepEqual(tasks(sb.db, run.id).map((t) => t.status), ["cancelled"]);
    assert.equal(await groupAlive(leader), false, "the task's process group is gone");
    assert.equal(await alive(grandchild), false, "the grandchild is gone");
  });
}

async function secondSignal(): Promise<void> {
  await withSandbox(async (sb) => {
    await longJob(sb, "long");
    const pt = sb.run(); // grace 30 s
    await pt.ready();
    const [leader, grandchild] = await taskPids(sb);
    pt.signal("SIGTERM");
    await pt.waitLog(/waiting up to 30s for 1 running run/);
    pt.signal("SIGTERM"); // at once: the same keypress delivered twice, ignored
    await new Promise((r) => setTimeout(r, REPEAT_SIGNAL_WINDOW_MS + 200));
    const second = Date.now();
    const exit = await pt.stop(); // the second SIGTERM
    const took = Date.now() - second;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stderr, /second signal: cancelling running runs now/);
    assert.ok(took < scaled(8000), `exited ${took} ms after the second signal`);
    assert.equal(runs(sb.db, "long")[0].status, "cancelled");
    assert.equal(await groupAlive(leader), false);
    assert.equal(await alive(grandchild), false);
  });
}

async function crashRecovery(): Promise<void> {
  await withSandbox(async (sb) => {
    await longJob(sb, "crash");
    const first = sb.run();
    await first.ready();
    const [leader, grandchild] = await taskPids(sb);
    const [run] = runs(sb.db, "crash");
    assert.equal(run.status, "running");
    // The store commits in ~50 ms batches: wait until the task's process group is recorded.
    const pgid = await waitUntil("the task's process group in the database", () => {
      const [row] = query(sb.db, "SELECT pgid FROM task_runs WHERE pgid IS NOT NULL");
      return row ? Number(row.pgid) : null;
    });
    assert.equal(pgid, leader);
    first.signal("SIGKILL");
    const killed = await first.exited;
    assert.equal(killed.signal, "SIGKILL");
    // The orphans outlive the scheduler ...
    assert.ok(await alive(leader) && await alive(grandchild), "task processes orphaned");
    assert.equal(runs(sb.db, "crash")[0].status, "running");

    // ... until the next start, which must not fire the job again (disabled now).
    await longJob(sb, "crash", "enabled: false");
    const second = sb.run();
    await second.ready();
    assert.match(second.stderr, /run interrupted by a previous stop; marked interrupted/);
    await gone([leader, grandchild], "the orphaned task processes to be killed");
    assert.equal(await groupAlive(leader), false);
    const exit = await second.stop();
    assert.equal(exit.code, 0, exit.stderr);

    const after = runs(sb.db, "crash");
    assert.equal(after.length, 1);
    assert.equal(after[0].id, run.id);
    assert.equal(after[0].status, "interrupted");
    assert.ok(after[0].ended_at !== null);
    const [task] = tasks(sb.db, run.id);
    assert.equal(task.status, "failed");
    assert.equal(task.error, "interrupted");
  });
}

async function retry(): Promise<void> {
  await withSandbox(async (sb) => {
    const count = `${sb.dir}/a.count`;
    await sb.job(
      "r",
      `id: r
tasks:
  - id: a
    type: shell
    script: 'echo ran >> ${count}; echo from-a'
  - id: b
    type: shell
    depends_on: [a]
    script: 'test -f ${sb.dir}/marker'
  - id: c
    depends_on: [b]
    command: echo
    args: ["{{ tasks.a.stdout }}"]
  - id: d
    command: "true"
`,
    );
    const failed = await sb.cli(["trigger", sb.jobs, "r", "--db", sb.db, "-q"]);
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    const [old] = runs(sb.db, "r");
    assert.equal(old.status, "failed");
    const status = (runId: string) =>
      Object.fromEntries(tasks(sb.db, runId).map((t) => [t.task_id, t.status]));
    assert.deepEqual(status(old.id), { a: "completed", b: "failed", c: "skipped", d: "completed" });

    await Deno.writeTextFile(`${sb.dir}/marker`, "");
    const again = await sb.cli(["retry", sb.jobs, old.id, "--db", sb.db]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const all = runs(sb.db, "r");
    assert.equal(all.length, 2);
    const retried = all[1];
    assert.equal(retried.trigger, "retry");
    assert.equal(retried.retry_of, old.id);
    assert.equal(retried.status, "completed");
    assert.deepEqual(status(retried.id), {
      a: "completed",
      b: "completed",
      c: "completed",
      d: "completed",
    });
    // a kept (not run again), its stdout still feeds c; the old run is unchanged.
    assert.deepEqual(await lines(count), ["ran"]);
    assert.equal(stdoutOf(sb.db, retried.id, "c").trim(), "from-a");
    assert.equal(runs(sb.db, "r")[0].status, "failed");

    const unknown = await sb.cli(["retry", sb.jobs, "nope-123", "--db", sb.db]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown run id "nope-123"/);
  });
}

Deno.test("shutdown, crash recovery and retry", async (t) => {
  await concurrently(t, {
    "SIGTERM with a short task: it finishes, run completed, exit 0": shortTask,
    "SIGTERM with a long task and --grace 1: run cancelled, group gone, exit 0": longTaskGrace,
    "a second SIGTERM skips the grace period": secondSignal,
    "kill -9 then restart: run interrupted, task failed, orphans killed": crashRecovery,
    "pt retry of a failed run keeps successful tasks and re-runs the rest": retry,
  });
});
