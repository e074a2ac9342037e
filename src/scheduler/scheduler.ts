/**
 * The scheduler handle: the one object the CLI, the HTTP API and the library use to start,
 * refuse, cancel and retry runs, pause and resume, and shut down.
 *
 * @module
 */

import type { JobSpec, TaskInput } from "../core/model.ts";
import { EventBus } from "../events/bus.ts";
import { executeRun, type RunResult } from "../exec/runner.ts";
import { recordEvents } from "../storage/recorder.ts";
import {
  type RunRecord,
  type RunTrigger,
  SlotTakenError,
  type Storage,
  WritesNotCommittedError,
} from "../storage/types.ts";
import { type Clock, SYSTEM_CLOCK, type TimerHandle } from "./clock.ts";
import { unsatisfiedDependency } from "./dependencies.ts";
import { Engine, type JobChange } from "./engine.ts";
import { Logger, logWriteHealth } from "./log.ts";
import { ownerToken } from "./recovery.ts";
import {
  type SchedulerOptions,
  type StartedRun,
  type TriggerOptions,
  TriggerRefusedError,
} from "./types.ts";

export {
  type RefusalCode,
  type SchedulerOptions,
  type StartedRun,
  type TriggerOptions,
  TriggerRefusedError,
} from "./types.ts";

interface ActiveRun {
  readonly jobId: string;
  readonly controller: AbortController;
  readonly done: Promise<RunResult>;
}

/**
 * Runs kept per job when {@link SchedulerOptions.keepRuns} is absent: after each run, older
 * runs of its job are deleted with their tasks, attempts and logs.
 *
 * @default {1000}
 */
export const DEFAULT_KEEP_RUNS = 1000;

/**
 * How long {@link Scheduler.shutdown} lets running runs finish before it cancels them, when
 * no grace is given.
 *
 * @default {30_000}
 */
export const DEFAULT_GRACE_MS = 30_000;

/**
 * Stored events kept for SSE replay; older ones are deleted every {@link EVENTS_PRUNE_EVERY}
 * finished runs.
 *
 * @default {50_000}
 */
const EVENTS_KEPT = 50_000;

/**
 * Finished runs between two trims of the stored events: they are for live streams and short
 * replays, not worth a delete after every run.
 *
 * @default {200}
 */
const EVENTS_PRUNE_EVERY = 200;

