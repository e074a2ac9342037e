/**
 * The firing engine alone: a fake {@link EngineHost} records what it is asked to do, and a
 * {@link ManualClock} lets the test move time (no processes, no store, no waiting).
 *
 * @module
 */

import assert from "node:assert/strict";
import { DagBuilder, JobBuilder } from "../../src/core/builders.ts";
import type { CatchupPolicy, JobSpec } from "../../src/core/model.ts";
import {
  Engine,
  type EngineHost,
  type EngineNotice,
  MAX_SLEEP_MS,
  type ScheduledStart,
} from "../../src/scheduler/engine.ts";
import { SlotTakenError } from "../../src/storage/types.ts";
import { ManualClock } from "../../src/testing/manual_clock.ts";

const ms = (iso: string): number => Date.parse(iso);

function job(
  id: string,
  schedule: string,
  catchup: { policy: CatchupPolicy; limit?: number } = { policy: "last" },
): JobSpec {
  const dag = new DagBuilder(id).addTask({ name: "t", execute: () => {} }).build();
  return new JobBuilder(id, id, dag)
    .withSchedule(schedule)
    .withCatchup(catchup.policy, catchup.limit)
    .build();
}

/** An EngineHost that records starts and skips, claims each slot once, and counts flushes. */
class FakeHost implements EngineHost {
  jobs: JobSpec[];
  paused = false;
  stopping = false;
  readonly lastSlots = new Map<string, number>();
  readonly started: { jobId: string; init: ScheduledStart }[] = [];
  readonly skipped: { jobId: string; slot: number; reason: string }[] = [];
  readonly claimed = new Set<string>();
  flushes = 0;
  readonly storage = {
    lastSlot: (jobId: string) => this.lastSlots.get(jobId) ?? null,
    flush: () => void this.flushes++,
  };

  constructor(jobs: JobSpec[]) {
    this.jobs = jobs;
  }

  isEnabled(job: JobSpec): boolean {
    return job.enabled;
  }

  limitReason(): string | null {
    return null;
  }

  dependencyReason(): string | null {
    return null;
  }

