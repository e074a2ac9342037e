/**
 * The DAG runner (`executeRun`) driven by a fake `RunAttempt` (`fake_attempts.ts`): no
 * process, no job file, no storage. Attempts are logged, held and ended as each test plans,
 * so start order, conditions, retries, timeouts and cancellation are checked exactly and in
 * milliseconds.
 */

import assert from "node:assert/strict";
import type { RunAttempt } from "../../src/exec/attempt/mod.ts";
import {
  exit,
  FakeAttempts,
  ofType,
  OK,
  spec,
  start,
  statuses,
  TIMEOUT,
  until,
} from "./fake_attempts.ts";

// ---- order ----

Deno.test("executeRun: a task starts the moment its dependencies finish, not when a wave ends", async () => {
  const fake = new FakeAttempts({}, ["a", "b"]);
  const tasks = [
    spec("a"),
    spec("b"),
    spec("c", { dependsOn: ["a"] }),
    spec("d", { dependsOn: ["b"] }),
  ];
  const { done, events } = start(tasks, fake);
  await until(() => fake.holding("a") && fake.holding("b"), "a and b started");
  assert.deepEqual(fake.log, ["start a#1", "start b#1"]);

  fake.release("a");
  await until(() => fake.log.includes("end c#1"), "c ran");
  assert.deepEqual(fake.log, ["start a#1", "start b#1", "end a#1", "start c#1", "end c#1"]);
  assert.ok(fake.holding("b"), "b is still running while c has finished");

  fake.release("b");
  const r = await done;
  assert.deepEqual(fake.log, [
    "start a#1",
    "start b#1",
    "end a#1",
    "start c#1",
    "end c#1",
    "end b#1",
    "start d#1",
    "end d#1",
  ]);
  assert.equal(r.status, "completed");
  assert.equal(r.error, null);
  assert.deepEqual(statuses(r), { a: "completed", b: "completed", c: "completed", d: "completed" });
  // Events: job_started first, job_completed last, one task_started per attempt with the
  // pgid the attempt reported.
  assert.equal(events[0].type, "job_started");
  assert.equal(events.at(-1)?.type, "job_completed");
  assert.deepEqual(
    ofType(events, "task_started").map((e) => [e.task_id, e.attempt, e.pgid]),
    [["a", 1, 1001], ["b", 1, 1002], ["c", 1, 1004], ["d", 1, 1007]],
  );
});

Deno.test("executeRun: maxTasks bounds running attempts; a freed slot goes to the next ready task", async () => {
  const fake = new FakeAttempts({}, ["t1", "t2", "t3"]);
  const { done } = start([spec("t1"), spec("t2"), spec("t3")], fake, { maxTasks: 2 });
  await until(() => fake.holding("t1") && fake.holding("t2"), "two started");
  assert.deepEqual(fake.log, ["start t1#1", "start t2#1"]);
  fake.release("t2");
  await until(() => fake.holding("t3"), "t3 started");
  assert.deepEqual(fake.log, ["start t1#1", "start t2#1", "end t2#1", "start t3#1"]);
  fake.release("t1");
  fake.release("t3");
  assert.equal((await done).status, "completed");
});

Deno.test("executeRun: the context carries the attempt, timeout, outputs file and transitive upstream results", async () => {
  const fake = new FakeAttempts({
    a: [{ kind: "ok", stdout: "from a\n", outputs: { rows: "42" } }],
    b: [exit(2)],
  });
  const tasks = [
    spec("a"),
    spec("b", { dependsOn: ["a"] }),
    spec("c", { dependsOn: ["b"], condition: "all_done", timeoutMs: 1500 }),
    spec("other"),
  ];
  const r = await start(tasks, fake, { scheduledFor: 1_700_000_000_000 }).done;
  assert.equal(r.status, "failed");
  const ctx = fake.contexts.get("c#1")!;
  assert.equal(ctx.attempt, 1);
  assert.equal(ctx.runId, "run-1");
  assert.equal(ctx.job.id, "job");
  assert.equal(ctx.timeoutMs, 1500);
  assert.equal(ctx.scheduledFor, 1_700_000_000_000);
  assert.match(ctx.outputFile, /\/c\.1\.out$/);
  assert.ok(ctx.outputFile.startsWith(ctx.runDir));
  assert.deepEqual(ctx.baseEnv(), {});
  assert.deepEqual([...ctx.templates.tasks.keys()].sort(), ["a", "b"], "direct and transitive");
  assert.deepEqual(ctx.templates.tasks.get("a"), {
    status: "completed",
    stdout: "from a\n",
    exitCode: 0,
    outputs: { rows: "42" },
  });
  assert.deepEqual(ctx.templates.tasks.get("b"), {
    status: "failed",
    stdout: "",
    exitCode: 2,
    outputs: {},
  });
  assert.equal(fake.contexts.get("other#1")!.templates.tasks.size, 0);
  assert.deepEqual(r.tasks.get("a")?.outputs, { rows: "42" });
});

