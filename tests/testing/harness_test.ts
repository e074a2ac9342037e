/**
 * The test harness: schedules over hours fire each slot once, in order and on time, in
 * milliseconds of real time; scripted failures, retries with their delays, timeouts and
 * simulated durations pass on the clock; task conditions, job dependencies, overlap and
 * catch-up after a simulated downtime behave as in the real scheduler; real tasks see the
 * harness's config.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CommandTaskBuilder, DagBuilder, JobBuilder } from "../../src/core/builders.ts";
import type { CatchupPolicy, JobDependency, JobSpec, TaskSpec } from "../../src/core/model.ts";
import { TestHarness } from "../../src/testing/mod.ts";
import { scaled } from "../time_scale.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const iso = (ms: number | null): string => new Date(ms!).toISOString();
const at = (s: string): number => Date.parse(s);

/** A command task (scripted in these tests: no process runs). */
function command(id: string, more: (b: CommandTaskBuilder) => CommandTaskBuilder = (b) => b) {
  return more(new CommandTaskBuilder(id, "true")).build();
}

function job(
  id: string,
  tasks: TaskSpec[] | TaskSpec,
  o: {
    schedule?: string;
    deps?: JobDependency[];
    maxConcurrency?: number;
    catchup?: CatchupPolicy;
    catchupLimit?: number;
  } = {},
): JobSpec {
  const dag = new DagBuilder(id);
  for (const t of [tasks].flat()) dag.addTask(t);
  let b = new JobBuilder(id, id, dag.build());
  if (o.schedule) b = b.withSchedule(o.schedule);
  for (const d of o.deps ?? []) b = b.withDependency(d);
  if (o.maxConcurrency) b = b.withMaxConcurrency(o.maxConcurrency);
  if (o.catchup) b = b.withCatchup(o.catchup, o.catchupLimit);
  return b.build();
}

Deno.test("TestHarness: a cron job over 3 hours fires each slot once, on time, in milliseconds", async () => {
  const started = performance.now();
  await using h = new TestHarness([job("half", command("t"), { schedule: "*/30 * * * *" })], {
    start: at("2026-03-01T00:10:00Z"),
  });
  await h.advance(HOUR);
  await h.advanceTo(new Date("2026-03-01T03:10:00Z"));
  const runs = h.runs("half");
  assert.deepEqual(runs.map((r) => iso(r.scheduled_for)), [
    "2026-03-01T00:30:00.000Z",
    "2026-03-01T01:00:00.000Z",
    "2026-03-01T01:30:00.000Z",
    "2026-03-01T02:00:00.000Z",
    "2026-03-01T02:30:00.000Z",
    "2026-03-01T03:00:00.000Z",
  ]);
  for (const r of runs) {
    assert.equal(r.status, "completed");
    assert.equal(r.trigger, "schedule");
    assert.equal(r.reason, null);
    assert.equal(r.started_at, r.scheduled_for, "fired on its millisecond");
    assert.equal(r.ended_at, r.started_at, "an unscripted task takes no time");
  }
  assert.deepEqual(
    h.events("job_started").map((e) => e.run_id),
    runs.map((r) => r.id),
    "started in slot order",
  );
  assert.ok(h.notices().every((n) => n.kind === "fired"));
  assert.equal(h.clock.now(), at("2026-03-01T03:10:00Z"));
  const elapsed = performance.now() - started;
  assert.ok(elapsed < scaled(5_000), `3 simulated hours took ${elapsed} ms`);
});

