/**
 * Group commit across connections and processes: when writes become visible, siblings in
 * one process, a second process writing at the same time, a lock held too long, and a
 * full database (writes kept in memory and committed once space is back).
 *
 * @module
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  RunNotFoundError,
  SlotTakenError,
  WritesNotCommittedError,
} from "../../../src/storage/errors.ts";
import { SqliteStorage } from "../../../src/storage/sqlite/mod.ts";
import type { WriteHealth } from "../../../src/storage/types.ts";
import { attempt, run, sleep, task, tempSqlite } from "../backends.ts";
import { FullDb } from "../full_db.ts";
import { scaled } from "../../time_scale.ts";

const url = (rel: string) => new URL(rel, import.meta.url);

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
    import { SqliteStorage } from ${JSON.stringify(url("../../../src/storage/sqlite/mod.ts").href)};
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
    assert.throws(() => a.upsertTaskRun(task("nope", "t")), RunNotFoundError);
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

/**
 * Writes a run healthy, takes the rest of the capped file with filler, then writes runs
 * (each with a task and an attempt) until a flush fails; returns the ids of the latter.
 */
function writeUntilFull(db: FullDb, storage: SqliteStorage, prefix: string): string[] {
  storage.insertRun(run(`${prefix}-ok`));
  storage.flush();
  db.fill(db.pages() + 200);
  const ids: string[] = [];
  for (let i = 0; i < 200; i++) {
    const id = `${prefix}${i}`;
    ids.push(id);
    storage.insertRun(run(id, { scheduled_for: 60_000 * (i + 1) }));
    storage.upsertTaskRun(task(id, "t"));
    storage.upsertAttempt(attempt(id, "t", 1, { stdout: "x".repeat(300) }));
    try {
      storage.flush();
    } catch (err) {
      assert.ok(err instanceof WritesNotCommittedError, String(err));
      return ids;
    }
  }
  throw new Error("the capped database never filled up");
}

/**
 * Flushes until the kept writes commit. A replay waits 500 ms after the previous one, or 20
 * times its duration when longer (an emulated machine's): poll rather than guess that time.
 */
async function flushOnceSpaceIsBack(storage: SqliteStorage): Promise<void> {
  const deadline = Date.now() + scaled(10_000);
  for (;;) {
    await sleep(100);
    try {
      storage.flush();
      return;
    } catch (err) {
      if (!(err instanceof WritesNotCommittedError) || Date.now() > deadline) throw err;
    }
  }
}

Deno.test("sqlite: writes a full database refuses are kept, then committed once space is back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-full-" });
  const db = new FullDb(`${dir}/petit.db`);
  const storage = db.open(100);
  const health: WriteHealth[] = [];
  storage.watchWrites((h) => health.push(h));
  try {
    const ids = writeUntilFull(db, storage, "r");
    assert.deepEqual(health.map((h) => h.state), ["failing"], "told once");
    // The run whose claim failed was rolled back by SQLite, yet its writes are kept: later
    // writes for it queue behind it instead of failing with "no run …".
    const last = ids.at(-1)!;
    storage.updateTaskRun(last, "t", { status: "completed", exit_code: 0 });
    storage.updateRun(last, { status: "completed", ended_at: 9, duration_ms: 1 });
    storage.insertRun(run("later"));
    storage.updateRun("later", { status: "failed", ended_at: 9, duration_ms: 1 });
    assert.equal(storage.getRun(last), null, "reads show the last commit");
    await sleep(600); // a flush replays at most every 500 ms
    assert.throws(() => storage.flush(), WritesNotCommittedError, "still full");
    assert.deepEqual(health.map((h) => h.state), ["failing"], "still told once");

    db.free();
    await flushOnceSpaceIsBack(storage);
    assert.equal(storage.getRun(last)?.status, "completed");
    assert.equal(storage.listTaskRuns(last)[0].status, "completed");
    assert.equal(storage.listAttempts(last)[0].stdout.length, 300);
    assert.equal(storage.getRun("later")?.status, "failed");
    for (const id of ids) assert.ok(storage.getRun(id), `run ${id} is stored`);
    assert.deepEqual(health.map((h) => h.state), ["failing", "recovered"]);
    const recovered = health[1] as Extract<WriteHealth, { state: "recovered" }>;
    assert.equal(recovered.dropped, 0);
    assert.ok(recovered.committed >= 7, `committed ${recovered.committed}`);
  } finally {
    storage.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqlite: a full database is retried by itself, and a kept claim another instance took is dropped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-full-" });
  const db = new FullDb(`${dir}/petit.db`);
  const a = db.open(100);
  const b = new SqliteStorage(db.path);
  const health: WriteHealth[] = [];
  try {
    const ids = writeUntilFull(db, a, "a");
    a.watchWrites((h) => health.push(h));
    assert.deepEqual(health.map((h) => h.state), ["failing"], "a new listener hears it at once");
    const slot = 60_000 * ids.length; // the last claim of `a`, kept in memory
    b.insertRun(run("b", { scheduled_for: slot }));
    b.flush();
    db.free();
    // Nobody flushes `a`: its retry timer replays the kept writes.
    for (let i = 0; i < scaled(200) && health.length < 2; i++) await sleep(50);
    assert.deepEqual(health.map((h) => h.state), ["failing", "recovered"]);
    const recovered = health[1] as Extract<WriteHealth, { state: "recovered" }>;
    assert.ok(recovered.dropped >= 1, "the taken slot's writes no longer applied");
    assert.ok(recovered.droppedError instanceof SlotTakenError);
    assert.equal(a.getRun(ids.at(-1)!), null);
    assert.equal(a.listSlots("job", 1)[0].id, "b");
  } finally {
    a.close();
    b.close();
    await Deno.remove(dir, { recursive: true });
  }
});
