/**
 * The firing engine: per-job next-fire times and one timer to the earliest. Times are
 * always recomputed from the wall clock (no accumulated intervals); a clock jump or a
 * suspend is noticed by comparing the monotonic and wall clocks, and missed slots go
 * through the job's catch-up policy, never as a burst.
 *
 * @module
 */

import type { JobSpec } from "../core/model.ts";
import { SlotTakenError } from "../storage/types.ts";
import type { Scheduler } from "./scheduler.ts";

/** Longest sleep between wake-ups, so a wall-clock jump is noticed within this time. */
const MAX_SLEEP_MS = 10_000;
/** How much earlier than a slot the timer wakes, to spin to the exact millisecond. */
const EARLY_WAKE_MS = 2;
/** Wall and monotonic clocks disagreeing by more than this is a jump or a suspend. */
const JUMP_THRESHOLD_MS = 2_000;
/** Most missed slots enumerated for one job (an every-second job down for days). */
const MAX_ENUMERATED = 10_000;

/** Why a slot did not run. */
export type SkipKind = "paused" | "overlap" | "limit" | "dependency" | "missed";

/** Something the engine did, for the log. */
export type EngineNotice =
  | { kind: "fired"; job: JobSpec; slot: number; runId: string; lateMs: number }
  | { kind: "skipped"; job: JobSpec; slot: number; runId: string | null; reason: string }
  | { kind: "slot_taken"; job: JobSpec; slot: number }
  | { kind: "clock_jump"; driftMs: number }
  | { kind: "catchup"; job: JobSpec; policy: string; missed: number; running: number };

/** A job whose timer changed on reload, with its next fire time before and after. */
export interface JobChange {
  /** Unique id. */
  readonly id: string;
  /** What happened to the job. */
  readonly change: "added" | "changed" | "removed";
  /** Next fire time before (epoch ms). */
  readonly before: number | null;
  /** Next fire time after (epoch ms). */
  readonly after: number | null;
}

interface JobTimer {
  job: JobSpec;
  /** Next slot in epoch ms, or null when the schedule has no more fire times. */
  nextAt: number | null;
  /** @every counts from here: the scheduler start, then each fire. */
  anchor: number;
}

/** Drives scheduled fires for a Scheduler. */
export class Engine {
  readonly #scheduler: Scheduler;
  readonly #notify: (n: EngineNotice) => void;
  readonly #timers = new Map<string, JobTimer>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #armedWall = 0;
  #armedMono = 0;
  #running = false;
  /** A slot was claimed (fired or skipped) since the last commit of the store. */
  #claimed = false;
  /** Runs fired in this wake-up start when it opens, after their claims are committed. */
  #gate: { promise: Promise<void>; open: () => void } | null = null;
  /** Fire lateness samples (ms) since start, for metrics. */
  readonly lateness: number[] = [];

  /** Creates an engine; nothing fires until `start()`. */
  constructor(scheduler: Scheduler, notify: (n: EngineNotice) => void = () => {}) {
    this.#scheduler = scheduler;
    this.#notify = notify;
  }