// ---- conditions ----

Deno.test("executeRun: conditions all_success, on_failure, all_done, and skips that propagate", async () => {
  const fake = new FakeAttempts({ bad: [exit(3)] });
  const tasks = [
    spec("ok"),
    spec("bad"),
    spec("on_fail", { dependsOn: ["bad"], condition: "on_failure" }),
    spec("on_fail_no_failure", { dependsOn: ["ok"], condition: "on_failure" }),
    spec("root_on_fail", { condition: "on_failure" }),
    spec("after_bad", { dependsOn: ["bad"] }),
    spec("chain", { dependsOn: ["after_bad"] }),
    spec("done_after_skip", { dependsOn: ["chain"], condition: "all_done" }),
    // YAML's `condition: always` loads as all_done.
    spec("always_after_bad", { dependsOn: ["bad", "ok"], condition: "all_done" }),
    spec("after_done", { dependsOn: ["done_after_skip"] }),
  ];
  const { done, events } = start(tasks, fake);
  const r = await done;
  assert.deepEqual(statuses(r), {
    ok: "completed",
    bad: "failed",
    on_fail: "completed",
    on_fail_no_failure: "skipped",
    root_on_fail: "skipped",
    after_bad: "skipped",
    chain: "skipped",
    done_after_skip: "completed",
    always_after_bad: "completed",
    after_done: "completed",
  });
  const ran = fake.log.filter((l) => l.startsWith("start ")).map((l) => l.slice(6)).sort();
  assert.deepEqual(ran, [
    "after_done#1",
    "always_after_bad#1",
    "bad#1",
    "done_after_skip#1",
    "ok#1",
    "on_fail#1",
  ]);
  assert.deepEqual(
    ofType(events, "task_skipped").map((e) => [e.task_id, e.reason]).sort(),
    [
      ["after_bad", 'dependency "bad" failed (condition all_success)'],
      ["chain", 'dependency "after_bad" skipped (condition all_success)'],
      ["on_fail_no_failure", "no dependency failed (condition on_failure)"],
      ["root_on_fail", "no dependency failed (condition on_failure)"],
    ],
  );
  for (const id of ["on_fail_no_failure", "root_on_fail", "after_bad", "chain"]) {
    assert.equal(r.tasks.get(id)?.attempts, 0, id);
  }
  assert.equal(r.tasks.get("bad")?.exitCode, 3);
  assert.equal(r.tasks.get("bad")?.error, "exit code 3");
  assert.equal(r.status, "failed");
  assert.equal(r.error, 'task "bad" failed: exit code 3');
});

Deno.test("executeRun: a run of completed and skipped tasks is completed", async () => {
  const tasks = [spec("ok"), spec("cleanup", { dependsOn: ["ok"], condition: "on_failure" })];
  const r = await start(tasks, new FakeAttempts()).done;
  assert.deepEqual(statuses(r), { ok: "completed", cleanup: "skipped" });
  assert.equal(r.status, "completed");
  assert.equal(r.error, null);
});

// ---- retries and timeouts ----

