/**
 * The storage contract, part one: runs, their listing and paging, slots and pruning, over
 * every backend (see `backends.ts`). Tasks, attempts, outputs and events are in
 * `storage_records_test.ts`; what only SQLite does is under `sqlite/`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { RunExistsError, RunNotFoundError, SlotTakenError } from "../../src/storage/errors.ts";
import { decodeRunCursor, listRunPage } from "../../src/storage/run_page.ts";
import type { Storage } from "../../src/storage/types.ts";
import { attempt, contractTest, run, task } from "./backends.ts";

contractTest("inserts, gets and updates runs", (s) => {
  s.insertRun(run("r1", { reason: "because", retry_of: "r0", scheduled_for: 900 }));
  assert.deepEqual(
    s.getRun("r1"),
    run("r1", { reason: "because", retry_of: "r0", scheduled_for: 900 }),
  );
  assert.equal(s.getRun("nope"), null);

  s.updateRun("r1", {
    status: "failed",
    ended_at: 1_500,
    duration_ms: 500,
    error: "boom",
    reason: undefined, // undefined leaves the field alone
  });
  assert.deepEqual(
    s.getRun("r1"),
    run("r1", {
      reason: "because",
      retry_of: "r0",
      scheduled_for: 900,
      status: "failed",
      ended_at: 1_500,
      duration_ms: 500,
      error: "boom",
    }),
  );
  s.updateRun("r1", { error: null, reason: null });
  assert.equal(s.getRun("r1")?.error, null);
  assert.equal(s.getRun("r1")?.reason, null);
  s.updateRun("r1", {}); // an empty patch is fine for a known run

  assert.throws(() => s.updateRun("nope", { status: "failed" }), RunNotFoundError);
  assert.throws(() => s.insertRun(run("r1")), RunExistsError);
  // A bad insert does not lose what was written before it.
  assert.equal(s.getRun("r1")?.status, "failed");
});

contractTest("a run keeps its params and parent run; none read as {} and null", (s) => {
  const params = { day: "2026-03-01", note: 'a "quoted" value, unicode: é' };
  s.insertRun(run("child", { trigger: "parent", params, parent_run_id: "parent" }));
  s.insertRun(run("plain", { params: undefined, parent_run_id: undefined }));
  s.flush();
  assert.deepEqual(
    s.getRun("child"),
    run("child", { trigger: "parent", params, parent_run_id: "parent" }),
  );
  assert.deepEqual(s.getRun("plain")?.params, {});
  assert.equal(s.getRun("plain")?.parent_run_id, null);
  s.updateRun("child", { status: "completed", ended_at: 2_000 });
  assert.deepEqual(s.getRun("child")?.params, params);
  assert.deepEqual(s.listRuns({ job_id: "job" }).map((r) => [r.id, r.params]), [
    ["plain", {}],
    ["child", params],
  ]);
});

contractTest("unknown and duplicate run ids throw RunNotFoundError and RunExistsError", (s) => {
  s.insertRun(run("r1"));
  const thrown = (fn: () => void): unknown => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    assert.fail("expected an error");
  };

  for (const write of [() => s.updateRun("nope", {}), () => s.upsertTaskRun(task("nope", "t"))]) {
    const err = thrown(write);
    assert.ok(err instanceof RunNotFoundError, String(err));
    assert.equal(err.name, "RunNotFoundError");
    assert.equal(err.runId, "nope");
    assert.equal(err.message, "no run nope");
  }

  const err = thrown(() => s.insertRun(run("r1")));
  assert.ok(err instanceof RunExistsError, String(err));
  assert.equal(err.name, "RunExistsError");
  assert.equal(err.runId, "r1");
  assert.equal(err.message, "run r1 already exists");
});

contractTest("listRuns is newest first and filters", (s) => {
  s.insertRun(run("a1", { job_id: "a", started_at: 100, status: "completed" }));
  s.insertRun(run("a2", { job_id: "a", started_at: 300, status: "failed" }));
  s.insertRun(run("b1", { job_id: "b", started_at: 200, status: "completed" }));
  s.insertRun(run("a3", { job_id: "a", started_at: 300, status: "completed" })); // tie: id breaks it
  s.insertRun(run("b2", { job_id: "b", started_at: 400 }));
  const ids = (q?: Parameters<Storage["listRuns"]>[0]) => s.listRuns(q).map((r) => r.id);

  assert.deepEqual(ids(), ["b2", "a3", "a2", "b1", "a1"]);
  assert.deepEqual(ids({ job_id: "a" }), ["a3", "a2", "a1"]);
  assert.deepEqual(ids({ status: "completed" }), ["a3", "b1", "a1"]);
  assert.deepEqual(ids({ job_id: "a", status: "completed" }), ["a3", "a1"]);
  assert.deepEqual(ids({ before: 300 }), ["b1", "a1"]); // strictly before
  assert.deepEqual(ids({ job_id: "a", before: 301, limit: 1 }), ["a3"]);
  assert.deepEqual(ids({ limit: 2 }), ["b2", "a3"]);
  assert.deepEqual(ids({ limit: 0 }), []);
  assert.deepEqual(ids({ job_id: "zzz" }), []);
});

contractTest("listRuns pages with after through runs that share started_at, each run once", (s) => {
  // 40 parallel triggers in one millisecond, between two other runs; another job's run
  // at the same instant must stay out.
  const ties = Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, "0")}`);
  for (const id of ties) s.insertRun(run(id, { started_at: 5_000 }));
  s.insertRun(run("newer", { started_at: 6_000 }));
  s.insertRun(run("older", { started_at: 4_000 }));
  s.insertRun(run("other", { job_id: "other", started_at: 5_000 }));
  const expected = ["newer", ...[...ties].reverse(), "older"];

  // Paging by before = started_at loses the 34 ties that did not fit on page one.
  const first = s.listRuns({ job_id: "job", limit: 7 });
  const byBefore = s.listRuns({ job_id: "job", before: first.at(-1)!.started_at });
  assert.deepEqual(byBefore.map((r) => r.id), ["older"]);

  for (const limit of [1, 7, 41, 42, 100]) {
    const seen: string[] = [];
    let page = s.listRuns({ job_id: "job", limit });
    while (page.length > 0) {
      seen.push(...page.map((r) => r.id));
      assert.ok(seen.length <= expected.length, `runs repeat at limit ${limit}: ${seen}`);
      page = s.listRuns({ job_id: "job", limit, after: page.at(-1)! });
    }
    assert.deepEqual(seen, expected, `limit ${limit}`);
  }
  // A position that is not a stored run works too, and combines with the filters.
  assert.deepEqual(
    s.listRuns({ job_id: "job", after: { started_at: 5_000, id: "t05x" } }).map((r) => r.id),
    ["t05", "t04", "t03", "t02", "t01", "t00", "older"],
  );
  s.updateRun("t03", { status: "failed" });
  s.updateRun("older", { status: "failed" });
  assert.deepEqual(
    s.listRuns({ status: "failed", after: { started_at: 5_000, id: "t04" } }).map((r) => r.id),
    ["t03", "older"],
  );
  assert.deepEqual(s.listRuns({ after: { started_at: 5_000, id: "t00" }, before: 4_000 }), []);
  // Across jobs the other job's run takes its place among the ties ("other" < "t00").
  assert.deepEqual(
    s.listRuns({ after: { started_at: 5_000, id: "t01" } }).map((r) => r.id),
    ["t00", "other", "older"],
  );
});

contractTest("listRunPage: next_cursor walks every run once and is null on the last page", (s) => {
  const ties = Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, "0")}`);
  for (const id of ties) s.insertRun(run(id, { started_at: 5_000 }));
  s.insertRun(run("newer", { started_at: 6_000 }));
  s.insertRun(run("older", { started_at: 4_000 }));
  const expected = ["newer", ...[...ties].reverse(), "older"];

  // 42 runs: at limit 7, six full pages, and the sixth says it is the last (no empty one).
  for (const limit of [1, 5, 7, 42, 50]) {
    const seen: string[] = [];
    const counts: number[] = [];
    let page = listRunPage(s, { limit });
    for (;;) {
      seen.push(...page.runs.map((r) => r.id));
      counts.push(page.runs.length);
      assert.ok(seen.length <= expected.length, `runs repeat at limit ${limit}: ${seen}`);
      if (page.next_cursor === null) break;
      assert.match(page.next_cursor, /^[A-Za-z0-9_-]+$/);
      page = listRunPage(s, { limit, after: decodeRunCursor(page.next_cursor) });
    }
    assert.deepEqual(seen, expected, `limit ${limit}`);
    assert.equal(counts.length, Math.ceil(42 / limit), `pages at limit ${limit}`);
    assert.ok(counts.every((n) => n > 0), `no empty page at limit ${limit}`);
  }
  assert.deepEqual(listRunPage(s, { job_id: "nope" }), { runs: [], next_cursor: null });
  assert.equal(listRunPage(s).runs.length, 42);
  assert.equal(listRunPage(s).next_cursor, null);
});

contractTest("listRuns returns 50 by default and pages with before", (s) => {
  for (let i = 0; i < 60; i++) s.insertRun(run(`r${i}`, { started_at: i }));
  const first = s.listRuns();
  assert.equal(first.length, 50);
  assert.equal(first[0].id, "r59");
  const rest = s.listRuns({ before: first[first.length - 1].started_at });
  assert.deepEqual(rest.map((r) => r.id), [
    "r9",
    "r8",
    "r7",
    "r6",
    "r5",
    "r4",
    "r3",
    "r2",
    "r1",
    "r0",
  ]);
});

contractTest("runningRuns lists running runs, optionally of one job", (s) => {
  s.insertRun(run("a1", { job_id: "a", started_at: 1 }));
  s.insertRun(run("a2", { job_id: "a", started_at: 2, status: "completed" }));
  s.insertRun(run("b1", { job_id: "b", started_at: 3 }));
  assert.deepEqual(s.runningRuns().map((r) => r.id), ["b1", "a1"]);
  assert.deepEqual(s.runningRuns("a").map((r) => r.id), ["a1"]);
  s.updateRun("a1", { status: "interrupted" });
  assert.deepEqual(s.runningRuns("a"), []);
  assert.deepEqual(s.runningRuns("nope"), []);
});

contractTest("pruneRuns deletes older runs with their tasks, attempts and outputs", (s) => {
  for (let i = 1; i <= 5; i++) {
    const id = `r${i}`;
    s.insertRun(run(id, { started_at: i * 10, status: "completed", scheduled_for: i }));
    s.upsertTaskRun(task(id, "t"));
    s.upsertAttempt(attempt(id, "t", 1, { stdout: "out" }));
    s.setOutputs(id, "t", { k: "v" });
  }
  s.insertRun(run("old-but-running", { started_at: 1, status: "running" }));
  s.insertRun(run("other", { job_id: "other", started_at: 0, status: "completed" }));

  assert.equal(s.pruneRuns("job", 2), 3);
  assert.deepEqual(s.listRuns({ job_id: "job" }).map((r) => r.id), [
    "r5",
    "r4",
    "old-but-running",
  ]);
  for (const id of ["r1", "r2", "r3"]) {
    assert.equal(s.getRun(id), null);
    assert.deepEqual(s.listTaskRuns(id), []);
    assert.deepEqual(s.listAttempts(id), []);
    assert.deepEqual(s.getOutputs(id, "t"), {});
  }
  assert.equal(s.listTaskRuns("r5").length, 1);
  assert.equal(s.listAttempts("r4")[0].stdout, "out");
  assert.deepEqual(s.getOutputs("r4", "t"), { k: "v" });
  assert.ok(s.getRun("other"));
  // A pruned slot can be taken again.
  s.insertRun(run("again", { scheduled_for: 1, started_at: 60 }));
  assert.equal(s.pruneRuns("job", 10), 0);
  assert.equal(s.pruneRuns("nope", 0), 0);
});

contractTest("one run per job and schedule slot", (s) => {
  s.insertRun(run("before")); // batched write that must survive the refused insert
  s.insertRun(run("s1", { scheduled_for: 5_000, trigger: "schedule" }));
  let caught: unknown;
  try {
    s.insertRun(run("s2", { scheduled_for: 5_000, trigger: "schedule" }));
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SlotTakenError, String(caught));
  assert.equal(caught.jobId, "job");
  assert.equal(caught.scheduledFor, 5_000);
  assert.equal(caught.name, "SlotTakenError");

  // Other jobs, other slots and unscheduled runs are fine.
  s.insertRun(run("o1", { job_id: "other", scheduled_for: 5_000 }));
  s.insertRun(run("s3", { scheduled_for: 6_000 }));
  s.insertRun(run("m1"));
  s.insertRun(run("m2"));
  assert.throws(() => s.updateRun("s3", { scheduled_for: 5_000 }), SlotTakenError);
  s.flush();
  assert.equal(s.getRun("s2"), null);
  assert.deepEqual(
    s.listRuns().map((r) => r.id).sort(),
    ["before", "m1", "m2", "o1", "s1", "s3"],
  );
  assert.equal(s.getRun("s3")?.scheduled_for, 6_000);
});