  #claim(job: JobSpec, slot: number): boolean {
    const key = `${job.id}@${slot}`;
    if (this.claimed.has(key)) return false;
    this.claimed.add(key);
    return true;
  }

  startRun(job: JobSpec, init: ScheduledStart): { runId: string } {
    if (!this.#claim(job, init.scheduledFor)) throw new SlotTakenError(job.id, init.scheduledFor);
    this.started.push({ jobId: job.id, init });
    return { runId: `run-${this.started.length}` };
  }

  recordSkip(job: JobSpec, slot: number, reason: string): string | null {
    if (!this.#claim(job, slot)) return null;
    this.skipped.push({ jobId: job.id, slot, reason });
    return `skip-${this.skipped.length}`;
  }

  /** Scheduled slots of started runs, as ISO strings. */
  startedSlots(): string[] {
    return this.started.map((s) => new Date(s.init.scheduledFor).toISOString());
  }
}

function setup(jobs: JobSpec[], startIso: string) {
  const host = new FakeHost(jobs);
  const clock = new ManualClock(ms(startIso));
  const notices: EngineNotice[] = [];
  const engine = new Engine(host, { clock, notify: (n) => notices.push(n) });
  return { host, clock, notices, engine };
}

Deno.test("Engine: fires each slot on its millisecond as the test moves time", async () => {
  const { host, clock, notices, engine } = setup(
    [job("tens", "*/10 * * * * *")],
    "2026-01-01T00:00:00.500Z",
  );
  engine.start();
  assert.equal(engine.nextRun("tens"), ms("2026-01-01T00:00:10Z"));
  clock.advance(30_000);
  assert.deepEqual(host.startedSlots(), [
    "2026-01-01T00:00:10.000Z",
    "2026-01-01T00:00:20.000Z",
    "2026-01-01T00:00:30.000Z",
  ]);
  assert.deepEqual(engine.lateness, [0, 0, 0]);
  assert.ok(host.started.every((s) => s.init.trigger === "schedule" && s.init.reason === null));
  assert.deepEqual(notices.map((n) => n.kind), ["fired", "fired", "fired"]);
  // Each wake-up commits its claims, then lets its runs start.
  assert.equal(host.flushes, 3);
  await Promise.all(host.started.map((s) => s.init.startAfter));
  engine.stop();
  assert.equal(clock.pending, 0);
});

Deno.test("Engine: slots missed while down go through catch-up on start", () => {
  const { host, notices, engine } = setup(
    [job("minutely", "* * * * *", { policy: "all", limit: 3 })],
    "2026-01-01T10:05:30Z",
  );
  host.lastSlots.set("minutely", ms("2026-01-01T10:00:00Z"));
  engine.start();
  // 10:01 … 10:05 missed: the latest three run, the two before are one skipped record.
  assert.deepEqual(host.startedSlots(), [
    "2026-01-01T10:03:00.000Z",
    "2026-01-01T10:04:00.000Z",
    "2026-01-01T10:05:00.000Z",
  ]);
  assert.ok(host.started.every((s) => s.init.reason === "catch-up (catchup: all)"));
  assert.deepEqual(host.skipped, [{
    jobId: "minutely",
    slot: ms("2026-01-01T10:02:00Z"),
    reason: "missed: 2 slots while Petit was not running (catchup: all, catchup_limit 3)",
  }]);
  const catchup = notices.find((n) => n.kind === "catchup");
  assert.deepEqual(catchup && { ...catchup, job: catchup.job.id }, {
    kind: "catchup",
    job: "minutely",
    policy: "all",
    missed: 5,
    running: 3,
  });
  assert.equal(host.flushes, 1);
  engine.stop();
});

Deno.test("Engine: a paused scheduler records due slots as skipped", () => {
  const { host, clock, engine } = setup([job("minutely", "* * * * *")], "2026-01-01T10:00:30Z");
  host.paused = true;
  engine.start();
  clock.advance(60_000);
  assert.deepEqual(host.started, []);
  assert.deepEqual(host.skipped, [{
    jobId: "minutely",
    slot: ms("2026-01-01T10:01:00Z"),
    reason: "paused: scheduler paused",
  }]);
  engine.stop();
});

Deno.test("Engine: a backward wall-clock jump is noticed and the next slot recomputed", () => {
  const { host, clock, notices, engine } = setup(
    [job("minutely", "* * * * *")],
    "2026-01-01T10:00:30Z",
  );
  engine.start();
  clock.jump(-3_600_000);
  clock.advance(MAX_SLEEP_MS);
  const jump = notices.find((n) => n.kind === "clock_jump");
  assert.ok(jump && jump.kind === "clock_jump" && jump.driftMs === -3_600_000, String(jump));
  // 09:00:40 now: the next slot is 09:01, not 10:01 an hour away.
  assert.equal(engine.nextRun("minutely"), ms("2026-01-01T09:01:00Z"));
  clock.advance(30_000);
  assert.deepEqual(host.startedSlots(), ["2026-01-01T09:01:00.000Z"]);
  engine.stop();
});

Deno.test("Engine: a forward jump runs the latest due slot and the rest by catch-up", () => {
  const { host, clock, notices, engine } = setup(
    [job("minutely", "* * * * *", { policy: "none" })],
    "2026-01-01T10:00:30Z",
  );
  engine.start();
  clock.jump(5 * 60_000);
  clock.advance(MAX_SLEEP_MS);
  assert.ok(notices.some((n) => n.kind === "clock_jump"));
  // 10:05:40 now: 10:05 fires; 10:01 … 10:04 are one skipped record under catchup none.
  assert.deepEqual(host.startedSlots(), ["2026-01-01T10:05:00.000Z"]);
  assert.deepEqual(host.skipped.map((s) => [new Date(s.slot).toISOString(), s.reason]), [
    [
      "2026-01-01T10:04:00.000Z",
      "missed: 4 slots while Petit was not running (catchup: none)",
    ],
  ]);
  engine.stop();
});

Deno.test("Engine: a yearly job a year away needs no timer longer than MAX_SLEEP_MS", () => {
  const { host, clock, engine } = setup([job("new-year", "@yearly")], "2026-01-01T00:00:01Z");
  engine.start();
  assert.equal(engine.nextRun("new-year"), ms("2027-01-01T00:00:00Z"));
  assert.deepEqual(clock.delays, [MAX_SLEEP_MS]);
  engine.stop();

  // And it fires on the dot, from 30 s before.
  const late = setup([job("new-year", "@yearly")], "2026-12-31T23:59:30Z");
  late.engine.start();
  late.clock.advance(60_000);
  assert.deepEqual(late.host.startedSlots(), ["2027-01-01T00:00:00.000Z"]);
  assert.deepEqual(late.engine.lateness, [0]);
  assert.ok(late.clock.delays.every((d) => d >= 0 && d <= MAX_SLEEP_MS), String(late.clock.delays));
  assert.deepEqual(host.started, []);
  late.engine.stop();
});

Deno.test("Engine: a slot another scheduler claimed is reported, not run", () => {
  const { host, clock, notices, engine } = setup(
    [job("minutely", "* * * * *")],
    "2026-01-01T10:00:30Z",
  );
  host.claimed.add(`minutely@${ms("2026-01-01T10:01:00Z")}`);
  engine.start();
  clock.advance(30_000);
  assert.deepEqual(host.started, []);
  assert.deepEqual(notices.map((n) => n.kind), ["slot_taken"]);
  assert.equal(host.flushes, 0); // nothing claimed by this engine, nothing to commit
  engine.stop();
});
