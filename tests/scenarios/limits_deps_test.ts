/**
 * Job dependencies (each condition, in-process and end to end) and limits (job
 * `max_concurrency`, global `--max-jobs`, manual triggers over a limit).
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadJobsDir } from "../../src/config/loader/mod.ts";
import { Scheduler, TriggerRefusedError } from "../../src/scheduler/scheduler.ts";
import { SqliteStorage } from "../../src/storage/sqlite/mod.ts";
import { concurrently, runs, Sandbox, waitUntil, withSandbox } from "./helpers.ts";
import { assertSlotsHandled, isRegular } from "./slot_checks.ts";

/**
 * A job's records in slot order, each slot once and none left out, without the `missed`
 * records of stalls (emulated only; natively there are none, see slot_checks.ts).
 */
function slotRecords(db: string, jobId: string) {
  return assertSlotsHandled(runs(db, jobId), { policy: "none" }).rows.filter(isRegular);
}

const HOUR = 3_600_000;

async function dependenciesInProcess(): Promise<void> {
  const sb = await Sandbox.create();
  const storage = new SqliteStorage(sb.db);
  const schedulers: Scheduler[] = [];
  try {
    // `up` fails while ./fail exists and takes 30 s while ./slow exists.
    await sb.job(
      "up",
      `id: up
tasks:
  - id: t
    type: shell
    script: 'if [ -f ${sb.dir}/slow ]; then sleep 30; fi; test ! -f ${sb.dir}/fail'
`,
    );
    const dependent = (id: string, dep: string) =>
      sb.job(id, `id: ${id}\ndepends_on:\n  - ${dep}\ntasks:\n  - id: t\n    command: "true"\n`);
    await dependent("d_success", "up");
    await dependent("d_complete", "{job: up, condition: last_complete}");
    await dependent("d_window", "{job_id: up, condition: within_window, window: 1h}");
    await dependent("d_window_secs", "{job: up, condition: {within_window: {seconds: 3600}}}");
    const loaded = await loadJobsDir(sb.jobs);
    assert.deepEqual(loaded.errors, []);
    const s = new Scheduler(loaded.jobs, { storage });
    schedulers.push(s);
    const reason = (id: string, now?: number) => s.dependencyReason(s.job(id)!, now);
    const runUp = async () => (await s.trigger("up").done).status;

    // Never ran: nothing satisfied.
    assert.equal(reason("d_success"), 'dependency "up" has not run yet (last_success)');
    assert.equal(reason("d_complete"), 'dependency "up" has not run yet (last_complete)');
    assert.equal(reason("d_window"), 'dependency "up" has no successful run (within_window 1h)');
    assert.match(reason("d_window_secs")!, /has no successful run \(within_window 1h\)/);
    // A manual trigger is refused (code dependency) unless forced.
    assert.throws(
      () => s.trigger("d_success"),
      (e) => e instanceof TriggerRefusedError && e.code === "dependency",
    );
    assert.equal((await s.trigger("d_success", { force: true }).done).status, "completed");

    // A success satisfies every condition.
    assert.equal(await runUp(), "completed");
    for (const id of ["d_success", "d_complete", "d_window", "d_window_secs"]) {
      assert.equal(reason(id), null, id);
    }
    assert.equal((await s.trigger("d_success").done).status, "completed");
    // ... but not a window that has passed.
    assert.match(reason("d_window", Date.now() + 2 * HOUR)!, /outside the 1h window$/);
    assert.match(reason("d_window_secs", Date.now() + 2 * HOUR)!, /outside the 1h window$/);

    // A failure: last_complete and within_window (earlier success) still hold.
    await Deno.writeTextFile(`${sb.dir}/fail`, "");
    assert.equal(await runUp(), "failed");
    assert.match(reason("d_success")!, /^dependency "up" last run \S+ failed \(last_success\)$/);
    assert.equal(reason("d_complete"), null);
    assert.equal(reason("d_window"), null);

    // A running upstream run does not count; a cancelled one satisfies nothing but a window.
    await Deno.writeTextFile(`${sb.dir}/slow`, "");
    const slow = s.trigger("up");
    await waitUntil(
      "the slow run to start",
      () => storage.getRun(slow.runId)?.status === "running",
    );
    assert.equal(reason("d_complete"), null, "judged on the previous (failed) run");
    assert.ok(s.cancel(slow.runId));
    assert.equal((await slow.done).status, "cancelled");
    assert.match(reason("d_complete")!, /last run \S+ was cancelled \(last_complete\)$/);
    assert.match(reason("d_success")!, /last run \S+ cancelled \(last_success\)$/);
    assert.equal(reason("d_window"), null);
    // A skipped slot of the upstream is not a finished run.
    assert.notEqual(s.recordSkip(s.job("up")!, Date.now(), "paused: test"), null);
    assert.match(reason("d_complete")!, /was cancelled/);

    // Manual triggers over a limit are refused with code "limit", even when forced.
    await Deno.remove(`${sb.dir}/fail`);
    const limited = new Scheduler(loaded.jobs, { storage, maxJobs: 1 });
    schedulers.push(limited);
    const hog = limited.trigger("up");
    assert.throws(
      () => limited.trigger("d_complete", { force: true }),
      (e) =>
        e instanceof TriggerRefusedError && e.code === "limit" &&
        /global limit reached: 1 of max_jobs 1/.test(e.message),
    );
    limited.cancel(hog.runId);
    await hog.done;
  } finally {
    for (const s of schedulers) await s.shutdown(0);
    storage.close();
    await sb.cleanup();
  }
}