  /** Starts firing: missed slots per catch-up policy first, then the timer. */
  start(now: number = Date.now()): void {
    this.#running = true;
    try {
      for (const job of this.#scheduler.jobs) this.#add(job, now, true);
    } finally {
      this.#commitClaims();
    }
    this.#arm();
  }

  /** Stops firing (running runs are untouched). */
  stop(): void {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Next fire time of a job, or null. */
  nextRun(jobId: string): number | null {
    return this.#timers.get(jobId)?.nextAt ?? null;
  }

  /** The @every anchor of a job (for listing next runs consistently). */
  anchor(jobId: string): number | null {
    return this.#timers.get(jobId)?.anchor ?? null;
  }

  /**
   * Applies a new job set: added jobs get timers, removed ones lose them, changed ones
   * are recomputed. Returns each changed job's next fire time before and after.
   */
  reload(jobs: readonly JobSpec[], now: number = Date.now()): JobChange[] {
    const changes: JobChange[] = [];
    const active = new Map(
      jobs.filter((j) => j.schedule !== null && this.#scheduler.isEnabled(j)).map((j) => [j.id, j]),
    );
    for (const [id, t] of this.#timers) {
      if (!active.has(id)) {
        this.#timers.delete(id);
        changes.push({ id, change: "removed", before: t.nextAt, after: null });
      }
    }
    for (const job of active.values()) {
      const old = this.#timers.get(job.id);
      if (old && old.job === job) continue;
      if (old && sameTiming(old.job, job)) {
        old.job = job;
        continue;
      }
      const before = old?.nextAt ?? null;
      this.#timers.delete(job.id);
      this.#add(job, now, false);
      changes.push({
        id: job.id,
        change: old ? "changed" : "added",
        before,
        after: this.#timers.get(job.id)?.nextAt ?? null,
      });
    }
    if (this.#running) this.#arm();
    return changes;
  }

  /** Recomputes every job's next fire from now (after resume or a clock jump). */
  #add(job: JobSpec, now: number, catchup: boolean): void {
    if (!job.schedule || !this.#scheduler.isEnabled(job)) return;
    const t: JobTimer = { job, nextAt: null, anchor: now };
    this.#timers.set(job.id, t);
    if (catchup) {
      const last = this.#scheduler.storage.lastSlot(job.id);
      if (last !== null) {
        const anchor = job.schedule.kind === "every" ? last : undefined;
        const missed = this.#slotsBetween(job, last, now, anchor);
        if (missed.slots.length > 0) this.#catchUp(job, missed.slots, missed.total);
      }
    }
    t.nextAt = job.schedule.next(new Date(now), new Date(t.anchor))?.getTime() ?? null;
  }

  /**
   * Slots strictly after `from` and at or before `to`, oldest first, and how many there are.
   * Past MAX_ENUMERATED only the latest are kept (catch-up runs the latest): the enumeration
   * skips ahead and `total` counts the skipped part at the rate seen so far.
   */
  #slotsBetween(
    job: JobSpec,
    from: number,
    to: number,
    anchor?: number,
  ): { slots: number[]; total: number } {
    const slots: number[] = [];
    let total = 0;
    let at = from;
    for (;;) {
      const next = job.schedule!.next(
        new Date(at),
        anchor === undefined ? undefined : new Date(anchor),
      )
        ?.getTime();
      if (next === undefined || next > to) break;
      slots.push(next);
      total++;
      at = next;
      if (slots.length < MAX_ENUMERATED) continue;
      // Resume where about MAX_ENUMERATED slots remain before `to`.
      const span = next - slots[0];
      const ahead = to - span;
      if (span > 0 && ahead > next) {
        total += Math.floor(((ahead - next) / span) * (slots.length - 1));
        at = ahead;
        slots.length = 0;
      } else {
        slots.splice(0, slots.length >> 1);
      }
    }
    return { slots, total };
  }

  /**
   * Runs missed slots per the job's policy; records the rest as one skipped slot. `missed`
   * holds the latest of `total` missed slots.
   */
  #catchUp(job: JobSpec, missed: number[], total: number): void {
    const policy = job.catchup;
    const toRun = policy === "all"
      ? missed.slice(-job.catchupLimit)
      : policy === "last"
      ? missed.slice(-1)
      : [];
    const dropped = total - toRun.length;
    this.#notify({ kind: "catchup", job, policy, missed: total, running: toRun.length });
    if (dropped > 0 && missed.length > toRun.length) {
      // One record for the whole gap: enough for `pt why`, without a row per missed second.
      const latestDropped = missed[missed.length - toRun.length - 1];
      this.#skip(
        job,
        latestDropped,
        "missed",
        `${dropped} slot${dropped === 1 ? "" : "s"} while Petit was not running ` +
          `(catchup: ${policy}${policy === "all" ? `, catchup_limit ${job.catchupLimit}` : ""})`,
      );
    }
    for (const slot of toRun) this.#fire(job, slot, `catch-up (catchup: ${policy})`);
  }

  #arm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#running) return;
    let earliest = Infinity;
    for (const t of this.#timers.values()) {
      if (t.nextAt !== null && t.nextAt < earliest) earliest = t.nextAt;
    }
    const now = Date.now();
    // Timers fire a millisecond or two late: wake a little early and wait out the rest.
    const delay = Math.max(0, Math.min(earliest - now - EARLY_WAKE_MS, MAX_SLEEP_MS));
    this.#armedWall = now;
    this.#armedMono = performance.now();
    this.#earliest = earliest;
    this.#timer = setTimeout(() => this.#tick(), delay);
  }

  #earliest = Infinity;

