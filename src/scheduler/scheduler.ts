/**
 * The scheduler handle: the one object the CLI, the HTTP API and the library use to start,
 * refuse, cancel and retry runs, pause and resume, and shut down.
 *
 * Over 400 lines on purpose: it is the one public handle, and most of its methods are short
 * delegations (run records in `run_records.ts`, firing in `engine.ts`, claims in `claims.ts`,
 * live logs in `exec/live/`, notifications in `notify/`). The next feature that adds state
 * here should move the child-run and params handling out beside `run_records.ts`.
 *
 * @module
 */

import type { JobSpec, TaskInput } from "../core/model.ts";
import { defaultParams, ParamError, resolveParams } from "../core/params.ts";
import { EventBus } from "../events/bus.ts";
import { type LiveAttempt, LiveLogs } from "../exec/live/mod.ts";
import type { ChildRun, ChildRunRequest, ChildRuns } from "../exec/attempt/mod.ts";
import { executeRun, type RunResult } from "../exec/runner.ts";
import { DEFAULT_NOTIFY_WAIT_MS, Notifier } from "../notify/mod.ts";
import { recordEvents } from "../storage/recorder.ts";
import { type RunTrigger, type Storage, WritesNotCommittedError } from "../storage/types.ts";
import { type Clock, SYSTEM_CLOCK, type TimerHandle } from "./clock.ts";
import { unsatisfiedDependency } from "./dependencies.ts";
import { Engine, type JobChange } from "./engine.ts";
import { Logger, logWriteHealth } from "./log.ts";
import { ownerToken } from "./recovery.ts";
import {
  afterRun,
  claimFailure,
  completedTasks,
  DEFAULT_KEEP_RUNS,
  errorText,
  notRun,
  recordSkip,
  type RunBooks,
  runningRecord,
} from "./run_records.ts";
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
export { DEFAULT_KEEP_RUNS, newRunId } from "./run_records.ts";

interface ActiveRun {
  readonly jobId: string;
  readonly controller: AbortController;
  readonly done: Promise<RunResult>;
}

/**
 * How long {@link Scheduler.shutdown} lets running runs finish before it cancels them, when
 * no grace is given.
 *
 * @default {30_000}
 */