Deno.test("TestHarness.failTask: two failed attempts, then completed after the retry delays", async () => {
  const flaky = command("fetch", (b) => b.retry(3, 30_000));
  const dag = new DagBuilder("etl").addTask(flaky, { retry: { backoff: "exponential" } })
    .addTask(command("load"), { dependsOn: ["fetch"] }).build();
  await using h = new TestHarness([new JobBuilder("etl", "etl", dag).build()]);
  h.failTask("etl", "fetch", { attempts: 2, exitCode: 3, stderr: "503 from upstream\n" });

  const t0 = h.clock.now();
  const run = await h.runNow("etl");
  assert.equal(run.status, "completed");
  // 30 s, then 60 s (exponential), on the clock: the run took 90 s of simulated time.
  assert.equal(run.started_at, t0);
  assert.equal(run.duration_ms, 90_000);
  assert.equal(h.clock.now(), t0 + 90_000);
  const attempts = h.attempts(run.id, "fetch");
  assert.deepEqual(attempts.map((a) => [a.started_at - t0, a.exit_code, a.stderr]), [
    [0, 3, "503 from upstream\n"],
    [30_000, 3, "503 from upstream\n"],
    [90_000, 0, ""],
  ]);
  assert.deepEqual(h.events("task_retrying").map((e) => [e.attempt, e.delay_ms, e.error]), [
    [1, 30_000, "exit code 3"],
    [2, 60_000, "exit code 3"],
  ]);
  const [fetch, load] = h.tasks(run.id);
  assert.deepEqual([fetch.status, fetch.attempts, fetch.duration_ms], ["completed", 3, 90_000]);
  assert.deepEqual([load.status, load.started_at], ["completed", t0 + 90_000]);

  // Every attempt failing: the task fails after its last retry.
  h.failTask("etl", "fetch", { exitCode: 3 });
  const failed = await h.runNow("etl");
  assert.equal(failed.status, "failed");
  assert.equal(failed.error, 'task "fetch" failed: exit code 3');
  assert.deepEqual(h.tasks(failed.id).map((t) => [t.task_id, t.status, t.attempts]), [
    ["fetch", "failed", 4],
    ["load", "skipped", 0],
  ]);
});

Deno.test("TestHarness.timeoutTask: attempts take the task's timeout on the clock and fail", async () => {
  const slow = command("export", (b) => b.timeout(5 * MINUTE).retry(1, MINUTE, "transient_only"));
  await using h = new TestHarness([job("nightly", [slow, command("other")])]);
  h.timeoutTask("nightly", "export");
  const t0 = h.clock.now();
  const run = await h.runNow("nightly");
  assert.equal(run.status, "failed");
  assert.equal(run.error, 'task "export" failed: timed out after 300000 ms');
  // Timeouts are transient: retried once, a minute after the first timed out.
  assert.deepEqual(h.attempts(run.id, "export").map((a) => [a.started_at - t0, a.ended_at! - t0]), [
    [0, 5 * MINUTE],
    [6 * MINUTE, 11 * MINUTE],
  ]);
  assert.equal(run.duration_ms, 11 * MINUTE);

  // A scripted duration past the timeout times out too; within it, the task just takes it.
  h.succeedTask("nightly", "export", { durationMs: 7 * MINUTE, attempts: 1 });
  const second = await h.runNow("nightly");
  assert.equal(second.status, "completed");
  assert.equal(second.duration_ms, 5 * MINUTE + MINUTE);
  h.succeedTask("nightly", "export", { durationMs: 4 * MINUTE });
  assert.equal((await h.runNow("nightly")).duration_ms, 4 * MINUTE);

  // Only a task with a timeout can run into it.
  assert.throws(
    () => h.timeoutTask("nightly", "other"),
    /task "other" of job "nightly" has no timeout/,
  );
});

Deno.test("TestHarness: on_failure and all_done tasks run after a scripted failure", async () => {
  const dag = new DagBuilder("etl")
    .addTask(command("extract"))
    .addTask(command("alert"), { dependsOn: ["extract"], condition: "on_failure" })
    .addTask(command("load"), { dependsOn: ["extract"] })
    .addTask(command("cleanup"), { dependsOn: ["load"], condition: "all_done" })
    .build();
  await using h = new TestHarness([new JobBuilder("etl", "etl", dag).build()]);
  h.failTask("etl", "extract", { exitCode: 2 });
  const run = await h.runNow("etl");
  assert.equal(run.status, "failed");
  assert.deepEqual(h.tasks(run.id).map((t) => [t.task_id, t.status]), [
    ["extract", "failed"],
    ["alert", "completed"],
    ["load", "skipped"],
    ["cleanup", "completed"],
  ]);
  assert.equal(h.events("task_failed")[0].exit_code, 2);

  // Once extract succeeds, alert is the one skipped.
  h.resetTask("etl", "extract");
  const ok = await h.runNow("etl");
  assert.equal(ok.status, "completed");
  assert.deepEqual(h.tasks(ok.id).map((t) => t.status), [
    "completed",
    "skipped",
    "completed",
    "completed",
  ]);
});

