/**
 * The Scheduler on a test harness (`TestHarness`: real scheduler, engine, runner and store;
 * a manual clock; scripted tasks): in-process scenarios of `tests/scenarios/` where real time
 * is not the point (pause/resume, catch-up after a 3 h stop, a wall-clock jump), in
 * milliseconds. The real-time scenarios stay as they are.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CommandTaskBuilder, DagBuilder, JobBuilder } from "../../src/core/builders.ts";
import type { CatchupPolicy, JobSpec } from "../../src/core/model.ts";
import { TestHarness } from "../../src/testing/mod.ts";

const T0 = Date.parse("2026-01-01T00:00:00.500Z");
const HOUR = 3_600_000;

function everySecond(id: string, catchup: CatchupPolicy = "none", limit = 10): JobSpec {
  const dag = new DagBuilder(id).addTask(new CommandTaskBuilder("t", "true").build()).build();
  return new JobBuilder(id, id, dag).withSchedule("* * * * * *").withCatchup(catchup, limit)
    .build();
}

/** Seconds from T0's whole second to a slot. */
const second = (slot: number | null) => (slot! - T0 + 500) / 1000;

Deno.test("Scheduler: paused slots are skipped 'paused', manual triggers run, fires resume", async () => {
  await using h = new TestHarness([everySecond("tick")], { start: T0 });
  await h.advance(2_000);
  h.scheduler.pause();
  assert.equal(h.scheduler.paused, true);
  await h.advance(3_000);

  // Manual triggers still work while paused.
  const manual = await h.runNow("tick");
  assert.deepEqual([manual.status, manual.trigger, manual.scheduled_for], [
    "completed",
    "manual",
    null,
  ]);

  h.scheduler.resume();
  await h.advance(2_000);
  const slots = h.runs("tick").filter((r) => r.trigger === "schedule");
  // Every slot from the first to the last has exactly one record, fired or skipped; the
  // paused ones were not caught up after resume.
  assert.deepEqual(slots.map((r) => [second(r.scheduled_for), r.status, r.reason]), [
    [1, "completed", null],
    [2, "completed", null],
    [3, "skipped", "paused: scheduler paused"],
    [4, "skipped", "paused: scheduler paused"],
    [5, "skipped", "paused: scheduler paused"],
    [6, "completed", null],
    [7, "completed", null],
  ]);
  assert.deepEqual(
    h.events().filter((e) => e.type.startsWith("scheduler_")).map((e) => [e.type, e.at - T0]),
    [["scheduler_paused", 2_000], ["scheduler_resumed", 5_000]],
  );
});

Deno.test("Scheduler: after a 3 h stop, catch-up last / all run the latest of 10,800 slots", async () => {
  await using h = new TestHarness([everySecond("g_last", "last"), everySecond("g_all", "all", 3)], {
    start: T0,
  });
  await h.advance(1_000); // 00:00:01 fires
  await h.stop();
  await h.advance(3 * HOUR); // 00:00:02 … 03:00:01 missed
  h.start();
  await h.runUntilIdle();
  const slot = (s: string) => Date.parse(`2026-01-01T${s}Z`);
  const records = (id: string) => h.runs(id).slice(1).map((r) => [r.scheduled_for, r.status]);

  assert.deepEqual(records("g_last"), [
    [slot("03:00:00"), "skipped"],
    [slot("03:00:01"), "completed"],
  ]);
  assert.match(h.runs("g_last")[1].reason!, /^missed: 10799 slots while Petit was not running/);
  assert.deepEqual(records("g_all"), [
    [slot("02:59:58"), "skipped"],
    [slot("02:59:59"), "completed"],
    [slot("03:00:00"), "completed"],
    [slot("03:00:01"), "completed"],
  ]);
  assert.equal(
    h.runs("g_all")[1].reason,
    "missed: 10797 slots while Petit was not running (catchup: all, catchup_limit 3)",
  );
  // Then the schedule goes on from the restart.
  await h.advance(1_000);
  assert.equal(h.runs("g_all").at(-1)!.scheduled_for, slot("03:00:02"));
});

Deno.test("Scheduler: a forward wall-clock jump fires the latest slot and skips the rest", async () => {
  await using h = new TestHarness([everySecond("tick")], { start: T0 });
  await h.advance(1_000);
  h.clock.jump(60_000);
  await h.advance(10_000);
  assert.ok(h.notices().some((n) => n.kind === "clock_jump"));
  const slots = h.runs("tick").map((r) => [second(r.scheduled_for), r.status]);
  // 00:00:01 fired; the jump lands after 00:01:01, whose slot fires while the 60 before it
  // are one skipped record (catchup: none); then every second again.
  assert.deepEqual(slots.slice(0, 3), [[1, "completed"], [60, "skipped"], [61, "completed"]]);
  assert.deepEqual(slots.slice(3).map(([s]) => s), [62, 63, 64, 65, 66, 67, 68, 69, 70, 71]);
});
