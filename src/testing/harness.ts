/**
 * `TestHarness`: runs jobs (built in code or loaded from YAML) on the real scheduler and
 * DAG runner, with time on a {@link ManualClock}. `advance()` moves the clock and every
 * schedule slot in between fires once, in order; tasks end as scripted (succeed with output,
 * fail the first N attempts, time out, take simulated time) or run for real; retry delays
 * and timeouts pass on the clock, so hours of schedule take milliseconds. Runs, tasks,
 * attempts and events are recorded in a store (in memory by default) for assertions.
 *
 * Needs --allow-write and --allow-read (each run makes and removes a scratch folder), plus
 * what real tasks need (processes: --allow-run, --allow-env).
 *
 * @example Three hours of an hourly job whose first task fails twice
 * ```ts
 * import assert from "node:assert/strict";
 * import { CommandTaskBuilder, DagBuilder, JobBuilder, TestHarness } from "../../mod.ts";
 *
 * const fetch = new CommandTaskBuilder("fetch", "curl").args(["-fsSO", "https://example.com/data"])
 *   .retry(2, 60_000).build();
 * const dag = new DagBuilder("report")
 *   .addTask(fetch)
 *   .addTaskWithDeps(new CommandTaskBuilder("send", "./send.sh").build(), ["fetch"])
 *   .build();
 * const job = new JobBuilder("report", "Hourly report", dag).withSchedule("0 * * * *").build();
 *
 * // Tasks are scripted (no process runs): they succeed unless told otherwise.
 * await using harness = new TestHarness([job], { start: new Date("2026-01-01T00:30:00Z") });
 * harness.failTask("report", "fetch", { attempts: 2, exitCode: 3 });
 * await harness.advance(3 * 3_600_000); // three hours, in milliseconds of real time
 *
 * const runs = harness.runs("report");
 * assert.deepEqual(runs.map((r) => new Date(r.scheduled_for!).toISOString()), [
 *   "2026-01-01T01:00:00.000Z",
 *   "2026-01-01T02:00:00.000Z",
 *   "2026-01-01T03:00:00.000Z",
 * ]);
 * assert.ok(runs.every((r) => r.status === "completed"));
 * // Two failed attempts, each followed by the one-minute retry delay, then a success.
 * const attempts = harness.attempts(runs[0].id, "fetch");
 * assert.deepEqual(attempts.map((a) => [a.started_at - runs[0].started_at, a.exit_code]), [
 *   [0, 3],
 *   [60_000, 3],
 *   [120_000, 0],
 * ]);
 * ```
 *
 * @module
 */

import type { ConfigValue, JobSpec, TaskSpec } from "../core/model.ts";
import type { PetitEvent, PetitEventType } from "../events/types.ts";
import { runAttemptByType } from "../exec/attempt/registry.ts";
import { retryDelay } from "../exec/task_attempts.ts";
import type { EngineNotice } from "../scheduler/engine.ts";
import { Scheduler } from "../scheduler/scheduler.ts";
import type { StartedRun, TriggerOptions } from "../scheduler/types.ts";
import { InMemoryStorage } from "../storage/memory.ts";
import type { AttemptRecord, RunRecord, Storage, TaskRunRecord } from "../storage/types.ts";
import { HarnessAttempts } from "./attempts.ts";
import { ClockedBus } from "./clocked_bus.ts";
import { idleWaiter } from "./idle.ts";
import { ManualClock } from "./manual_clock.ts";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_START,
  DEFAULT_UNTIL_IDLE_MS,
  type TestHarnessOptions,
} from "./options.ts";
import {
  type FailTaskOptions,
  forAttempts,
  type SucceedTaskOptions,
  type TaskScript,
  type TimeoutTaskOptions,
} from "./scripts.ts";