Deno.test("TestHarness: a dependent job's slots are skipped 'dependency' until upstream succeeded", async () => {
  const up = job("up", command("t"));
  const down = job("down", command("t"), {
    schedule: "0 * * * *",
    deps: [{ jobId: "up", condition: { kind: "last_success" } }],
  });
  const fresh = job("fresh", command("t"), {
    schedule: "30 * * * *",
    deps: [{ jobId: "up", condition: { kind: "within_window", windowMs: HOUR } }],
  });
  await using h = new TestHarness([up, down, fresh], { start: at("2026-01-01T00:00:00Z") });
  const outcome = (id: string) => h.runs(id).map((r) => [iso(r.scheduled_for), r.status, r.reason]);

  await h.advanceTo(at("2026-01-01T01:00:00Z"));
  h.failTask("up", "t");
  assert.equal((await h.runNow("up")).status, "failed");
  await h.advanceTo(at("2026-01-01T02:00:00Z"));
  h.resetTask("up", "t");
  assert.equal((await h.runNow("up")).status, "completed");
  await h.advanceTo(at("2026-01-01T04:00:00Z"));

  const failedRun = h.runs("up")[0].id;
  assert.deepEqual(outcome("down"), [
    [
      "2026-01-01T01:00:00.000Z",
      "skipped",
      'dependency: dependency "up" has not run yet (last_success)',
    ],
    [
      "2026-01-01T02:00:00.000Z",
      "skipped",
      `dependency: dependency "up" last run ${failedRun} failed (last_success)`,
    ],
    ["2026-01-01T03:00:00.000Z", "completed", null],
    ["2026-01-01T04:00:00.000Z", "completed", null],
  ]);
  // within_window 1h: only the 02:30 slot is within an hour of up's success at 02:00.
  assert.deepEqual(outcome("fresh").map(([slot, status]) => [slot, status]), [
    ["2026-01-01T00:30:00.000Z", "skipped"],
    ["2026-01-01T01:30:00.000Z", "skipped"],
    ["2026-01-01T02:30:00.000Z", "completed"],
    ["2026-01-01T03:30:00.000Z", "skipped"],
  ]);
  assert.match(h.runs("fresh")[3].reason!, /last succeeded 1h30m ago, outside the 1h window$/);
  // A manual trigger is refused the same way unless forced.
  h.failTask("up", "t");
  await h.runNow("up");
  assert.throws(() => h.trigger("down"), /last_success\) \(use force to run anyway\)$/);
  assert.equal((await h.runNow("down", { force: true })).status, "completed");
});

Deno.test("TestHarness: a run still going at the next slot makes it an overlap skip", async () => {
  const slow = job("slow", command("t"), { schedule: "*/30 * * * *", maxConcurrency: 1 });
  await using h = new TestHarness([slow]);
  h.succeedTask("slow", "t", { durationMs: 45 * MINUTE });
  await h.advance(2 * HOUR);
  const outcome = () => h.runs("slow").map((r) => [iso(r.scheduled_for).slice(11, 16), r.status]);
  assert.deepEqual(outcome(), [
    ["00:30", "completed"],
    ["01:00", "skipped"],
    ["01:30", "running"],
    ["02:00", "skipped"],
  ]);
  assert.match(h.runs("slow")[1].reason!, /^overlap: job limit reached: 1 of max_concurrency 1/);
  // The 01:30 run ends 45 minutes after its start.
  await h.runUntilIdle();
  assert.equal(outcome()[2][1], "completed");
  assert.equal(h.runs("slow")[2].ended_at, at("2026-01-01T02:15:00Z"));
  assert.equal(h.clock.now(), at("2026-01-01T02:15:00Z"));
});

Deno.test("TestHarness: catch-up after a simulated downtime runs the latest missed slots", async () => {
  const hourly = (id: string, catchup: CatchupPolicy) =>
    job(id, command("t"), { schedule: "0 * * * *", catchup, catchupLimit: 2 });
  await using h = new TestHarness([hourly("all", "all"), hourly("last", "last")], {
    start: at("2026-01-01T00:30:00Z"),
  });
  await h.advance(HOUR); // 01:00 fires
  await h.stop();
  await h.advanceTo(at("2026-01-01T06:30:00Z")); // 02:00 … 06:00 missed
  assert.deepEqual(h.runs("all").length, 1, "nothing fires while stopped");
  h.start();
  await h.runUntilIdle();
  const outcome = (id: string) =>
    h.runs(id).map((r) => [iso(r.scheduled_for).slice(11, 16), r.status, r.reason]);
  assert.deepEqual(outcome("all"), [
    ["01:00", "completed", null],
    [
      "04:00",
      "skipped",
      "missed: 3 slots while Petit was not running (catchup: all, catchup_limit 2)",
    ],
    ["05:00", "completed", "catch-up (catchup: all)"],
    ["06:00", "completed", "catch-up (catchup: all)"],
  ]);
  assert.deepEqual(outcome("last").slice(1), [
    ["05:00", "skipped", "missed: 4 slots while Petit was not running (catchup: last)"],
    ["06:00", "completed", "catch-up (catchup: last)"],
  ]);
  // The caught-up runs started at the restart, then the schedule goes on.
  assert.ok(h.runs("all").slice(2).every((r) => r.started_at === at("2026-01-01T06:30:00Z")));
  await h.advance(HOUR);
  assert.deepEqual(outcome("all").at(-1), ["07:00", "completed", null]);
});