  #tick(): void {
    this.#timer = null;
    // A short busy wait (at most EARLY_WAKE_MS, only when a slot is due) for precise firing.
    const target = this.#earliest;
    while (target - Date.now() > 0 && target - Date.now() <= EARLY_WAKE_MS) {
      // Spin until the slot's millisecond.
    }
    const now = Date.now();
    const expected = this.#armedWall + (performance.now() - this.#armedMono);
    const drift = now - expected;
    if (Math.abs(drift) > JUMP_THRESHOLD_MS) {
      this.#notify({ kind: "clock_jump", driftMs: Math.round(drift) });
    }
    try {
      this.#fireDue(now, drift);
    } finally {
      this.#commitClaims();
    }
    this.#arm();
  }

  #fireDue(now: number, drift: number): void {
    // Jobs sharing a cron schedule share its next time (croner takes ~0.1 ms per call).
    const cronNext = new Map<string, number | null>();
    for (const t of this.#timers.values()) {
      if (t.nextAt === null || t.nextAt > now) {
        // After a backward jump the next slot may now be far away: recompute from the clock.
        if (drift < -JUMP_THRESHOLD_MS && t.nextAt !== null) this.#recompute(t, now);
        continue;
      }
      const schedule = t.job.schedule!;
      // Usually only this slot is due, and the one after it is the next fire time: one
      // computation per fire (they add up when many jobs share a slot).
      const key = schedule.kind === "cron"
        ? `${schedule.timezone}\n${schedule.expression}\n${t.nextAt}`
        : null;
      let following = key === null ? undefined : cronNext.get(key);
      if (following === undefined) {
        following = schedule.next(new Date(t.nextAt), new Date(t.anchor))?.getTime() ?? null;
        if (key !== null) cronNext.set(key, following);
      }
      if (following === null || following > now) {
        this.#fire(t.job, t.nextAt, null);
        if (schedule.kind === "every") t.anchor = t.nextAt;
        t.nextAt = following;
        continue;
      }
      const due = this.#slotsBetween(
        t.job,
        t.nextAt - 1,
        now,
        schedule.kind === "every" ? t.anchor : undefined,
      );
      const slot = due.slots.at(-1) ?? t.nextAt;
      if (due.total > 1) this.#catchUp(t.job, due.slots.slice(0, -1), due.total - 1);
      this.#fire(t.job, slot, null);
      if (t.job.schedule!.kind === "every") t.anchor = slot;
      t.nextAt =
        t.job.schedule!.next(new Date(Math.max(slot, now)), new Date(t.anchor))?.getTime() ??
          null;
    }
  }

  /**
   * Commits this wake-up's slot claims (the store batches writes for ~50 ms), then lets its
   * runs start. Were the process killed between a task's start and the commit, the claim
   * would vanish and the restart would run the slot a second time. Claiming every due slot
   * first also keeps one run's start-up work from delaying the next job's fire.
   */
  #commitClaims(): void {
    const gate = this.#gate;
    this.#gate = null;
    if (this.#claimed) {
      this.#claimed = false;
      try {
        this.#scheduler.storage.flush();
      } catch (err) {
        console.error(`petit: could not commit slot claims: ${String(err)}`);
      }
    }
    gate?.open();
  }

  /** The promise runs fired now wait for (see `#commitClaims`). */
  #startGate(): Promise<void> {
    if (this.#gate === null) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#gate = { promise, open: resolve };
    }
    return this.#gate.promise;
  }

  #recompute(t: JobTimer, now: number): void {
    if (t.job.schedule!.kind === "every") t.anchor = now;
    t.nextAt = t.job.schedule!.next(new Date(now), new Date(t.anchor))?.getTime() ?? null;
  }

  /** Fires one slot: claims it, checks pause, limits and dependencies, starts the run. */
  #fire(job: JobSpec, slot: number, reason: string | null): void {
    const s = this.#scheduler;
    if (s.stopping) return;
    if (s.paused) return this.#skip(job, slot, "paused", "scheduler paused");
    const limit = s.limitReason(job);
    if (limit) {
      const kind = limit.startsWith("job limit") ? "overlap" : "limit";
      return this.#skip(job, slot, kind, limit);
    }
    const dep = s.dependencyReason(job);
    if (dep) return this.#skip(job, slot, "dependency", dep);
    try {
      const run = s.startRun(job, {
        trigger: "schedule",
        scheduledFor: slot,
        reason,
        startAfter: this.#startGate(),
      });
      this.#claimed = true;
      const lateMs = Date.now() - slot;
      this.lateness.push(lateMs);
      if (this.lateness.length > 10_000) this.lateness.splice(0, 5_000);
      this.#notify({ kind: "fired", job, slot, runId: run.runId, lateMs });
    } catch (err) {
      if (!(err instanceof SlotTakenError)) throw err;
      this.#notify({ kind: "slot_taken", job, slot });
    }
  }

  #skip(job: JobSpec, slot: number, kind: SkipKind, message: string): void {
    const runId = this.#scheduler.recordSkip(job, slot, `${kind}: ${message}`);
    if (runId !== null) this.#claimed = true;
    if (runId === null) this.#notify({ kind: "slot_taken", job, slot });
    else this.#notify({ kind: "skipped", job, slot, runId, reason: `${kind}: ${message}` });
  }
}

function sameTiming(a: JobSpec, b: JobSpec): boolean {
  return a.schedule?.expression === b.schedule?.expression &&
    a.schedule?.timezone === b.schedule?.timezone;
}
