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
    for (const job of this.#scheduler.jobs) this.#add(job, now, true);
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
        if (missed.length > 0) this.#catchUp(job, missed);
      }
    }
    t.nextAt = job.schedule.next(new Date(now), new Date(t.anchor))?.getTime() ?? null;
  }

  /** Slots strictly after `from` and at or before `to`. */
  #slotsBetween(job: JobSpec, from: number, to: number, anchor?: number): number[] {
    const slots: number[] = [];
    let at = from;
    while (slots.length < MAX_ENUMERATED) {
      const next = job.schedule!.next(
        new Date(at),
        anchor === undefined ? undefined : new Date(anchor),
      )
        ?.getTime();
      if (next === undefined || next > to) break;
      slots.push(next);
      at = next;
    }
    return slots;
  }

  /** Runs missed slots per the job's policy; records the rest as one skipped slot. */
  #catchUp(job: JobSpec, missed: number[]): void {
    const policy = job.catchup;
    const toRun = policy === "all"
      ? missed.slice(-job.catchupLimit)
      : policy === "last"
      ? missed.slice(-1)
      : [];
    const dropped = missed.length - toRun.length;
    this.#notify({ kind: "catchup", job, policy, missed: missed.length, running: toRun.length });
    if (dropped > 0) {
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
    const delay = Math.max(0, Math.min(earliest - now, MAX_SLEEP_MS));
    this.#armedWall = now;
    this.#armedMono = performance.now();
    this.#timer = setTimeout(() => this.#tick(), delay);
  }

  #tick(): void {
    this.#timer = null;
    const now = Date.now();
    const expected = this.#armedWall + (performance.now() - this.#armedMono);
    const drift = now - expected;
    if (Math.abs(drift) > JUMP_THRESHOLD_MS) {
      this.#notify({ kind: "clock_jump", driftMs: Math.round(drift) });
    }
    for (const t of this.#timers.values()) {
      if (t.nextAt === null || t.nextAt > now) {
        // After a backward jump the next slot may now be far away: recompute from the clock.
        if (drift < -JUMP_THRESHOLD_MS && t.nextAt !== null) this.#recompute(t, now);
        continue;
      }
      const due = this.#slotsBetween(
        t.job,
        t.nextAt - 1,
        now,
        t.job.schedule!.kind === "every" ? t.anchor : undefined,
      );
      const slot = due.at(-1) ?? t.nextAt;
      if (due.length > 1) this.#catchUp(t.job, due.slice(0, -1));
      this.#fire(t.job, slot, null);
      if (t.job.schedule!.kind === "every") t.anchor = slot;
      t.nextAt =
        t.job.schedule!.next(new Date(Math.max(slot, now)), new Date(t.anchor))?.getTime() ??
          null;
    }
    this.#arm();
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
      const run = s.startRun(job, { trigger: "schedule", scheduledFor: slot, reason });
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
    if (runId === null) this.#notify({ kind: "slot_taken", job, slot });
    else this.#notify({ kind: "skipped", job, slot, runId, reason: `${kind}: ${message}` });
  }
}

function sameTiming(a: JobSpec, b: JobSpec): boolean {
  return a.schedule?.expression === b.schedule?.expression &&
    a.schedule?.timezone === b.schedule?.timezone;
}