Deno.test("TestHarness: waitIdle() leaves a run waiting on the clock; runUntilIdle() ends it", async () => {
  await using h = new TestHarness([job("j", [command("a"), command("b")])]);
  h.succeedTask("j", "a", { durationMs: 10 * MINUTE, stdout: "rows=3\n", outputs: { rows: 3 } });
  const t0 = h.clock.now();
  const run = h.trigger("j");
  await h.waitIdle();
  assert.equal(h.storage.getRun(run.runId)!.status, "running");
  assert.equal(h.clock.now(), t0, "waiting does not move the clock");
  assert.deepEqual(h.tasks(run.runId).map((t) => t.status), ["running", "completed"]);
  await h.advance(5 * MINUTE);
  assert.equal(h.storage.getRun(run.runId)!.status, "running");
  await h.runUntilIdle();
  assert.equal(h.clock.now(), t0 + 10 * MINUTE, "the clock stops when the run ends");
  const result = await run.done;
  assert.equal(result.status, "completed");
  assert.equal(result.durationMs, 10 * MINUTE);
  assert.deepEqual(h.outputs(run.runId, "a"), { rows: "3" });
  assert.equal(h.attempts(run.runId, "a")[0].stdout, "rows=3\n");
  assert.equal(h.attempts(run.runId, "b")[0].stdout, "");
});

Deno.test("TestHarness: cancelling a run cancels attempts waiting on the clock", async () => {
  await using h = new TestHarness([job("j", [command("a")])]);
  h.succeedTask("j", "a", { durationMs: HOUR });
  const run = h.trigger("j");
  await h.advance(MINUTE);
  assert.ok(h.scheduler.cancel(run.runId));
  await h.runUntilIdle();
  assert.equal((await run.done).status, "cancelled");
  assert.deepEqual(h.tasks(run.runId).map((t) => t.status), ["cancelled"]);
  // And close() cancels what is still running.
  const open = h.trigger("j");
  await h.close();
  assert.equal((await open.done).status, "cancelled");
  assert.equal(h.clock.pending, 0, "no timer left behind");
});

Deno.test("TestHarness: real tasks see the harness's config and scripted upstream outputs", async () => {
  const seen: unknown[] = [];
  const dag = new DagBuilder("greet")
    .addTask(command("fetch"))
    .addTask({
      name: "hello",
      execute(ctx) {
        seen.push(ctx.config.name, ctx.inputs.get("fetch")?.outputs.count);
        ctx.outputs.set("greeting", `hello ${ctx.config.name}`);
      },
    }, { dependsOn: ["fetch"] })
    .build();
  const greet = new JobBuilder("greet", "greet", dag).withConfig({ name: "world", other: 1 })
    .build();
  await using h = new TestHarness([greet], { execute: "real", config: { greet: { name: "you" } } });
  h.succeedTask("greet", "fetch", { outputs: { count: 2 } });
  const run = await h.runNow("greet");
  assert.equal(run.status, "completed", run.error ?? "");
  assert.deepEqual(seen, ["you", "2"]);
  assert.deepEqual(h.outputs(run.id, "hello"), { greeting: "hello you" });
  assert.deepEqual(h.job("greet").config, { name: "you", other: 1 });
  // Scripted failures apply to real tasks too.
  h.failTask("greet", "hello", { exitCode: null, error: "boom" });
  const failed = await h.runNow("greet");
  assert.equal(failed.error, 'task "hello" failed: boom');
});

Deno.test("TestHarness: unknown jobs and tasks are named with the known ones", async () => {
  await using h = new TestHarness([job("a", command("t"))], { schedule: false });
  assert.throws(() => h.failTask("b", "t"), /^Error: unknown job "b" \(jobs: a\)$/);
  assert.throws(() => h.failTask("a", "x"), /^Error: job "a" has no task "x" \(tasks: t\)$/);
  assert.throws(() => h.failTask("a", "t", { attempts: -1 }), RangeError);
  assert.throws(
    () => new TestHarness([job("a", command("t"))], { config: { nope: {} } }),
    /unknown job "nope"/,
  );
  await assert.rejects(() => h.advance(-1), RangeError);
  await assert.rejects(() => h.advanceTo(h.clock.now() - 1), /is before the clock's/);
});
