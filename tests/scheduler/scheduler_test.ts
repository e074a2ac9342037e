/**
 * The Scheduler over a real SQLite store when the database runs out of space (SQLITE_FULL
 * through `max_page_count`, see tests/storage/full_db.ts): slot claims, run records and the
 * log, with the real engine firing an every-second job. Takes ~11 s.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { DagBuilder, JobBuilder } from "../../src/core/builders.ts";
import { Logger, logRuns } from "../../src/scheduler/log.ts";
import { Scheduler } from "../../src/scheduler/scheduler.ts";
import { WritesNotCommittedError } from "../../src/storage/errors.ts";
import { FullDb } from "../storage/full_db.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An every-second job whose one task takes `ms` (runs overlap the disk filling up). */
function everySecond(id: string, ms: number) {
  const dag = new DagBuilder(id).addTask({ name: "t", execute: () => sleep(ms) }).build();
  return new JobBuilder(id, id, dag).withSchedule("* * * * * *").build();
}

Deno.test("Scheduler: with the database full, no slot runs unclaimed and every run ends up final", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-sched-full-" });
  const db = new FullDb(`${dir}/petit.db`);
  const headroom = 2000;
  const cap = db.pages() + headroom;
  const storage = db.open(headroom);
  const reader = new DatabaseSync(db.path);
  const committed = (id: string) =>
    reader.prepare("SELECT status FROM runs WHERE id = ?").get(id)?.status as string | undefined;
  const lines: string[] = [];
  const consoleErrors: string[] = [];
  const realConsoleError = console.error;
  console.error = (...args: unknown[]) => void consoleErrors.push(args.map(String).join(" "));
  const logger = new Logger({ json: true, write: (l) => lines.push(l) });
  const scheduler = new Scheduler([everySecond("tick", 1300)], { storage, log: logger });
  logRuns(scheduler.bus, logger); // as `pt run` does
  const executed: string[] = [];
  const unclaimed: string[] = [];
  const completedAt = new Map<string, { at: number; status: string }>();
  let stopped = false;
  scheduler.bus.subscribe((e) => {
    if (e.type === "job_started") {
      executed.push(e.run_id);
      // Another connection sees only what is committed: the claim must be there already.
      if (committed(e.run_id) === undefined) unclaimed.push(e.run_id);
    }
    if (e.type === "job_completed") completedAt.set(e.run_id, { at: Date.now(), status: e.status });
  });
  try {
    scheduler.start();
    await sleep(2500);
    // Same thread: commit the store's open batch first, or the filler would wait on its lock.
    storage.flush();
    db.fill(cap); // the disk is full from here on
    const filled = Date.now();
    await sleep(3500);
    assert.throws(() => storage.flush(), WritesNotCommittedError, "the store is stalled");
    db.free(); // space is back (a stalled store holds no transaction)
    await sleep(3500);

    assert.deepEqual(unclaimed, [], "runs started without a committed claim");
    // Runs that finished a while ago, full disk or not, are final in the database.
    for (const [id, { at, status }] of completedAt) {
      if (Date.now() - at < 1000) continue;
      assert.equal(committed(id), status, `run ${id} (${new Date(at).toISOString()})`);
    }
    const skipped = reader.prepare(
      "SELECT id, reason FROM runs WHERE status = 'skipped' AND reason LIKE 'storage:%'",
    ).all();
    assert.ok(skipped.length >= 1, "slots fired while full were recorded once space was back");
    for (const row of skipped) {
      assert.ok(!executed.includes(String(row.id)), `skipped slot ${row.id} ran`);
      assert.match(String(row.reason), /slot claim could not be committed.*full/);
    }
    assert.ok(executed.length >= 4, `only ${executed.length} runs executed`);
    assert.ok(completedAt.size >= 2 && filled > 0);

    const log = lines.map((l) => JSON.parse(l));
    const count = (re: RegExp) => log.filter((l) => re.test(l.msg)).length;
    assert.equal(count(/refuses writes/), 1, "the full disk is logged once");
    assert.equal(count(/takes writes again/), 1, "and its end once");
    assert.equal(count(/^slot skipped: storage:/), skipped.length, "one line per slot not run");
    assert.equal(log.find((l) => /refuses writes/.test(l.msg)).level, "error");
    assert.deepEqual(consoleErrors, [], "storage problems go through the logger");

    await scheduler.shutdown(5000);
    storage.close();
    stopped = true;
    const rows = reader.prepare("SELECT status, scheduled_for FROM runs").all();
    assert.ok(rows.every((r) => r.status !== "running"), "no run left running");
    const slots = rows.map((r) => r.scheduled_for);
    assert.equal(new Set(slots).size, slots.length, "a slot recorded twice");
    assert.ok(executed.every((id) => committed(id) !== undefined), "every executed run is stored");
    assert.equal(reader.prepare("PRAGMA integrity_check").get()?.integrity_check, "ok");
  } finally {
    if (!stopped) await scheduler.shutdown(5000); // an assertion failed first
    console.error = realConsoleError;
    storage.close();
    reader.close();
    await Deno.remove(dir, { recursive: true });
  }
});
