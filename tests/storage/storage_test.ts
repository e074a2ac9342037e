import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { InMemoryStorage } from "../../src/storage/memory.ts";
import {
  defaultDbPath,
  migrate,
  MIGRATIONS,
  openStorage,
  PAGE_SIZE,
  SCHEMA_VERSION,
  SlotTakenError,
  SqliteStorage,
} from "../../src/storage/sqlite.ts";
import { decodeRunCursor, listRunPage } from "../../src/storage/run_page.ts";
import type { AttemptRecord, RunRecord, Storage, TaskRunRecord } from "../../src/storage/types.ts";

// ---- fixtures ----

function run(id: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    job_id: "job",
    status: "running",
    trigger: "manual",
    reason: null,
    scheduled_for: null,
    started_at: 1_000,
    ended_at: null,
    duration_ms: null,
    error: null,
    retry_of: null,
    owner: null,
    ...over,
  };
}

function task(runId: string, taskId: string, over: Partial<TaskRunRecord> = {}): TaskRunRecord {
  return {
    run_id: runId,
    task_id: taskId,
    status: "pending",
    attempts: 0,
    started_at: null,
    ended_at: null,
    duration_ms: null,
    exit_code: null,
    error: null,
    pgid: null,
    proc_start: null,
    ...over,
  };
}

