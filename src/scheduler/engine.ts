/**
 * The firing engine: per-job next-fire times and one timer to the earliest. Times are
 * always recomputed from the wall clock (no accumulated intervals); a clock jump or a
 * suspend is noticed by comparing the monotonic and wall clocks, and missed slots go
 * through the job's catch-up policy, never as a burst.
 *
 * The engine reads time from a {@link Clock} (the system clock unless told otherwise) and
 * acts through an {@link EngineHost} (the Scheduler), so a test can drive both.
 *
 * @module
 */

import type { JobSpec } from "../core/model.ts";
import { SlotTakenError, type Storage } from "../storage/types.ts";
import { ClaimBatch } from "./claims.ts";
import { type Clock, SYSTEM_CLOCK, type TimerHandle } from "./clock.ts";
import { catchUpPlan, slotsBetween, type SlotSpan } from "./slots.ts";

/**
 * Longest sleep between wake-ups, so a wall-clock jump is noticed within this time. It also
 * keeps every timer far below setTimeout's 2^31-1 ms, however far the next slot is.
 *
 * @default {10000}
 */
export const MAX_SLEEP_MS = 10_000;
/**
 * How much earlier than a slot the timer wakes, to spin to the exact millisecond (timers
 * fire a millisecond or two late).
 *
 * @default {2}
 */
export const EARLY_WAKE_MS = 2;
/**
 * Wall and monotonic clocks disagreeing by more than this is a jump or a suspend.
 *
 * @default {2000}
 */
export const JUMP_THRESHOLD_MS = 2_000;
/**
 * Fire lateness samples kept for metrics; past it the oldest half is dropped.
 *
 * @default {10000}
 */
const LATENESS_KEPT = 10_000;

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

/** How the engine starts a scheduled run (a subset of what the Scheduler's `startRun` takes). */
export interface ScheduledStart {
  /** Always `schedule`. */
  readonly trigger: "schedule";
  /** The slot the run claims (epoch ms); a slot taken already throws SlotTakenError. */
  readonly scheduledFor: number;
  /** Why it runs, e.g. `catch-up (catchup: all)`; null for an on-time fire. */
  readonly reason: string | null;
  /**
   * Execution begins once this resolves (the engine first commits the wake-up's claims). It
   * rejects with `ClaimNotCommittedError` when the claim is not durable: the run must not
   * execute.
   */
  readonly startAfter: Promise<void>;
}

/**
 * What the engine needs of the scheduler it fires for. The Scheduler implements it; declared
 * here so that this module does not import the scheduler's (which imports this one).
 */
export interface EngineHost {
  /** The jobs; those with a schedule that are enabled get a timer. */
  readonly jobs: readonly JobSpec[];
  /** Whether scheduled fires are paused (due slots are recorded as skipped). */
  readonly paused: boolean;
  /** Whether shutdown has begun (due slots are left alone). */
  readonly stopping: boolean;
  /** The store: a job's last claimed slot (catch-up starts there) and committing claims. */
  readonly storage: Pick<Storage, "lastSlot" | "flush">;
  /** Whether a job is enabled now (a persisted enable/disable wins over the job file). */
  isEnabled(job: JobSpec): boolean;
  /** Why a new run of `job` would exceed a limit now (`job limit…` or `global limit…`), or null. */
  limitReason(job: JobSpec): string | null;
  /** Why `job`'s dependencies are not satisfied at `now` (epoch ms), or null. */
  dependencyReason(job: JobSpec, now: number): string | null;
  /** Records and starts a run that claims a slot; throws SlotTakenError if it is taken. */
  startRun(job: JobSpec, init: ScheduledStart): { readonly runId: string };
  /** Records a slot that did not run; returns the run id, or null if the slot was taken. */
  recordSkip(job: JobSpec, slot: number, reason: string): string | null;
}

/** Settings of an {@link Engine}. */
export interface EngineOptions {
  /** Told what the engine does (fires, skips, catch-up, clock jumps), for the log. */
  readonly notify?: (n: EngineNotice) => void;
  /**
   * Time and timers; tests pass one they drive.
   *
   * @default {SYSTEM_CLOCK}
   */
  readonly clock?: Clock;
}

/** Drives scheduled fires for an {@link EngineHost} (the Scheduler). */
export class Engine {
  readonly #host: EngineHost;
  readonly #notify: (n: EngineNotice) => void;
  readonly #clock: Clock;
  readonly #timers = new Map<string, JobTimer>();
  #timer: TimerHandle | null = null;
  #armedWall = 0;
  #armedMono = 0;
  #running = false;
  /** This wake-up's slot claims, committed before its runs start. */
  readonly #claims: ClaimBatch;
  /** Fire lateness samples (ms) since start, for metrics. */
  readonly lateness: number[] = [];

  /** Creates an engine; nothing fires until `start()`. */
  constructor(host: EngineHost, options: EngineOptions = {}) {
    this.#host = host;
    this.#notify = options.notify ?? (() => {});
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#claims = new ClaimBatch(() => host.storage.flush());
  }