/** Makes a sortable, short, unique run id: time in base 36 plus randomness. */
export function newRunId(now = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(4));
  return now.toString(36).padStart(9, "0") + "-" +
    [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Runs jobs on demand and, once started, on their schedules. */
export class Scheduler {
  /** Where runs are recorded. */
  readonly storage: Storage;
  /** Where events are published. */
  readonly bus: EventBus;
  readonly #options: SchedulerOptions;
  readonly #clock: Clock;
  #jobs = new Map<string, JobSpec>();
  readonly #active = new Map<string, ActiveRun>();
  #paused = false;
  #stopping = false;
  #engine: Engine | null = null;
  readonly #owner = ownerToken();
  #finishedRuns = 0;
  readonly #log: Logger;
  readonly #unsubscribe: () => void;
  readonly #unwatchWrites: () => void;

  /** Creates a scheduler over `jobs`; the store records every run. */
  constructor(jobs: readonly JobSpec[], options: SchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.storage = options.storage;
    this.bus = options.bus ?? new EventBus();
    this.#log = options.log ?? new Logger();
    this.#unsubscribe = recordEvents(this.bus, this.storage);
    // A full disk is logged once when writes start failing and once when they recover.
    this.#unwatchWrites = this.storage.watchWrites?.((h) => logWriteHealth(this.#log, h)) ??
      (() => {});
    this.setJobs(jobs);
  }

  /** The jobs, in load order. */
  get jobs(): JobSpec[] {
    return [...this.#jobs.values()];
  }

  /** A job by id. */
  job(id: string): JobSpec | undefined {
    return this.#jobs.get(id);
  }

  /**
   * Replaces the job set at once (reload): running runs keep their old definition; once
   * started, timers of added, changed and removed jobs are updated. Returns the changes.
   */
  setJobs(jobs: readonly JobSpec[]): JobChange[] {
    this.#jobs = new Map(jobs.map((j) => [j.id, j]));
    return this.#engine?.reload(this.jobs) ?? [];
  }

  /** Starts firing scheduled runs (slots missed while down go through catch-up first). */
  start(): void {
    if (this.#engine) return;
    // The scheduler is the engine's EngineHost (checked here; an `implements` clause would
    // put the internal interface into the library's public types).
    this.#engine = new Engine(this, { notify: this.#options.onNotice, clock: this.#clock });
    this.#engine.start();
  }

  /**
   * The firing engine once started, else null: for the HTTP API (next runs, lateness) and
   * tests. Internal to Petit; its type is not part of the library's exports.
   *
   * @ignore
   */
  get engine(): Engine | null {
    return this.#engine;
  }

  /** Next scheduled fire of a job in epoch ms (null when not started or not scheduled). */
  nextRun(jobId: string): number | null {
    return this.#engine?.nextRun(jobId) ?? null;
  }

  /** Whether a job is enabled: a persisted enable/disable wins over the job file. */
  isEnabled(job: JobSpec): boolean {
    return this.storage.jobEnabled(job.id) ?? job.enabled;
  }

  /** Enables or disables a job (persisted; survives restarts and reloads). */
  setEnabled(jobId: string, enabled: boolean): void {
    if (!this.#jobs.has(jobId)) {
      throw new TriggerRefusedError("not_found", `unknown job id "${jobId}"`);
    }
    this.storage.setJobEnabled(jobId, enabled);
    this.storage.flush();
    this.#engine?.reload(this.jobs);
  }

  /**
   * Records a scheduled slot that did not run, with its reason, as a `skipped` run that
   * claims the slot. Returns its id, or null when another scheduler already claimed it.
   */
  recordSkip(job: JobSpec, slot: number, reason: string): string | null {
    const now = this.#clock.now();
    const id = newRunId(now);
    try {
      this.storage.insertRun({
        id,
        job_id: job.id,
        status: "skipped",
        trigger: "schedule",
        reason,
        scheduled_for: slot,
        started_at: now,
        ended_at: now,
        duration_ms: 0,
        error: null,
        retry_of: null,
      });
    } catch (err) {
      if (err instanceof SlotTakenError) return null;
      throw err;
    }
    this.bus.publish({ type: "job_skipped", at: now, job_id: job.id, run_id: id, reason });
    return id;
  }

  /** Whether scheduled fires are paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Stops scheduled fires; manual triggers still work. */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.bus.publish({ type: "scheduler_paused", at: this.#clock.now() });
  }

  /** Resumes scheduled fires from now on. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.bus.publish({ type: "scheduler_resumed", at: this.#clock.now() });
  }

  /** Ids of runs executing in this process. */
  activeRunIds(jobId?: string): string[] {
    return [...this.#active.entries()]
      .filter(([, r]) => jobId === undefined || r.jobId === jobId)
      .map(([id]) => id);
  }

  /** Why a new run of `job` would exceed a limit now, or null. */
  limitReason(job: JobSpec): string | null {
    const maxJobs = this.#options.maxJobs ?? null;
    if (maxJobs !== null && this.#active.size >= maxJobs) {
      return `global limit reached: ${this.#active.size} of max_jobs ${maxJobs} runs active`;
    }
    const running = this.activeRunIds(job.id).length;
    if (job.maxConcurrency !== null && running >= job.maxConcurrency) {
      return `job limit reached: ${running} of max_concurrency ${job.maxConcurrency} runs active`;
    }
    return null;
  }

  /** Why `job`'s dependencies are not satisfied now, or null. */
  dependencyReason(job: JobSpec, now: number = this.#clock.now()): string | null {
    return unsatisfiedDependency(this.storage, job.dependsOn, now);
  }

  /**
   * Starts a run of `jobId` now. Throws TriggerRefusedError when the job is unknown, a
   * limit is reached, or (unless forced) a dependency is not satisfied.
   */
  trigger(jobId: string, options: TriggerOptions = {}): StartedRun {
    const job = this.#jobs.get(jobId);
    if (!job) {
      const known = [...this.#jobs.keys()].sort().join(", ") || "none";
      throw new TriggerRefusedError(
        "not_found",
        `unknown job id "${jobId}" (known jobs: ${known})`,
      );
    }
    this.#refuseWhileStopping();
    const limit = this.limitReason(job);
    if (limit) throw new TriggerRefusedError("limit", limit);
    if (!options.force) {
      const dep = this.dependencyReason(job);
      if (dep) throw new TriggerRefusedError("dependency", `${dep} (use force to run anyway)`);
    }
    return this.startRun(job, { trigger: options.trigger ?? "manual" });
  }

  /**
   * Re-runs the failed, skipped and unfinished tasks of a finished run as a new run that
   * keeps the successful ones (trigger `retry`).
   */
  retry(runId: string): StartedRun {
    const old = this.storage.getRun(runId);
    if (!old) throw new TriggerRefusedError("not_found", `unknown run id "${runId}"`);
    if (old.status === "running") {
      throw new TriggerRefusedError("not_finished", `run ${runId} is still running`);
    }
    const job = this.#jobs.get(old.job_id);
    if (!job) {
      throw new TriggerRefusedError(
        "not_found",
        `job "${old.job_id}" of run ${runId} is not loaded`,
      );
    }
    this.#refuseWhileStopping();
    const limit = this.limitReason(job);
    if (limit) throw new TriggerRefusedError("limit", limit);
    const kept = new Map<string, TaskInput>();
    for (const t of this.storage.listTaskRuns(runId)) {
      if (t.status !== "completed") continue;
      const attempts = this.storage.listAttempts(runId, t.task_id);
      kept.set(t.task_id, {
        status: "completed",
        stdout: attempts.at(-1)?.stdout ?? "",
        exitCode: t.exit_code,
        outputs: this.storage.getOutputs(runId, t.task_id),
      });
    }
    return this.startRun(job, {
      trigger: "retry",
      kept,
      retryOf: runId,
      reason: `retry of ${runId}`,
    });
  }

  #refuseWhileStopping(): void {
    if (this.#stopping) {
      throw new TriggerRefusedError("stopping", "the scheduler is shutting down; no new runs");
    }
  }

  /** Cancels a run executing in this process; false if it is not running here. */
  cancel(runId: string): boolean {
    const run = this.#active.get(runId);
    if (!run) return false;
    run.controller.abort();
    return true;
  }

  /**
   * Records and starts a run with no further checks (callers have checked limits and
   * dependencies). For scheduled runs, `scheduledFor` claims the slot: a taken slot throws
   * the store's SlotTakenError and nothing runs. With `startAfter`, execution begins once
   * that resolves (the engine first commits the slot claims of a wake-up); if it rejects,
   * the claim is not durable and the run never executes: it is recorded `skipped` (reason
   * `storage: …`, stored once the disk takes writes again) and `done` resolves `skipped`.
   */
  startRun(
    job: JobSpec,
    init: {
      trigger: RunTrigger;
      scheduledFor?: number | null;
      kept?: ReadonlyMap<string, TaskInput>;
      retryOf?: string | null;
      reason?: string | null;
      runId?: string;
      startAfter?: Promise<void>;
    },
  ): StartedRun {
    const now = this.#clock.now();
    const record: RunRecord = {
      id: init.runId ?? newRunId(now),
      job_id: job.id,
      status: "running",
      trigger: init.trigger,
      reason: init.reason ?? null,
      scheduled_for: init.scheduledFor ?? null,
      started_at: now,
      ended_at: null,
      duration_ms: null,
      error: null,
      retry_of: init.retryOf ?? null,
      owner: this.#owner,
    };
    this.storage.insertRun(record);
    const controller = new AbortController();
    const onLine = this.#options.onLine;
    const execute = async (): Promise<RunResult> => {
      if (init.startAfter) {
        try {
          await init.startAfter;
        } catch (err) {
          return this.#notRun(job, record.id, `storage: ${claimFailure(err)}`);
        }
        // A claim kept through a full disk is committed by a replay, which drops it if another
        // scheduler took the slot meanwhile: only a claim found in the database may start.
        if (this.storage.getRun(record.id) === null) return this.#notRun(job, record.id, null);
      }
      const result = await executeRun({
        job,
        runId: record.id,
        trigger: init.trigger,
        bus: this.bus,
        maxTasks: this.#options.maxTasks,
        signal: controller.signal,
        baseEnv: this.#options.baseEnv,
        scheduledFor: record.scheduled_for,
        maxLogBytes: this.#options.maxLogBytes,
        killGraceMs: this.#options.killGraceMs,
        kept: init.kept,
        runAttempt: this.#options.runAttempt,
        onLine: onLine
          ? (taskId, stream, line) => onLine(record.id, taskId, stream, line)
          : undefined,
      });
      if (result.leftoverGroups > 0) {
        this.#log.warn(
          `terminated ${result.leftoverGroups} process group(s) the run left behind ` +
            "(detached with setsid or a double fork)",
          { job_id: job.id, run_id: record.id },
        );
      }
      return result;
    };
    const done = execute().finally(() => {
      this.#active.delete(record.id);
      const keep = this.#options.keepRuns ?? DEFAULT_KEEP_RUNS;
      try {
        this.storage.pruneRuns(job.id, keep);
        // Events are for live streams and short replays: trim them now and then, not per run.
        if (++this.#finishedRuns % EVENTS_PRUNE_EVERY === 0) this.storage.pruneEvents(EVENTS_KEPT);
        this.storage.flush();
      } catch (err) {
        // A full disk was logged when it began; the run's writes are kept and retried.
        if (!(err instanceof WritesNotCommittedError)) {
          this.#log.error(`could not record the run: ${errorText(err)}`, {
            job_id: job.id,
            run_id: record.id,
          });
        }
      }
    });
    this.#active.set(record.id, { jobId: job.id, controller, done });
    return { runId: record.id, jobId: job.id, done };
  }

  /**
   * A scheduled run that must not execute. With a `reason` its claim is not durable: the run
   * is recorded `skipped` (a write kept behind the claim, so both reach the disk together)
   * and `job_skipped` is published (one log line). Without, a replay dropped the claim
   * because another scheduler holds the slot: nothing of ours is left to record.
   */
  #notRun(job: JobSpec, runId: string, reason: string | null): RunResult {
    const now = this.#clock.now();
    if (reason === null) {
      this.#log.debug("slot already claimed by another scheduler; not run", {
        job_id: job.id,
        run_id: runId,
      });
    } else {
      try {
        this.storage.updateRun(runId, { status: "skipped", reason, ended_at: now, duration_ms: 0 });
      } catch (err) {
        this.#log.error(`could not record the skipped slot: ${errorText(err)}`, {
          job_id: job.id,
          run_id: runId,
        });
      }
      this.bus.publish({ type: "job_skipped", at: now, job_id: job.id, run_id: runId, reason });
    }
    return {
      runId,
      status: "skipped",
      durationMs: 0,
      error: reason,
      tasks: new Map(),
      leftoverGroups: 0,
    };
  }

  /** Whether shutdown has begun. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * Graceful shutdown: no new runs; running ones get `graceMs` ({@link DEFAULT_GRACE_MS} when
   * absent) to finish, then are cancelled (process groups terminated, runs `cancelled`).
   * `now` aborts the wait early.
   */
  async shutdown(graceMs: number = DEFAULT_GRACE_MS, now?: Promise<unknown>): Promise<void> {
    this.#stopping = true;
    this.#engine?.stop();
    const all = () => Promise.allSettled([...this.#active.values()].map((r) => r.done));
    if (this.#active.size > 0) {
      let timer: TimerHandle | undefined;
      // The system clock's timers chain past setTimeout's 2^31-1 ms (a grace of ~25 days
      // would otherwise end at once).
      const grace = new Promise<void>((resolve) => {
        timer = SYSTEM_CLOCK.setTimer(resolve, graceMs);
      });
      await Promise.race([all(), grace, now ?? new Promise(() => {})]);
      if (timer !== undefined) SYSTEM_CLOCK.clearTimer(timer);
      for (const run of this.#active.values()) run.controller.abort();
      await all();
    }
    try {
      this.storage.flush();
    } catch (err) {
      if (!(err instanceof WritesNotCommittedError)) throw err;
      this.#log.error(
        `stopping with ${err.pending} write(s) the database did not take ` +
          `(${errorText(err.cause)}): they are lost; runs they would have finished are ` +
          "marked interrupted at the next start",
      );
    }
    this.#unwatchWrites();
    this.#unsubscribe();
  }
}

/** Why a claim gate failed, with the innermost cause (SQLite's own message). */
function claimFailure(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause !== undefined) e = e.cause;
  return `not run, its slot claim could not be committed (${errorText(e)})`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