/** Jobs on the real scheduler with a clock the test moves and tasks it scripts. */
export class TestHarness {
  /** The harness's clock: `advance()` moves it, `clock.jump()` steps the wall clock. */
  readonly clock: ManualClock;
  /** Where runs, tasks, attempts and events are recorded. */
  readonly storage: Storage;
  readonly #options: TestHarnessOptions;
  readonly #jobs: ReadonlyMap<string, JobSpec>;
  /** The jobs as the scheduler runs them: retry delays 0 (they pass on the clock). */
  readonly #runnable: readonly JobSpec[];
  readonly #scripts = new Map<string, TaskScript>();
  readonly #attempts: HarnessAttempts;
  readonly #bus: ClockedBus;
  readonly #events: PetitEvent[] = [];
  readonly #notices: EngineNotice[] = [];
  readonly #unsubscribe: () => void;
  #scheduler: Scheduler | null = null;
  #closed = false;

  /** A harness over `jobs`; schedules fire from the clock's start unless told otherwise. */
  constructor(jobs: readonly JobSpec[], options: TestHarnessOptions = {}) {
    this.#options = options;
    this.clock = new ManualClock(options.start ?? DEFAULT_START);
    this.storage = options.storage ?? new InMemoryStorage();
    this.#jobs = new Map(jobs.map((j) => [j.id, withConfig(j, options.config?.[j.id])]));
    for (const id of Object.keys(options.config ?? {})) this.job(id);
    this.#runnable = [...this.#jobs.values()].map(withoutRetryDelays);
    this.#attempts = new HarnessAttempts({
      clock: this.clock,
      task: (jobId, taskId) => this.#task(jobId, taskId),
      script: (jobId, taskId) => this.#scripts.get(scriptKey(jobId, taskId)),
      real: options.execute === "real" ? runAttemptByType : null,
    });
    this.#bus = new ClockedBus(this.clock, (jobId, taskId, attempt) => {
      const task = this.#task(jobId, taskId);
      return task ? retryDelay(task, attempt) : null;
    });
    this.#unsubscribe = this.#bus.subscribe((event) => {
      this.#events.push(event);
      if (event.type === "job_completed") this.#attempts.forget(event.run_id);
    });
    this.#scheduler = this.#newScheduler();
    if (options.schedule !== false) this.#scheduler.start();
  }

  /** The scheduler (replaced by a new one on `start()` after `stop()`): pause, cancel, retry… */
  get scheduler(): Scheduler {
    if (!this.#scheduler) throw new Error("the harness is stopped (start() it again)");
    return this.#scheduler;
  }

  /** The jobs, as they run (with the harness's config). */
  get jobs(): JobSpec[] {
    return [...this.#jobs.values()];
  }

  /** A job by id, as it runs; throws for an unknown id. */
  job(id: string): JobSpec {
    const job = this.#jobs.get(id);
    if (!job) {
      throw new Error(`unknown job "${id}" (jobs: ${[...this.#jobs.keys()].sort().join(", ")})`);
    }
    return job;
  }

  /** Scripts a task, attempt by attempt, for every run of its job (replacing its script). */
  scriptTask(jobId: string, taskId: string, script: TaskScript): this {
    const task = this.#taskOrThrow(jobId, taskId);
    const all = [...(script.attempts ?? []), ...(script.then ? [script.then] : [])];
    if (task.timeoutMs === null && all.some((s) => s.outcome === "timeout")) {
      throw new Error(
        `task "${taskId}" of job "${jobId}" has no timeout to run into (give it one)`,
      );
    }
    this.#scripts.set(scriptKey(jobId, taskId), script);
    return this;
  }

  /** Fails a task (all attempts, or the first `attempts` of each run), exit code 1 by default. */
  failTask(jobId: string, taskId: string, options: FailTaskOptions = {}): this {
    const { attempts, ...rest } = options;
    return this.scriptTask(jobId, taskId, forAttempts({ outcome: "failure", ...rest }, attempts));
  }

  /** Makes a task time out (it takes its timeout on the clock), all attempts or the first few. */
  timeoutTask(jobId: string, taskId: string, options: TimeoutTaskOptions = {}): this {
    return this.scriptTask(jobId, taskId, forAttempts({ outcome: "timeout" }, options.attempts));
  }

  /** Makes a task succeed with the given output, outputs and simulated duration. */
  succeedTask(jobId: string, taskId: string, options: SucceedTaskOptions = {}): this {
    const { attempts, ...rest } = options;
    return this.scriptTask(jobId, taskId, forAttempts({ outcome: "success", ...rest }, attempts));
  }

  /** Drops a task's script: it runs as unscripted tasks do again. */
  resetTask(jobId: string, taskId: string): this {
    this.#taskOrThrow(jobId, taskId);
    this.#scripts.delete(scriptKey(jobId, taskId));
    return this;
  }

  /**
   * Lets `ms` of simulated time pass: every timer falling due in between (schedule slots,
   * task durations, retry delays, timeouts) runs at its time, in order, and what it starts
   * gets as far as it can before the next one.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advance: ms must be ≥ 0, got ${ms}`);
    const end = this.clock.monotonic() + ms;
    await this.waitIdle();
    while (this.clock.runNext(end - this.clock.monotonic())) await this.waitIdle();
    this.clock.advance(Math.max(0, end - this.clock.monotonic()));
  }

  /** Lets simulated time pass until the clock reads `to` (see {@link TestHarness.advance}). */
  async advanceTo(to: Date | number): Promise<void> {
    const target = typeof to === "number" ? to : to.getTime();
    const ms = target - this.clock.now();
    if (!(ms >= 0)) {
      throw new RangeError(
        `advanceTo: ${new Date(target).toISOString()} is before the clock's ` +
          `${new Date(this.clock.now()).toISOString()}`,
      );
    }
    await this.advance(ms);
  }

  /**
   * Waits, in real time, until nothing can happen without the clock moving: every run in
   * progress waits on the clock (a task's simulated duration, a retry delay) or has ended.
   */
  async waitIdle(): Promise<void> {
    if (this.#scheduler === null || this.#scheduler.activeRunIds().length === 0) return;
    const timeoutMs = this.#options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const busy = () =>
      this.#scheduler?.activeRunIds().filter((id) => !this.#attempts.waiting(id)) ?? [];
    await idleWaiter(busy, timeoutMs);
  }

  /**
   * Moves the clock from timer to timer until no run is in progress (at most `maxMs` of
   * simulated time; schedule slots on the way fire as usual).
   */
  async runUntilIdle(maxMs: number = DEFAULT_UNTIL_IDLE_MS): Promise<void> {
    const end = this.clock.monotonic() + maxMs;
    await this.waitIdle();
    while (this.#scheduler !== null && this.#scheduler.activeRunIds().length > 0) {
      if (!this.clock.runNext(end - this.clock.monotonic())) {
        const ids = this.#scheduler.activeRunIds().join(", ");
        throw new Error(`runs ${ids} still in progress after ${maxMs} ms of simulated time`);
      }
      await this.waitIdle();
    }
  }

  /**
   * Starts a run of `jobId` now, as the scheduler's `trigger()` does (refused over limits and
   * unsatisfied dependencies unless forced). Its `done` settles once the clock has moved far
   * enough (`runUntilIdle()`); its `durationMs` is simulated time.
   */
  trigger(jobId: string, options: TriggerOptions = {}): StartedRun {
    this.job(jobId);
    const run = this.scheduler.trigger(jobId, options);
    const done = run.done.then((r) => ({
      ...r,
      durationMs: this.storage.getRun(r.runId)?.duration_ms ?? r.durationMs,
    }));
    return { ...run, done };
  }

  /** Triggers `jobId`, runs until idle and returns the run's record. */
  async runNow(jobId: string, options: TriggerOptions = {}): Promise<RunRecord> {
    const run = this.trigger(jobId, options);
    await this.runUntilIdle();
    await run.done;
    return this.storage.getRun(run.runId)!;
  }

  /**
   * Stops the scheduler as a stopping process would (runs still in progress are cancelled);
   * the clock can then move with nothing firing, to simulate downtime.
   */
  async stop(): Promise<void> {
    const scheduler = this.#scheduler;
    this.#scheduler = null;
    await scheduler?.shutdown(0);
  }

  /**
   * Starts firing schedules: after `stop()`, a new scheduler over the same store, which
   * first catches up slots missed while stopped (per each job's catch-up policy).
   */
  start(): void {
    if (this.#closed) throw new Error("the harness is closed");
    this.#scheduler ??= this.#newScheduler();
    this.#scheduler.start();
  }

  /**
   * Runs of a job (or of all jobs), skipped slots included, oldest first: by start, then by
   * slot (catch-up records all start at once).
   */
  runs(jobId?: string): RunRecord[] {
    return this.storage.listRuns({ job_id: jobId, limit: Number.MAX_SAFE_INTEGER }).reverse()
      .sort((a, b) =>
        a.started_at - b.started_at || (a.scheduled_for ?? 0) - (b.scheduled_for ?? 0)
      );
  }

  /** The tasks of a run, in the job's order. */
  tasks(runId: string): TaskRunRecord[] {
    return this.storage.listTaskRuns(runId);
  }

  /** Attempts of a run (or of one of its tasks), oldest first. */
  attempts(runId: string, taskId?: string): AttemptRecord[] {
    return this.storage.listAttempts(runId, taskId);
  }

  /** The `key=value` outputs a task of a run left. */
  outputs(runId: string, taskId: string): Record<string, string> {
    return this.storage.getOutputs(runId, taskId);
  }

  /** Events published so far, oldest first (or those of one type). */
  events(): PetitEvent[];
  /** Events of one type published so far, oldest first. */
  events<T extends PetitEventType>(type: T): Extract<PetitEvent, { type: T }>[];
  events(type?: PetitEventType): PetitEvent[] {
    return this.#events.filter((e) => type === undefined || e.type === type);
  }

  /** What the firing engine did (fires, skips, catch-up, clock jumps), oldest first. */
  notices(): EngineNotice[] {
    return [...this.#notices];
  }

  /** Stops the scheduler (cancelling runs in progress) and closes a store the harness made. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.stop();
    this.#unsubscribe();
    if (!this.#options.storage) this.storage.close();
  }

  /** `await using harness = new TestHarness(…)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #newScheduler(): Scheduler {
    const o = this.#options;
    return new Scheduler(this.#runnable, {
      storage: this.storage,
      bus: this.#bus,
      clock: this.clock,
      runAttempt: this.#attempts.run,
      baseEnv: o.env,
      maxTasks: o.maxTasks,
      maxJobs: o.maxJobs,
      onNotice: (n) => this.#notices.push(n),
    });
  }

  #task(jobId: string, taskId: string): TaskSpec | undefined {
    return this.#jobs.get(jobId)?.tasks.find((t) => t.id === taskId);
  }

  #taskOrThrow(jobId: string, taskId: string): TaskSpec {
    const job = this.job(jobId);
    const task = this.#task(jobId, taskId);
    if (!task) {
      const known = job.tasks.map((t) => t.id).sort().join(", ");
      throw new Error(`job "${jobId}" has no task "${taskId}" (tasks: ${known})`);
    }
    return task;
  }
}

function scriptKey(jobId: string, taskId: string): string {
  return `${jobId}\0${taskId}`;
}

function withConfig(
  job: JobSpec,
  config: Readonly<Record<string, ConfigValue>> | undefined,
): JobSpec {
  return config ? { ...job, config: { ...job.config, ...config } } : job;
}

function withoutRetryDelays(job: JobSpec): JobSpec {
  return {
    ...job,
    tasks: job.tasks.map((t) => ({ ...t, retry: { ...t.retry, delayMs: 0, maxDelayMs: null } })),
  };
}