  /** Starts firing: missed slots per catch-up policy first, then the timer. */
  start(now: number = this.#clock.now()): void {
    this.#running = true;
    try {
      for (const job of this.#host.jobs) this.#add(job, now, true);
    } finally {
      this.#claims.commit();
    }
    this.#arm();
  }

  /** Stops firing (running runs are untouched). */
  stop(): void {
    this.#running = false;
    if (this.#timer !== null) this.#clock.clearTimer(this.#timer);
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
  reload(jobs: readonly JobSpec[], now: number = this.#clock.now()): JobChange[] {
    const changes: JobChange[] = [];
    const active = new Map(
      jobs.filter((j) => j.schedule !== null && this.#host.isEnabled(j)).map((j) => [j.id, j]),
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
    if (!job.schedule || !this.#host.isEnabled(job)) return;
    const t: JobTimer = { job, nextAt: null, anchor: now };
    this.#timers.set(job.id, t);
    if (catchup) {
      const last = this.#host.storage.lastSlot(job.id);
      if (last !== null) {
        const anchor = job.schedule.kind === "every" ? last : undefined;
        const missed = slotsBetween(job.schedule, last, now, { anchor });
        if (missed.slots.length > 0) this.#catchUp(job, missed);
      }
    }
    t.nextAt = job.schedule.next(new Date(now), new Date(t.anchor))?.getTime() ?? null;
  }

  /**
   * Runs missed slots per the job's policy (see {@link catchUpPlan}); records the rest as
   * one skipped slot.
   */
  #catchUp(job: JobSpec, missed: SlotSpan): void {
    const policy = job.catchup;
    const plan = catchUpPlan(policy, missed, job.catchupLimit);
    this.#notify({ kind: "catchup", job, policy, missed: missed.total, running: plan.run.length });
    if (plan.latestDropped !== null) {
      const dropped = plan.dropped;
      this.#skip(
        job,
        plan.latestDropped,
        "missed",
        `${dropped} slot${dropped === 1 ? "" : "s"} while Petit was not running ` +
          `(catchup: ${policy}${policy === "all" ? `, catchup_limit ${job.catchupLimit}` : ""})`,
      );
    }
    for (const slot of plan.run) this.#fire(job, slot, `catch-up (catchup: ${policy})`);
  }

  #arm(): void {
    const clock = this.#clock;
    if (this.#timer !== null) clock.clearTimer(this.#timer);
    this.#timer = null;
    if (!this.#running) return;
    let earliest = Infinity;
    for (const t of this.#timers.values()) {
      if (t.nextAt !== null && t.nextAt < earliest) earliest = t.nextAt;
    }
    const now = clock.now();
    // Timers fire a millisecond or two late: wake a little early and wait out the rest.
    const delay = Math.max(0, Math.min(earliest - now - EARLY_WAKE_MS, MAX_SLEEP_MS));
    this.#armedWall = now;
    this.#armedMono = clock.monotonic();
    this.#earliest = earliest;
    this.#timer = clock.setTimer(() => this.#tick(), delay);
  }

  #earliest = Infinity;

  #tick(): void {
    const clock = this.#clock;
    this.#timer = null;
    // A short busy wait (at most EARLY_WAKE_MS, only when a slot is due) for precise firing.
    clock.spinUntil(this.#earliest, EARLY_WAKE_MS);
    const now = clock.now();
    const expected = this.#armedWall + (clock.monotonic() - this.#armedMono);
    const drift = now - expected;
    if (Math.abs(drift) > JUMP_THRESHOLD_MS) {
      this.#notify({ kind: "clock_jump", driftMs: Math.round(drift) });
    }
    try {
      this.#fireDue(now, drift);
    } finally {
      this.#claims.commit();
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
      const due = slotsBetween(schedule, t.nextAt - 1, now, {
        anchor: schedule.kind === "every" ? t.anchor : undefined,
      });
      const slot = due.slots.at(-1) ?? t.nextAt;
      if (due.total > 1) {
        this.#catchUp(t.job, { slots: due.slots.slice(0, -1), total: due.total - 1 });
      }
      this.#fire(t.job, slot, null);
      if (t.job.schedule!.kind === "every") t.anchor = slot;
      t.nextAt =
        t.job.schedule!.next(new Date(Math.max(slot, now)), new Date(t.anchor))?.getTime() ??
          null;
    }
  }

  #recompute(t: JobTimer, now: number): void {
    if (t.job.schedule!.kind === "every") t.anchor = now;
    t.nextAt = t.job.schedule!.next(new Date(now), new Date(t.anchor))?.getTime() ?? null;
  }

  /** Fires one slot: claims it, checks pause, limits and dependencies, starts the run. */
  #fire(job: JobSpec, slot: number, reason: string | null): void {
    const s = this.#host;
    if (s.stopping) return;
    if (s.paused) return this.#skip(job, slot, "paused", "scheduler paused");
    const limit = s.limitReason(job);
    if (limit) {
      const kind = limit.startsWith("job limit") ? "overlap" : "limit";
      return this.#skip(job, slot, kind, limit);
    }
    const dep = s.dependencyReason(job, this.#clock.now());
    if (dep) return this.#skip(job, slot, "dependency", dep);
    try {
      const run = s.startRun(job, {
        trigger: "schedule",
        scheduledFor: slot,
        reason,
        startAfter: this.#claims.startGate(),
      });
      this.#claims.claimed();
      const lateMs = this.#clock.now() - slot;
      this.lateness.push(lateMs);
      if (this.lateness.length > LATENESS_KEPT) this.lateness.splice(0, LATENESS_KEPT / 2);
      this.#notify({ kind: "fired", job, slot, runId: run.runId, lateMs });
    } catch (err) {
      if (!(err instanceof SlotTakenError)) throw err;
      this.#notify({ kind: "slot_taken", job, slot });
    }
  }

  #skip(job: JobSpec, slot: number, kind: SkipKind, message: string): void {
    const runId = this.#host.recordSkip(job, slot, `${kind}: ${message}`);
    if (runId !== null) this.#claims.claimed();
    if (runId === null) this.#notify({ kind: "slot_taken", job, slot });
    else this.#notify({ kind: "skipped", job, slot, runId, reason: `${kind}: ${message}` });
  }
}

function sameTiming(a: JobSpec, b: JobSpec): boolean {
  return a.schedule?.expression === b.schedule?.expression &&
    a.schedule?.timezone === b.schedule?.timezone;
}