Deno.test("executeRun: retry counts per condition always, transient_only and never", async () => {
  const fake = new FakeAttempts({
    flaky: [exit(5), exit(6), exit(7)],
    second_time: [exit(1), OK],
    exit1: [exit(1)],
    slow: [TIMEOUT],
    missing: [{ kind: "start_error" }],
    never: [exit(1)],
  });
  const tasks = [
    spec("flaky", { retry: { maxAttempts: 2, condition: "always" } }),
    spec("second_time", { retry: { maxAttempts: 3 } }),
    spec("exit1", { retry: { maxAttempts: 2, condition: "transient_only" } }),
    spec("slow", { timeoutMs: 300, retry: { maxAttempts: 1, condition: "transient_only" } }),
    spec("missing", { retry: { maxAttempts: 1, condition: "transient_only" } }),
    spec("never", { retry: { maxAttempts: 3, condition: "never" } }),
  ];
  const { done, events } = start(tasks, fake);
  const r = await done;
  const attempts = (id: string) => fake.log.filter((l) => l.startsWith(`start ${id}#`)).length;
  assert.deepEqual(
    tasks.map((
      t,
    ) => [t.id, attempts(t.id), r.tasks.get(t.id)?.attempts, r.tasks.get(t.id)?.status]),
    [
      ["flaky", 3, 3, "failed"],
      ["second_time", 2, 2, "completed"],
      ["exit1", 1, 1, "failed"],
      ["slow", 2, 2, "failed"],
      ["missing", 2, 2, "failed"],
      ["never", 1, 1, "failed"],
    ],
  );
  assert.equal(r.tasks.get("flaky")?.exitCode, 7);
  assert.equal(r.tasks.get("flaky")?.error, "exit code 7");
  assert.equal(r.tasks.get("slow")?.error, "timed out after 300 ms");
  assert.deepEqual(
    // Sorted: how attempts of different tasks interleave is not the point here.
    ofType(events, "task_retrying").map((e) => [e.task_id, e.attempt, e.max, e.error]).sort(),
    [
      ["flaky", 1, 3, "exit code 5"],
      ["flaky", 2, 3, "exit code 6"],
      ["missing", 1, 2, "program not found: x"],
      ["second_time", 1, 4, "exit code 1"],
      ["slow", 1, 2, "timed out after 300 ms"],
    ],
  );
  assert.deepEqual(
    ofType(events, "task_failed").map((e) => [e.task_id, e.attempts, e.error]).sort(),
    [
      ["exit1", 1, "exit code 1"],
      ["flaky", 3, "exit code 7"],
      ["missing", 2, "program not found: x"],
      ["never", 1, "exit code 1"],
      ["slow", 2, "timed out after 300 ms"],
    ],
  );
});

Deno.test("executeRun: retry delays follow the backoff and are announced", async () => {
  const fake = new FakeAttempts({ exp: [exit(1)] });
  const tasks = [spec("exp", { retry: { maxAttempts: 3, delayMs: 5, backoff: "exponential" } })];
  const { done, events } = start(tasks, fake);
  const t0 = performance.now();
  const r = await done;
  assert.equal(r.tasks.get("exp")?.attempts, 4);
  assert.deepEqual(ofType(events, "task_retrying").map((e) => e.delay_ms), [5, 10, 20]);
  assert.ok(performance.now() - t0 >= 30, "waited 5 + 10 + 20 ms");
});

Deno.test("executeRun: a timed-out attempt fails the task with its timeout and skips dependents", async () => {
  const fake = new FakeAttempts({ slow: [TIMEOUT] });
  const tasks = [spec("slow", { timeoutMs: 250 }), spec("after", { dependsOn: ["slow"] })];
  const { done, events } = start(tasks, fake);
  const r = await done;
  assert.equal(fake.contexts.get("slow#1")?.timeoutMs, 250);
  assert.deepEqual(statuses(r), { slow: "failed", after: "skipped" });
  assert.equal(r.tasks.get("slow")?.error, "timed out after 250 ms");
  assert.equal(r.tasks.get("slow")?.exitCode, null);
  assert.equal(r.error, 'task "slow" failed: timed out after 250 ms');
  const [failed] = ofType(events, "task_failed");
  assert.equal(failed.error, "timed out after 250 ms");
  assert.equal(failed.exit_code, null);
});

Deno.test("executeRun: an attempt that throws fails as a transient 'could not start', without task_started", async () => {
  const fake = new FakeAttempts({ t: [{ kind: "throw", message: "boom" }, OK] });
  const tasks = [
    spec("t", { retry: { maxAttempts: 1, condition: "transient_only" } }),
    spec("once", { retry: { maxAttempts: 0 } }),
  ];
  const fail = new FakeAttempts({ once: [{ kind: "throw", message: "bad template" }] });
  const both: RunAttempt = (task, ctx) => (task.id === "t" ? fake : fail).run(task, ctx);
  const { done, events } = start(tasks, fake, { runAttempt: both });
  const r = await done;
  assert.deepEqual(statuses(r), { t: "completed", once: "failed" });
  assert.equal(r.tasks.get("t")?.attempts, 2);
  assert.equal(r.tasks.get("once")?.error, "could not start: bad template");
  assert.deepEqual(
    ofType(events, "task_retrying").map((e) => [e.task_id, e.error]),
    [["t", "could not start: boom"]],
  );
  assert.deepEqual(
    ofType(events, "task_started").map((e) => [e.task_id, e.attempt]),
    [["t", 2]],
  );
});