async function jobLimitManual(): Promise<void> {
  const sb = await Sandbox.create();
  const storage = new SqliteStorage(sb.db);
  let s: Scheduler | null = null;
  try {
    await sb.job(
      "one",
      `id: one\nmax_concurrency: 1\ntasks:\n  - id: t\n    command: sleep\n    args: ["30"]\n`,
    );
    const loaded = await loadJobsDir(sb.jobs);
    s = new Scheduler(loaded.jobs, { storage });
    const first = s.trigger("one");
    assert.throws(
      () => s!.trigger("one", { force: true }),
      (e) =>
        e instanceof TriggerRefusedError && e.code === "limit" &&
        /job limit reached: 1 of max_concurrency 1/.test(e.message),
    );
    s.cancel(first.runId);
    assert.equal((await first.done).status, "cancelled");
    // Below the limit again: accepted.
    const again = s.trigger("one");
    s.cancel(again.runId);
    await again.done;
  } finally {
    await s?.shutdown(0);
    storage.close();
    await sb.cleanup();
  }
}

async function dependencyEndToEnd(): Promise<void> {
  await withSandbox(async (sb) => {
    await sb.job("up", `id: up\ntasks:\n  - id: t\n    command: "true"\n`);
    await sb.job(
      "down",
      `id: down
schedule: "* * * * * *"
depends_on: [up]
tasks:
  - id: t
    command: "true"
`,
    );
    const pt = sb.run();
    await pt.ready();
    await waitUntil(
      "two skipped slots",
      () => runs(sb.db, "down").filter(isRegular).length >= 2,
      5000,
    );
    const trig = await sb.cli(["trigger", sb.jobs, "up", "--db", sb.db, "-q"]);
    assert.equal(trig.code, 0, trig.stderr);
    const upDone = Date.now();
    await waitUntil(
      "fires once up succeeded",
      () => runs(sb.db, "down").filter((r) => r.status === "completed").length >= 2,
      5000,
    );
    assert.equal((await pt.stop()).code, 0);

    const rows = slotRecords(sb.db, "down");
    const skipped = rows.filter((r) => r.status === "skipped");
    assert.ok(skipped.length >= 2);
    for (const r of skipped) {
      assert.equal(r.reason, 'dependency: dependency "up" has not run yet (last_success)');
      assert.ok(r.scheduled_for! < upDone);
    }
    // Once satisfied every slot fires; before, none did.
    const fired = rows.filter((r) => r.status !== "skipped");
    assert.ok(fired.every((r) => r.status === "completed"));
    assert.ok(Math.max(...skipped.map((r) => r.scheduled_for!)) < fired[0].scheduled_for!);
    assert.match(pt.stderr, /slot skipped: dependency: dependency "up" has not run yet/);
  });
}

async function overlap(): Promise<void> {
  await withSandbox(async (sb) => {
    await sb.job(
      "long",
      `id: long
schedule: "* * * * * *"
max_concurrency: 1
tasks:
  - id: t
    command: sleep
    args: ["30"]
`,
    );
    const pt = sb.run(["--grace", "0"]);
    await pt.ready();
    await waitUntil("three slots", () => runs(sb.db, "long").filter(isRegular).length >= 3, 6000);
    assert.equal((await pt.stop()).code, 0);
    const [first, ...rest] = slotRecords(sb.db, "long");
    assert.equal(first.status, "cancelled");
    assert.ok(rest.length >= 2);
    for (const r of rest) {
      assert.equal(r.status, "skipped");
      assert.equal(r.reason, "overlap: job limit reached: 1 of max_concurrency 1 runs active");
    }
  });
}

async function globalLimit(): Promise<void> {
  await withSandbox(async (sb) => {
    const job = (id: string, cmd: string) =>
      sb.job(id, `id: ${id}\nschedule: "* * * * * *"\ntasks:\n  - id: t\n    ${cmd}\n`);
    await job("a_hog", `command: sleep\n    args: ["30"]`);
    await job("b_quick", `command: "true"`);
    const pt = sb.run(["--max-jobs", "1", "--grace", "0"]);
    await pt.ready();
    await waitUntil(
      "three b_quick slots",
      () => runs(sb.db, "b_quick").filter(isRegular).length >= 3,
      6000,
    );
    assert.equal((await pt.stop()).code, 0);
    const hog = slotRecords(sb.db, "a_hog");
    assert.equal(hog.filter((r) => r.status !== "skipped").length, 1, JSON.stringify(hog));
    const quick = slotRecords(sb.db, "b_quick");
    for (const r of [...quick, ...hog.slice(1)]) {
      assert.equal(r.status, "skipped");
      assert.equal(r.reason, "limit: global limit reached: 1 of max_jobs 1 runs active");
    }
  });
}

Deno.test("dependencies and limits", async (t) => {
  await concurrently(t, {
    "in-process: last_success / last_complete / within_window, satisfied and not": () =>
      dependenciesInProcess(),
    "in-process: manual trigger over max_concurrency refused (code limit)": () => jobLimitManual(),
    "pt run: unsatisfied dependency skips slots 'dependency…', fires once satisfied": () =>
      dependencyEndToEnd(),
    "pt run: max_concurrency 1 with a long task, later slots skipped 'overlap…'": () => overlap(),
    "pt run: --max-jobs 1 with two jobs, the other skipped 'limit…'": () => globalLimit(),
  });
});