export const DEFAULT_GRACE_MS = 30_000;

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
  /** Enable/disable changes the disk refused so far: they hold until they are written. */
  readonly #unsavedEnabled = new Map<string, boolean>();
  #stopping = false;
  #engine: Engine | null = null;
  readonly #owner = ownerToken();
  #finishedRuns = 0;
  readonly #log: Logger;
  /** What the run-record helpers (`run_records.ts`) write to. */
  readonly #books: RunBooks;
  readonly #unsubscribe: () => void;
  readonly #unwatchWrites: () => void;
  readonly #live = new LiveLogs(); // attempts running here, readable while they run
  readonly #unlisten: () => void;
  readonly #notifier: Notifier;

  /** Creates a scheduler over `jobs`; the store records every run. */
  constructor(jobs: readonly JobSpec[], options: SchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.storage = options.storage;
    this.bus = options.bus ?? new EventBus();
    this.#log = options.log ?? new Logger();
    this.#books = { storage: this.storage, bus: this.bus, log: this.#log, clock: this.#clock };
    this.#unsubscribe = recordEvents(this.bus, this.storage);
    this.#unlisten = this.#live.listen(this.bus); // after the recorder: stored, then gone
    // After the recorder too: a run's notifications read its stored records. They go out
    // once the run has settled (`done`), never on its time.
    this.#notifier = new Notifier({
      ...options.notify,
      bus: this.bus,
      runs: this.storage,
      job: (id) => this.#jobs.get(id),
      settled: (id) => this.#active.get(id)?.done,
      env: options.baseEnv,
      now: () => this.#clock.now(),
    });
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
    return this.#unsavedEnabled.get(job.id) ?? this.storage.jobEnabled(job.id) ?? job.enabled;
  }

  /** Enables or disables a job (persisted; survives restarts and reloads). */
  setEnabled(jobId: string, enabled: boolean): void {
    if (!this.#jobs.has(jobId)) {
      throw new TriggerRefusedError("not_found", `unknown job id "${jobId}"`);
    }
    this.storage.setJobEnabled(jobId, enabled);
    // A flush the disk refuses (WritesNotCommittedError) keeps the write and retries it; the
    // change holds from now on either way.
    this.#unsavedEnabled.set(jobId, enabled);
    try {
      this.storage.flush();
      this.#unsavedEnabled.delete(jobId);
    } finally {
      this.#engine?.reload(this.jobs);
    }
  }

  /**
   * Records a scheduled slot that did not run, with its reason, as a `skipped` run that
   * claims the slot. Returns its id, or null when another scheduler already claimed it.
   */
  recordSkip(job: JobSpec, slot: number, reason: string): string | null {
    return recordSkip(this.#books, job, slot, reason);
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

  /**
   * A task's attempt running here, readable while it runs, else null (for the HTTP API).
   * @ignore
   */
  liveLogs(runId: string, taskId: string): LiveAttempt | null {
    return this.#live.get(runId, taskId);
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
   * Starts a run of `jobId` now. Throws TriggerRefusedError when the job is unknown, its
   * params are not right (`bad_params`), a limit is reached, or (unless forced) a dependency
   * is not satisfied.
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
    const params = this.#params(job, options.params);
    const limit = this.limitReason(job);
    if (limit) throw new TriggerRefusedError("limit", limit);
    if (!options.force) {
      const dep = this.dependencyReason(job);
      if (dep) throw new TriggerRefusedError("dependency", `${dep} (use force to run anyway)`);
    }
    return this.startRun(job, { trigger: options.trigger ?? "manual", params });
  }

  /** The params of a run of `job` from the values given; throws `bad_params`. */
  #params(job: JobSpec, given: Readonly<Record<string, string>> = {}): Record<string, string> {
    try {
      return resolveParams(job.id, job.params, given);
    } catch (err) {
      if (!(err instanceof ParamError)) throw err;
      throw new TriggerRefusedError("bad_params", err.message, { cause: err });
    }
  }

  /**
   * Starts the child run of a sub-job task (trigger `parent`): the job's limits apply, its
   * job dependencies are not checked (the parent decides when it runs). What the runner's
   * sub-job tasks call, through {@linkcode ChildRuns}.
   */
  #startChild(request: ChildRunRequest): ChildRun {
    const job = this.#jobs.get(request.jobId);
    if (!job) throw new TriggerRefusedError("not_found", `unknown job id "${request.jobId}"`);
    this.#refuseWhileStopping();
    const params = this.#params(job, request.params);
    const limit = this.limitReason(job);
    if (limit) throw new TriggerRefusedError("limit", limit);
    const run = this.startRun(job, {
      trigger: "parent",
      params,
      parentRunId: request.parentRunId,
    });
    return {
      runId: run.runId,
      done: run.done.then(
        (r) => ({ status: r.status, error: r.error }),
        (err) => ({ status: "failed" as const, error: errorText(err) }),
      ),
      cancel: () => void this.cancel(run.runId),
    };
  }

  /** What runs give their sub-job tasks to start child runs with. */
  readonly #childRuns: ChildRuns = { start: (request) => this.#startChild(request) };

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
    const kept = completedTasks(this.storage, runId);
    return this.startRun(job, {
      trigger: "retry",
      kept,
      retryOf: runId,
      reason: `retry of ${runId}`,
      // The retried run's params; params the job gained since get their defaults.
      params: { ...defaultParams(job.params), ...old.params },
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
   * Records and starts a run with no further checks (callers have checked limits,
   * dependencies and params; without `params`, the job's defaults). For scheduled runs, `scheduledFor` claims the slot: a taken slot throws
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
      params?: Readonly<Record<string, string>>;
      parentRunId?: string | null;
    },
  ): StartedRun {
    const now = this.#clock.now();
    const params = init.params ?? defaultParams(job.params);
    const record = runningRecord(job, { ...init, params }, now, this.#owner);
    this.storage.insertRun(record);
    const controller = new AbortController();
    const onLine = this.#options.onLine;
    const skip = (reason: string | null) => notRun(this.#books, job, record.id, reason);
    const execute = async (): Promise<RunResult> => {
      if (init.startAfter) {
        try {
          await init.startAfter;
        } catch (err) {
          return skip(`storage: ${claimFailure(err)}`);
        }
        // A claim kept through a full disk is committed by a replay, which drops it if another
        // scheduler took the slot meanwhile: only a claim found in the database may start.
        if (this.storage.getRun(record.id) === null) return skip(null);
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
        params,
        childRuns: this.#childRuns,
        kubernetes: this.#options.kubernetes,
        runAttempt: this.#options.runAttempt,
        live: this.#live,
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
      afterRun(this.#books, {
        jobId: job.id,
        runId: record.id,
        keepRuns: this.#options.keepRuns ?? DEFAULT_KEEP_RUNS,
        finishedRuns: ++this.#finishedRuns,
      });
    });
    this.#active.set(record.id, { jobId: job.id, controller, done });
    return { runId: record.id, jobId: job.id, done };
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
    // The last runs' notifications get a short while (their events are stored like others').
    await this.#notifier.drain(this.#options.notify?.waitMs ?? DEFAULT_NOTIFY_WAIT_MS, now);
    this.#notifier.close();
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
    this.#unlisten();
    this.#unsubscribe();
  }
}