// ---- cancellation ----

Deno.test("executeRun: cancel ends the running attempt and cancels pending and queued tasks", async () => {
  const fake = new FakeAttempts({}, ["long"]);
  const controller = new AbortController();
  const tasks = [spec("long"), spec("after", { dependsOn: ["long"] }), spec("queued")];
  const { done, events } = start(tasks, fake, { signal: controller.signal, maxTasks: 1 });
  await until(() => fake.holding("long"), "long started");
  controller.abort();
  const r = await done;
  assert.deepEqual(fake.log, ["start long#1", "cancelled long#1"]);
  assert.deepEqual(statuses(r), { long: "cancelled", after: "cancelled", queued: "cancelled" });
  assert.deepEqual(
    tasks.map((t) => [t.id, r.tasks.get(t.id)?.attempts]),
    [["long", 1], ["after", 0], ["queued", 0]],
  );
  assert.equal(r.status, "cancelled");
  assert.equal(r.error, "cancelled");
  assert.deepEqual(
    ofType(events, "task_cancelled").map((e) => [e.task_id, e.attempts]).sort(),
    [["after", 0], ["long", 1], ["queued", 0]],
  );
  const last = events.at(-1)!;
  assert.ok(last.type === "job_completed" && last.status === "cancelled");
});

Deno.test("executeRun: cancel during a retry delay ends the task at once, with no further attempt", async () => {
  const fake = new FakeAttempts({ flaky: [exit(1)] });
  const controller = new AbortController();
  const tasks = [spec("flaky", { retry: { maxAttempts: 3, delayMs: 60_000 } })];
  const { done, events } = start(tasks, fake, { signal: controller.signal });
  await until(() => events.some((e) => e.type === "task_retrying"), "first attempt failed");
  const t0 = performance.now();
  controller.abort();
  const r = await done;
  assert.ok(performance.now() - t0 < 1000, "no 60 s wait");
  assert.deepEqual(fake.log, ["start flaky#1", "end flaky#1"]);
  assert.equal(r.tasks.get("flaky")?.status, "cancelled");
  assert.equal(r.tasks.get("flaky")?.attempts, 1);
  assert.equal(r.tasks.get("flaky")?.error, "cancelled");
  assert.equal(r.tasks.get("flaky")?.exitCode, 1);
  assert.equal(r.status, "cancelled");
});

Deno.test("executeRun: an already aborted signal starts nothing", async () => {
  const fake = new FakeAttempts();
  const tasks = [spec("a"), spec("b", { dependsOn: ["a"] })];
  const r = await start(tasks, fake, { signal: AbortSignal.abort() }).done;
  assert.deepEqual(fake.log, []);
  assert.deepEqual(statuses(r), { a: "cancelled", b: "cancelled" });
  assert.equal(r.status, "cancelled");
});

// ---- kept tasks (retry of a run) ----

Deno.test("executeRun: kept tasks are not run and their results reach dependents", async () => {
  const fake = new FakeAttempts();
  const tasks = [spec("a"), spec("b", { dependsOn: ["a"] }), spec("c")];
  const kept = new Map([
    ["a", { status: "completed" as const, stdout: "kept\n", exitCode: 0, outputs: { k: "v" } }],
  ]);
  const { done, events } = start(tasks, fake, { kept });
  const r = await done;
  assert.deepEqual(fake.log.filter((l) => l.startsWith("start ")), ["start b#1", "start c#1"]);
  assert.equal(r.tasks.get("a")?.attempts, 0);
  assert.equal(r.tasks.get("a")?.status, "completed");
  assert.deepEqual(fake.contexts.get("b#1")?.templates.tasks.get("a")?.outputs, { k: "v" });
  const [started] = ofType(events, "job_started");
  assert.deepEqual(started.kept_task_ids, ["a"]);
});
