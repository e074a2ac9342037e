/**
 * The storage contract, part two: the records that hang off a run (tasks, attempts,
 * outputs), events, and copying in and out, over every backend (see `backends.ts`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { RunNotFoundError } from "../../src/storage/errors.ts";
import { attempt, contractTest, run, task } from "./backends.ts";

contractTest("task runs keep insertion order and take updates", (s) => {
  s.insertRun(run("r1"));
  for (const id of ["zeta", "alpha", "mid"]) s.upsertTaskRun(task("r1", id));
  assert.deepEqual(s.listTaskRuns("r1").map((t) => t.task_id), ["zeta", "alpha", "mid"]);

  // Upserting an existing task replaces it in place.
  s.upsertTaskRun(task("r1", "zeta", { status: "running", attempts: 1, pgid: 42 }));
  s.updateTaskRun("r1", "alpha", {
    status: "completed",
    attempts: 2,
    started_at: 10,
    ended_at: 20,
    duration_ms: 10,
    exit_code: 0,
    proc_start: "12345",
    error: undefined,
  });
  s.updateTaskRun("r1", "mid", {}); // empty patch, known task
  const tasks = s.listTaskRuns("r1");
  assert.deepEqual(tasks.map((t) => t.task_id), ["zeta", "alpha", "mid"]);
  assert.deepEqual(tasks[0], task("r1", "zeta", { status: "running", attempts: 1, pgid: 42 }));
  assert.deepEqual(
    tasks[1],
    task("r1", "alpha", {
      status: "completed",
      attempts: 2,
      started_at: 10,
      ended_at: 20,
      duration_ms: 10,
      exit_code: 0,
      proc_start: "12345",
    }),
  );
  assert.deepEqual(tasks[2], task("r1", "mid"));

  assert.throws(() => s.updateTaskRun("r1", "nope", { status: "failed" }), /no task nope/);
  assert.throws(() => s.updateTaskRun("nope", "zeta", { status: "failed" }), RunNotFoundError);
  assert.throws(() => s.upsertTaskRun(task("nope", "x")), RunNotFoundError);
  assert.deepEqual(s.listTaskRuns("nope"), []);
});

contractTest("tasks of different runs do not mix", (s) => {
  s.insertRun(run("r1"));
  s.insertRun(run("r2"));
  s.upsertTaskRun(task("r1", "a"));
  s.upsertTaskRun(task("r2", "b"));
  s.upsertTaskRun(task("r1", "c"));
  assert.deepEqual(s.listTaskRuns("r1").map((t) => t.task_id), ["a", "c"]);
  assert.deepEqual(s.listTaskRuns("r2").map((t) => [t.run_id, t.task_id]), [["r2", "b"]]);
});

contractTest("attempts round-trip logs and truncation flags", (s) => {
  s.insertRun(run("r1"));
  const big = "x".repeat(20_000) + "\n✓ ünïcödé 🚀";
  s.upsertAttempt(attempt("r1", "t1", 1));
  s.upsertAttempt(
    attempt("r1", "t1", 1, {
      ended_at: 2_100,
      exit_code: 1,
      error: "exit 1",
      stdout: big,
      stderr: "warn\n",
      stdout_truncated: true,
      stdout_bytes: 99_999,
      stderr_bytes: 5,
    }),
  );
  s.upsertAttempt(attempt("r1", "t1", 2, { exit_code: 0, stderr_truncated: true }));
  s.upsertAttempt(attempt("r1", "t0", 1, { started_at: 1_500 }));

  const all = s.listAttempts("r1");
  assert.deepEqual(all.map((a) => [a.task_id, a.attempt]), [["t0", 1], ["t1", 1], ["t1", 2]]);
  assert.deepEqual(
    all[1],
    attempt("r1", "t1", 1, {
      ended_at: 2_100,
      exit_code: 1,
      error: "exit 1",
      stdout: big,
      stderr: "warn\n",
      stdout_truncated: true,
      stdout_bytes: 99_999,
      stderr_bytes: 5,
    }),
  );
  assert.equal(all[2].stdout_truncated, false);
  assert.equal(all[2].stderr_truncated, true);
  assert.deepEqual(s.listAttempts("r1", "t1").map((a) => a.attempt), [1, 2]);
  assert.deepEqual(s.listAttempts("r1", "nope"), []);
  assert.deepEqual(s.listAttempts("nope"), []);
  assert.throws(() => s.upsertAttempt(attempt("nope", "t", 1)), RunNotFoundError);
});

contractTest("outputs are set per task and replaced", (s) => {
  s.insertRun(run("r1"));
  s.setOutputs("r1", "t1", { b: "2", a: "1", empty: "" });
  s.setOutputs("r1", "t2", { other: "x" });
  assert.deepEqual(s.getOutputs("r1", "t1"), { a: "1", b: "2", empty: "" });
  s.setOutputs("r1", "t1", { c: "3" });
  assert.deepEqual(s.getOutputs("r1", "t1"), { c: "3" });
  assert.deepEqual(s.getOutputs("r1", "t2"), { other: "x" });
  s.setOutputs("r1", "t2", {});
  assert.deepEqual(s.getOutputs("r1", "t2"), {});
  assert.deepEqual(s.getOutputs("nope", "t1"), {});
  assert.throws(() => s.setOutputs("nope", "t1", { a: "1" }), RunNotFoundError);
});

contractTest("events get increasing ids and replay after an id", (s) => {
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push(s.appendEvent({
      type: i === 0 ? "job_started" : "task_completed",
      at: 100 + i,
      job_id: "job",
      run_id: "r1",
      task_id: i === 0 ? null : `t${i}`,
      data: { i, nested: { list: [1, "two", null], ok: true } },
    }));
  }
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1]);

  const all = s.eventsAfter(0);
  assert.deepEqual(all.map((e) => e.id), ids);
  assert.deepEqual(all[0], {
    id: ids[0],
    type: "job_started",
    at: 100,
    job_id: "job",
    run_id: "r1",
    task_id: null,
    data: { i: 0, nested: { list: [1, "two", null], ok: true } },
  });
  assert.deepEqual(s.eventsAfter(ids[2]).map((e) => e.id), ids.slice(3));
  assert.deepEqual(s.eventsAfter(ids[0], 2).map((e) => e.id), ids.slice(1, 3));
  assert.deepEqual(s.eventsAfter(ids[4]), []);
  assert.deepEqual(s.eventsAfter(0, 0), []);

  const global = s.appendEvent({
    type: "scheduler_started",
    at: 1,
    job_id: null,
    run_id: null,
    task_id: null,
    data: {},
  });
  assert.ok(global > ids[4]);
  assert.deepEqual(s.eventsAfter(ids[4])[0].data, {});
});

contractTest("records going in and coming out are copies", (s) => {
  const r = run("r1");
  s.insertRun(r);
  r.status = "failed";
  const got = s.getRun("r1");
  assert.ok(got);
  got.status = "cancelled";
  s.listRuns()[0].job_id = "hacked";
  assert.deepEqual(s.getRun("r1"), run("r1"));

  const t = task("r1", "t");
  s.upsertTaskRun(t);
  t.status = "failed";
  s.listTaskRuns("r1")[0].status = "failed";
  assert.equal(s.listTaskRuns("r1")[0].status, "pending");

  const a = attempt("r1", "t", 1, { stdout: "hi" });
  s.upsertAttempt(a);
  a.stdout = "changed";
  s.listAttempts("r1")[0].stdout = "changed";
  assert.equal(s.listAttempts("r1")[0].stdout, "hi");

  const outputs = { k: "v" };
  s.setOutputs("r1", "t", outputs);
  outputs.k = "changed";
  s.getOutputs("r1", "t").k = "changed";
  assert.deepEqual(s.getOutputs("r1", "t"), { k: "v" });

  const data = { nested: { n: 1 } };
  s.appendEvent({ type: "x", at: 1, job_id: null, run_id: null, task_id: null, data });
  data.nested.n = 2;
  (s.eventsAfter(0)[0].data.nested as { n: number }).n = 3;
  assert.deepEqual(s.eventsAfter(0)[0].data, { nested: { n: 1 } });
});