function attempt(
  runId: string,
  taskId: string,
  n: number,
  over: Partial<AttemptRecord> = {},
): AttemptRecord {
  return {
    run_id: runId,
    task_id: taskId,
    attempt: n,
    started_at: 2_000 + n,
    ended_at: null,
    exit_code: null,
    error: null,
    stdout: "",
    stderr: "",
    stdout_truncated: false,
    stderr_truncated: false,
    stdout_bytes: 0,
    stderr_bytes: 0,
    ...over,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fresh SqliteStorage on a temp file; `done` closes and removes it. */
async function tempSqlite(
  options?: { batchMs?: number; busyTimeoutMs?: number },
): Promise<{ storage: SqliteStorage; path: string; dir: string; done: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "petit-storage-" });
  const path = `${dir}/petit.db`;
  const storage = new SqliteStorage(path, options);
  return {
    storage,
    path,
    dir,
    done: async () => {
      storage.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

// ---- the shared suite ----

type Factory = () => Promise<{ storage: Storage; done: () => Promise<void> }>;

const backends: [string, Factory][] = [
  ["memory", () => {
    const storage = new InMemoryStorage();
    return Promise.resolve({ storage, done: () => Promise.resolve() });
  }],
  ["sqlite file", () => tempSqlite()],
  ["sqlite file, batchMs 0", () => tempSqlite({ batchMs: 0 })],
  ["sqlite :memory:", () => {
    const storage = new SqliteStorage(":memory:");
    return Promise.resolve({ storage, done: () => Promise.resolve(storage.close()) });
  }],
];

for (const [name, make] of backends) {
  const test = (title: string, fn: (s: Storage) => void | Promise<void>) =>
    Deno.test(`${name}: ${title}`, async () => {
      const { storage, done } = await make();
      try {
        await fn(storage);
      } finally {
        await done();
      }
    });

  test("inserts, gets and updates runs", (s) => {
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

    assert.throws(() => s.updateRun("nope", { status: "failed" }), /no run nope/);
    assert.throws(() => s.insertRun(run("r1")), /already exists/);
    // A bad insert does not lose what was written before it.
    assert.equal(s.getRun("r1")?.status, "failed");
  });

  test("listRuns is newest first and filters", (s) => {
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

  test("listRuns pages with after through runs that share started_at, each run once", (s) => {
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

  test("listRunPage: next_cursor walks every run once and is null on the last page", (s) => {
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

  test("listRuns returns 50 by default and pages with before", (s) => {
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

  test("runningRuns lists running runs, optionally of one job", (s) => {
    s.insertRun(run("a1", { job_id: "a", started_at: 1 }));
    s.insertRun(run("a2", { job_id: "a", started_at: 2, status: "completed" }));
    s.insertRun(run("b1", { job_id: "b", started_at: 3 }));
    assert.deepEqual(s.runningRuns().map((r) => r.id), ["b1", "a1"]);
    assert.deepEqual(s.runningRuns("a").map((r) => r.id), ["a1"]);
    s.updateRun("a1", { status: "interrupted" });
    assert.deepEqual(s.runningRuns("a"), []);
    assert.deepEqual(s.runningRuns("nope"), []);
  });

  test("task runs keep insertion order and take updates", (s) => {
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
    assert.throws(() => s.updateTaskRun("nope", "zeta", { status: "failed" }), /no run nope/);
    assert.throws(() => s.upsertTaskRun(task("nope", "x")), /no run nope/);
    assert.deepEqual(s.listTaskRuns("nope"), []);
  });

  test("tasks of different runs do not mix", (s) => {
    s.insertRun(run("r1"));
    s.insertRun(run("r2"));
    s.upsertTaskRun(task("r1", "a"));
    s.upsertTaskRun(task("r2", "b"));
    s.upsertTaskRun(task("r1", "c"));
    assert.deepEqual(s.listTaskRuns("r1").map((t) => t.task_id), ["a", "c"]);
    assert.deepEqual(s.listTaskRuns("r2").map((t) => [t.run_id, t.task_id]), [["r2", "b"]]);
  });

  test("attempts round-trip logs and truncation flags", (s) => {
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
    assert.throws(() => s.upsertAttempt(attempt("nope", "t", 1)), /no run nope/);
  });

  test("outputs are set per task and replaced", (s) => {
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
    assert.throws(() => s.setOutputs("nope", "t1", { a: "1" }), /no run nope/);
  });

  test("events get increasing ids and replay after an id", (s) => {
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

  test("pruneRuns deletes older runs with their tasks, attempts and outputs", (s) => {
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

  test("one run per job and schedule slot", (s) => {
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

  test("records going in and coming out are copies", (s) => {
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
}

// ---- SQLite only ----

const url = (rel: string) => new URL(rel, import.meta.url);

Deno.test("sqlite: data survives close and reopen; parent dir is created", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-storage-" });
  const path = `${dir}/nested/deeper/petit.db`;
  try {
    const a = new SqliteStorage(path);
    a.insertRun(run("r1"));
    a.upsertTaskRun(task("r1", "t"));
    a.upsertAttempt(attempt("r1", "t", 1, { stdout: "log", stdout_truncated: true }));
    a.setOutputs("r1", "t", { k: "v" });
    const id = a.appendEvent({
      type: "x",
      at: 1,
      job_id: "job",
      run_id: "r1",
      task_id: "t",
      data: { a: 1 },
    });
    a.close(); // flushes the pending batch
    a.close(); // idempotent
    assert.throws(() => a.getRun("r1"), /closed/);

    const b = new SqliteStorage(path);
    try {
      assert.deepEqual(b.getRun("r1"), run("r1"));
      assert.equal(b.listTaskRuns("r1").length, 1);
      assert.equal(b.listAttempts("r1")[0].stdout_truncated, true);
      assert.deepEqual(b.getOutputs("r1", "t"), { k: "v" });
      assert.deepEqual(b.eventsAfter(0).map((e) => e.id), [id]);
      // Ids keep growing after reopen.
      const next = b.appendEvent({
        type: "y",
        at: 2,
        job_id: null,
        run_id: null,
        task_id: null,
        data: {},
      });
      assert.ok(next > id);
    } finally {
      b.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqlite: schema version, page size and WAL", async () => {
  const { storage, path, done } = await tempSqlite();
  try {
    storage.insertRun(run("r1"));
    storage.flush();
    const raw = new DatabaseSync(path);
    try {
      const pragma = (name: string) => raw.prepare(`PRAGMA ${name}`).get()?.[name];
      assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
      assert.equal(pragma("user_version"), MIGRATIONS.length);
      assert.equal(pragma("journal_mode"), "wal");
      assert.equal(pragma("page_size"), PAGE_SIZE);
      const walStat = await Deno.stat(`${path}-wal`);
      assert.ok(walStat.isFile);
    } finally {
      raw.close();
    }
  } finally {
    await done();
  }
});

Deno.test("sqlite: refuses a database newer than the code", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-storage-" });
  const path = `${dir}/petit.db`;
  try {
    new SqliteStorage(path).close();
    const raw = new DatabaseSync(path);
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(
      () => new SqliteStorage(path),
      {
        message: `database schema version ${
          SCHEMA_VERSION + 1
        } is newer than this Petit supports (${SCHEMA_VERSION})`,
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqlite: migrations apply in order and only once", () => {
  const db = new DatabaseSync(":memory:");
  try {
    assert.equal(migrate(db), SCHEMA_VERSION);
    let calls = 0;
    const more = [
      ...MIGRATIONS,
      "ALTER TABLE runs ADD COLUMN note TEXT",
      (d: DatabaseSync) => {
        calls++;
        d.exec("CREATE TABLE slot_claims (job_id TEXT NOT NULL, slot INTEGER NOT NULL)");
      },
    ];
    assert.equal(migrate(db, more), SCHEMA_VERSION + 2);
    assert.equal(migrate(db, more), SCHEMA_VERSION + 2);
    assert.equal(calls, 1);
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION + 2);
    // A failing migration leaves the version where it was.
    assert.throws(() => migrate(db, [...more, "CREATE TABLE runs (x)"]), /already exists/);
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION + 2);
  } finally {
    db.close();
  }
});

Deno.test("sqlite: two instances on one file see each other's writes after flush", async () => {
  const { storage: a, path, done } = await tempSqlite();
  const b = new SqliteStorage(path);
  try {
    a.insertRun(run("from-a"));
    a.flush();
    assert.equal(b.getRun("from-a")?.id, "from-a");

    b.insertRun(run("from-b"));
    b.upsertTaskRun(task("from-b", "t"));
    b.flush();
    assert.equal(a.listTaskRuns("from-b").length, 1);

    // Interleaved batches in one thread must not wait on each other's lock.
    const ea = a.appendEvent({
      type: "a",
      at: 1,
      job_id: null,
      run_id: null,
      task_id: null,
      data: {},
    });
    const eb = b.appendEvent({
      type: "b",
      at: 2,
      job_id: null,
      run_id: null,
      task_id: null,
      data: {},
    });
    const ea2 = a.appendEvent({
      type: "a",
      at: 3,
      job_id: null,
      run_id: null,
      task_id: null,
      data: {},
    });
    assert.ok(ea < eb && eb < ea2);
    a.flush();
    b.flush();
    assert.deepEqual(b.eventsAfter(0).map((e) => e.type), ["a", "b", "a"]);
  } finally {
    b.close();
    await done();
  }
});

Deno.test("sqlite: a slot taken by another instance throws SlotTakenError", async () => {
  const { storage: a, path, done } = await tempSqlite();
  const b = new SqliteStorage(path);
  try {
    a.insertRun(run("a", { scheduled_for: 60_000 }));
    assert.throws(() => b.insertRun(run("b", { scheduled_for: 60_000 })), SlotTakenError);
    b.insertRun(run("b", { scheduled_for: 120_000 }));
  } finally {
    b.close();
    await done();
  }
});

Deno.test("sqlite: a second process writes while this one reads and writes", async () => {
  const { storage, path, done } = await tempSqlite();
  const code = `
    import { SqliteStorage } from ${JSON.stringify(url("../../src/storage/sqlite.ts").href)};
    const s = new SqliteStorage(${JSON.stringify(path)});
    for (let i = 0; i < 30; i++) {
      s.insertRun({
        id: "child-" + i, job_id: "child", status: "completed", trigger: "manual", reason: null,
        scheduled_for: null, started_at: i, ended_at: null, duration_ms: null, error: null,
        retry_of: null,
        owner: null,
      });
      s.upsertTaskRun({
        run_id: "child-" + i, task_id: "t", status: "completed", attempts: 1, started_at: i,
        ended_at: i, duration_ms: 0, exit_code: 0, error: null, pgid: null, proc_start: null,
      });
      s.appendEvent({ type: "child", at: i, job_id: "child", run_id: null, task_id: null, data: {} });
      if (i % 3 === 0) s.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
    // No flush or close: the unref'd timer must not keep the process alive, and the
    // pending batch must still be committed when it exits.
    s.insertRun({
      id: "child-last", job_id: "child-last", status: "completed", trigger: "manual",
      reason: null, scheduled_for: null, started_at: 99, ended_at: null, duration_ms: null,
      error: null, retry_of: null, owner: null,
    });
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--allow-read", "--allow-write", code],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    let seenMax = 0;
    let mine = 0;
    let finished = false;
    const status = child.output().then((out) => {
      finished = true;
      return out;
    });
    while (!finished) {
      storage.insertRun(run(`parent-${mine++}`, { job_id: "parent" }));
      // The read commits the batch: a writer that never lets go of the lock would starve
      // the child (SQLite's busy wait polls, it does not queue).
      const seen = storage.listRuns({ job_id: "child", limit: 100 }).length;
      assert.ok(seen >= seenMax, "runs never disappear");
      seenMax = seen;
      await sleep(5);
    }
    const out = await status;
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(storage.listRuns({ job_id: "child", limit: 100 }).length, 30);
    assert.equal(storage.listTaskRuns("child-29").length, 1);
    assert.equal(storage.getRun("child-last")?.id, "child-last");
    assert.equal(storage.listRuns({ job_id: "parent", limit: 100_000 }).length, mine);
    const eventIds = storage.eventsAfter(0).map((e) => e.id);
    assert.equal(eventIds.length, 30);
    assert.equal(new Set(eventIds).size, 30);
  } finally {
    await done();
  }
});

Deno.test("sqlite: batched writes are visible to others after flush or the timer", async () => {
  const { storage: a, path, done } = await tempSqlite({ batchMs: 30 });
  const b = new SqliteStorage(path);
  try {
    a.insertRun(run("r1"));
    assert.equal(b.getRun("r1"), null, "not committed yet");
    assert.equal(a.getRun("r1")?.id, "r1", "read-your-writes (and the read commits)");
    assert.equal(b.getRun("r1")?.id, "r1");

    a.insertRun(run("r2"));
    assert.equal(b.getRun("r2"), null);
    a.flush();
    assert.equal(b.getRun("r2")?.id, "r2");

    a.insertRun(run("r3"));
    assert.equal(b.getRun("r3"), null);
    await sleep(120); // the batch timer commits by itself
    assert.equal(b.getRun("r3")?.id, "r3");

    a.insertRun(run("r4"));
    a.close(); // commits the pending batch
    assert.equal(b.getRun("r4")?.id, "r4");
  } finally {
    b.close();
    await done();
  }
});

Deno.test("sqlite: batchMs 0 commits every write at once", async () => {
  const { storage: a, path, done } = await tempSqlite({ batchMs: 0 });
  const b = new SqliteStorage(path);
  try {
    a.insertRun(run("r1"));
    assert.equal(b.getRun("r1")?.id, "r1");
    a.upsertTaskRun(task("r1", "t"));
    assert.equal(b.listTaskRuns("r1").length, 1);
    assert.throws(() => a.upsertTaskRun(task("nope", "t")), /no run nope/);
    a.appendEvent({ type: "x", at: 1, job_id: null, run_id: null, task_id: null, data: {} });
    assert.equal(b.eventsAfter(0).length, 1);
  } finally {
    b.close();
    await done();
  }
});

Deno.test("sqlite: a writer locked out past busy_timeout gets a clear error", async () => {
  const { storage, path, done } = await tempSqlite({ busyTimeoutMs: 50 });
  const raw = new DatabaseSync(path);
  try {
    raw.exec("BEGIN IMMEDIATE");
    assert.throws(() => storage.insertRun(run("r1")), /locked by another writer for over 50 ms/);
    raw.exec("COMMIT");
    storage.insertRun(run("r1"));
    assert.equal(storage.getRun("r1")?.id, "r1");
  } finally {
    raw.close();
    await done();
  }
});

Deno.test("sqlite: reads among 100,000 runs are fast", async () => {
  const { storage, path, done } = await tempSqlite();
  try {
    storage.close();
    // Bulk-load through a raw connection: this test is about reads.
    const raw = new DatabaseSync(path);
    raw.exec("BEGIN");
    const ins = raw.prepare(
      "INSERT INTO runs (id, job_id, status, trigger, started_at) VALUES (?, ?, ?, 'schedule', ?)",
    );
    for (let i = 0; i < 100_000; i++) {
      ins.run(`run-${i}`, `job-${i % 20}`, i >= 99_980 ? "running" : "completed", i);
    }
    raw.exec("COMMIT");
    raw.close();

    const s = new SqliteStorage(path);
    const time = <T>(label: string, fn: () => T): T => {
      fn(); // warm the statement and page caches
      const rounds = 20;
      const t0 = performance.now();
      let out = fn();
      for (let i = 1; i < rounds; i++) out = fn();
      const each = (performance.now() - t0) / rounds;
      assert.ok(each < 5, `${label} took ${each.toFixed(2)} ms`);
      return out;
    };
    try {
      const ofJob = time("listRuns(job)", () => s.listRuns({ job_id: "job-7", limit: 50 }));
      assert.equal(ofJob.length, 50);
      assert.equal(ofJob[0].id, "run-99987");
      const page = time(
        "listRuns(job, before)",
        () => s.listRuns({ job_id: "job-7", before: 50_000, limit: 50 }),
      );
      assert.equal(page[0].id, "run-49987");
      const next = time(
        "listRuns(job, after)",
        () => s.listRuns({ job_id: "job-7", after: page.at(-1)!, limit: 50 }),
      );
      assert.equal(next[0].id, "run-48987");
      const deep = time(
        "listRuns(after)",
        () => s.listRuns({ after: { started_at: 20_000, id: "run-20000" }, limit: 50 }),
      );
      assert.equal(deep[0].id, "run-19999");
      assert.equal(time("listRuns()", () => s.listRuns()).length, 50);
      assert.equal(time("runningRuns(job)", () => s.runningRuns("job-7")).length, 1);
      assert.equal(time("runningRuns()", () => s.runningRuns()).length, 20);
    } finally {
      s.close();
    }
  } finally {
    await done();
  }
});

Deno.test("defaultDbPath follows XDG_DATA_HOME, then HOME", () => {
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  assert.equal(
    defaultDbPath(env({ XDG_DATA_HOME: "/data", HOME: "/home/pi" })),
    "/data/petit/petit.db",
  );
  assert.equal(defaultDbPath(env({ HOME: "/home/pi/" })), "/home/pi/.local/share/petit/petit.db");
  assert.equal(
    defaultDbPath(env({ XDG_DATA_HOME: "relative", HOME: "/home/pi" })),
    "/home/pi/.local/share/petit/petit.db",
  );
  assert.throws(() => defaultDbPath(env({})), /HOME/);
});

Deno.test("openStorage picks memory for :memory:, SQLite otherwise", async () => {
  const mem = openStorage(":memory:");
  assert.ok(mem instanceof InMemoryStorage);
  mem.close();
  const dir = await Deno.makeTempDir({ prefix: "petit-storage-" });
  try {
    const s = openStorage(`${dir}/x.db`);
    assert.ok(s instanceof SqliteStorage);
    s.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStorage create: false: a missing file is NotFound and nothing is created", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-storage-" });
  const names = async () => (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
  try {
    for (const path of [`${dir}/x.db`, `${dir}/sub/x.db`]) {
      assert.throws(
        () => new SqliteStorage(path, { create: false }),
        (err: unknown) => err instanceof Deno.errors.NotFound && err.message.includes(path),
      );
    }
    assert.deepEqual(await names(), []);

    const writer = new SqliteStorage(`${dir}/x.db`);
    writer.insertRun(run("r1"));
    writer.close();
    const reader = openStorage(`${dir}/x.db`, { create: false });
    assert.equal(reader.getRun("r1")?.id, "r1");
    reader.close();
    assert.deepEqual(await names(), ["x.db"], "no -wal or -shm file left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
