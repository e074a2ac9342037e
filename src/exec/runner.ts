/**
 * Runs one job's DAG. A task starts as soon as its dependencies have finished and its
 * condition holds (no waves), within the per-run task limit. The runner only publishes
 * events; storage and terminal output are subscribers of the bus.
 *
 * How one attempt runs is a {@linkcode RunAttempt} picked by task type (`attempt/`);
 * retries and the task's events are `task_attempts.ts`. The runner reads the `env_file` of
 * the job when the run starts (a file it cannot read fails the run) and of a task when the
 * task starts (fails the task), and masks the job's `secrets` in every attempt's output and
 * error (`secrets.ts`). Needs --allow-write for the run's scratch folder (a temp dir),
 * --allow-read for env files, plus what the attempts need (processes: --allow-run, …).
 *
 * @module
 */

import { join } from "node:path";
import type { JobSpec, TaskInput, TaskSpec } from "../core/model.ts";
import type { TemplateContext } from "../core/template.ts";
import type { EventBus } from "../events/bus.ts";
import type { RunStatus, RunTrigger } from "../storage/types.ts";
import {
  type AttemptResult,
  type ChildRuns,
  emptyLogs,
  type RunAttempt,
  runAttemptByType,
} from "./attempt/mod.ts";
import { readEnvFile } from "./env_file.ts";
import type { KubeClient } from "./kube/types.ts";
import type { LiveLogs } from "./live/mod.ts";
import { DEFAULT_KILL_GRACE_MS, terminateLeftovers } from "./process/mod.ts";
import { SecretMask, secretValues } from "./secrets.ts";
import { runTaskAttempts, type TaskOutcome } from "./task_attempts.ts";

export type { TaskOutcome, TaskOutcomeStatus } from "./task_attempts.ts";

/**
 * Concurrent tasks in one run, unless `ExecuteOptions.maxTasks` says otherwise.
 *
 * @default {4}
 */
export const DEFAULT_MAX_TASKS = 4;

/** Everything needed to execute one run. */
export interface ExecuteOptions {
  /** The job whose DAG runs. */
  readonly job: JobSpec;
  /** The run's id (events, `PETIT_RUN_ID`, the scratch folder's name). */
  readonly runId: string;
  /** What started the run, for `job_started`. */
  readonly trigger: RunTrigger;
  /** Where the run's events go. */
  readonly bus: EventBus;
  /** Concurrent tasks in this run; {@linkcode DEFAULT_MAX_TASKS} when absent. */
  readonly maxTasks?: number;
  /** Cancels the run: no new task starts, running process groups are terminated. */
  readonly signal?: AbortSignal;
  /** `pt`'s environment, the bottom layer of every task's environment. */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /** The schedule slot, exported as PETIT_SCHEDULED_FOR. */
  readonly scheduledFor?: number | null;
  /** Bytes kept per stream per attempt; `DEFAULT_MAX_LOG_BYTES` (1 MiB) when absent. */
  readonly maxLogBytes?: number;
  /** SIGTERM → SIGKILL delay for timeouts and cancellation; `DEFAULT_KILL_GRACE_MS` (5 s). */
  readonly killGraceMs?: number;
  /** Tasks that already succeeded in an earlier run (retry): not run again. */
  readonly kept?: ReadonlyMap<string, TaskInput>;
  /** The run's parameters: `{{ params.NAME }}` and `PETIT_PARAM_<NAME>`. None when absent. */
  readonly params?: Readonly<Record<string, string>>;
  /** Starts the child runs of sub-job tasks (the scheduler); they fail without it. */
  readonly childRuns?: ChildRuns;
  /** The cluster client of Kubernetes tasks (see `AttemptContext.kubernetes`). */
  readonly kubernetes?: () => Promise<KubeClient>;
  /** Receives each complete line of task output as it arrives. */
  readonly onLine?: (taskId: string, stream: "stdout" | "stderr", line: string) => void;
  /**
   * Where each attempt is registered as it begins, so its output can be read while it runs
   * (the API's logs route); the registry ends it when its ending event is published.
   */
  readonly live?: LiveLogs;
  /**
   * Runs one attempt of a task; {@linkcode runAttemptByType} (processes for command tasks,
   * code for TypeScript tasks) when absent. Tests pass a fake to drive the DAG alone.
   */
  readonly runAttempt?: RunAttempt;
}

/** The result of a run. */
export interface RunResult {
  /** The run. */
  readonly runId: string;
  /**
   * How it ended. `skipped` only for a scheduled run whose slot claim could not be
   * committed: the scheduler never started it.
   */
  readonly status: Exclude<RunStatus, "running" | "interrupted">;
  /** Wall time in milliseconds. */
  readonly durationMs: number;
  /** Why it failed, or null. */
  readonly error: string | null;
  /** The tasks. */
  readonly tasks: ReadonlyMap<string, TaskOutcome>;
  /**
   * Process groups the run left behind (daemons detached from their task's group that still
   * carried its PETIT_RUN_ID), terminated after the run ended.
   */
  readonly leftoverGroups: number;
}

/** Executes the DAG of `options.job` and resolves when every task has finished. */
export async function executeRun(options: ExecuteOptions): Promise<RunResult> {
  return await new RunExecution(options).run();
}

class RunExecution {
  readonly #o: ExecuteOptions;
  readonly #tasks: ReadonlyMap<string, TaskSpec>;
  readonly #dependents = new Map<string, string[]>();
  readonly #waiting = new Map<string, number>();
  readonly #outcomes = new Map<string, TaskOutcome>();
  readonly #inputs = new Map<string, TaskInput>();
  /** Finished tasks of this run that wrote outputs (PETIT_OUT_* for their dependents). */
  #withOutputs = 0;
  readonly #ready: string[] = [];
  readonly #maxTasks: number;
  readonly #runAttempt: RunAttempt;
  #running = 0;
  #runDir: string | null = null;
  /** pt's environment, read once per run (Deno.env.toObject() per task: ~40 µs each). */
  #baseEnv: Readonly<Record<string, string>> | null = null;
  #finish: (() => void) | null = null;
  /** An attempt started a process: the run may have left some behind. */
  #spawned = false;
  /** The values of the job's `env_file`, read when the run starts. */
  #jobFileEnv: Readonly<Record<string, string>> = {};
  /** The job's secret values from `pt`'s environment and the job's layers, or null. */
  #mask: SecretMask | null = null;
  /** Why the run failed before any task ran (its env_file), or null. */
  #failure: string | null = null;

  constructor(options: ExecuteOptions) {
    this.#o = options;
    this.#tasks = new Map(options.job.tasks.map((t) => [t.id, t]));
    this.#maxTasks = Math.max(1, options.maxTasks ?? DEFAULT_MAX_TASKS);
    this.#runAttempt = options.runAttempt ?? runAttemptByType;
    for (const task of options.job.tasks) {
      this.#waiting.set(task.id, task.dependsOn.length);
      for (const dep of task.dependsOn) {
        const list = this.#dependents.get(dep) ?? [];
        list.push(task.id);
        this.#dependents.set(dep, list);
      }
    }
  }

  async run(): Promise<RunResult> {
    const { job, runId, bus } = this.#o;
    const started = performance.now();
    const kept = this.#o.kept ?? new Map<string, TaskInput>();
    bus.publish({
      type: "job_started",
      at: Date.now(),
      job_id: job.id,
      run_id: runId,
      trigger: this.#o.trigger,
      task_ids: job.tasks.map((t) => t.id),
      kept_task_ids: [...kept.keys()].filter((id) => this.#tasks.has(id)),
    });
    // Synchronous, as the removal below: a mkdir of a local temp folder takes microseconds,
    // while each async call is a trip through Deno's blocking-thread pool, whose threads
    // (and their malloc arenas) come and go under steady load (bench/README.md, issue 11).
    this.#runDir = Deno.makeTempDirSync({ prefix: `petit-${runId}-` });
    const done = new Promise<void>((resolve) => (this.#finish = resolve));
    const onAbort = () => this.#cancelPending();
    this.#o.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      this.#failure = await this.#prepare();
      if (this.#failure !== null) this.#skipAll(`the run failed: ${this.#failure}`);
      // Kept tasks finish first, in file order, so their dependents see them as done.
      for (const task of job.tasks) {
        if (this.#failure !== null) break;
        const input = kept.get(task.id);
        if (input?.status === "completed") {
          const outcome: TaskOutcome = { ...input, status: "completed", attempts: 0, error: null };
          this.#outcomes.set(task.id, outcome);
          if (hasOutputs(outcome)) this.#withOutputs++;
        }
      }
      for (const id of this.#outcomes.keys()) this.#release(id);
      // Roots only: a task whose dependencies were all kept was enqueued by #release.
      for (const task of job.tasks) {
        if (this.#failure !== null) break;
        if (!this.#outcomes.has(task.id) && task.dependsOn.length === 0) this.#enqueue(task.id);
      }
      this.#pump();
      if (this.#o.signal?.aborted) this.#cancelPending();
      this.#checkDone();
      await done;
    } finally {
      this.#o.signal?.removeEventListener("abort", onAbort);
      try {
        Deno.removeSync(this.#runDir, { recursive: true });
      } catch {
        // Gone already, or not ours to remove: nothing to clean.
      }
    }
    const durationMs = Math.round(performance.now() - started);
    const outcomes = [...this.#outcomes.values()];
    const failed = job.tasks.find((t) => this.#outcomes.get(t.id)?.status === "failed");
    const cancelled = outcomes.some((o) => o.status === "cancelled");
    const status = this.#failure !== null
      ? "failed"
      : cancelled
      ? "cancelled"
      : failed
      ? "failed"
      : "completed";
    const error = this.#failure !== null
      ? this.#failure
      : cancelled
      ? "cancelled"
      : failed
      ? `task "${failed.id}" failed: ${this.#outcomes.get(failed.id)!.error}`
      : null;
    bus.publish({
      type: "job_completed",
      at: Date.now(),
      job_id: job.id,
      run_id: runId,
      success: status === "completed",
      status,
      duration_ms: durationMs,
      error,
    });
    // Daemons a task detached (setsid, double fork) escape its group's kill sequence but
    // still carry PETIT_RUN_ID: one process-table scan per run end (a few ms, shared by runs
    // ending together) finds them. `done` waits for them, so shutdown does too.
    const leftoverGroups = this.#spawned
      ? await terminateLeftovers(runId, this.#o.killGraceMs ?? DEFAULT_KILL_GRACE_MS)
      : 0;
    return { runId, status, durationMs, error, tasks: this.#outcomes, leftoverGroups };
  }

  /**
   * What the run needs before its first task: the job's `env_file` and its secret values.
   * Returns why the run cannot start, or null.
   */
  async #prepare(): Promise<string | null> {
    const job = this.#o.job;
    let failure: string | null = null;
    if (job.envFile) {
      try {
        this.#jobFileEnv = await readEnvFile(job.envFile);
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
    }
    const secrets = job.secrets ?? [];
    if (secrets.length > 0) {
      this.#mask = SecretMask.fromEnv(secrets, [
        this.#env(),
        this.#jobFileEnv,
        job.environment,
      ]);
    }
    return failure === null || this.#mask === null ? failure : this.#mask.text(failure);
  }

  /** pt's environment, read once per run. */
  #env(): Readonly<Record<string, string>> {
    return this.#baseEnv ??= this.#o.baseEnv ?? Deno.env.toObject();
  }

  /** Skips every task (the run failed before any could start), with `reason`. */
  #skipAll(reason: string): void {
    for (const task of this.#o.job.tasks) {
      this.#outcomes.set(task.id, {
        status: "skipped",
        attempts: 0,
        exitCode: null,
        error: null,
        stdout: "",
        outputs: {},
      });
      this.#o.bus.publish({
        type: "task_skipped",
        at: Date.now(),
        job_id: this.#o.job.id,
        run_id: this.#o.runId,
        task_id: task.id,
        reason,
      });
    }
  }

  /** A task whose dependencies are all finished: start it, or skip it if its condition fails. */
  #enqueue(id: string): void {
    const task = this.#tasks.get(id)!;
    const reason = this.#skipReason(task);
    if (reason === null) {
      this.#ready.push(id);
      return;
    }
    this.#settle(id, {
      status: "skipped",
      attempts: 0,
      exitCode: null,
      error: null,
      stdout: "",
      outputs: {},
    });
    this.#o.bus.publish({
      type: "task_skipped",
      at: Date.now(),
      job_id: this.#o.job.id,
      run_id: this.#o.runId,
      task_id: id,
      reason,
    });
  }

  #skipReason(task: TaskSpec): string | null {
    const deps = task.dependsOn.map((d) => [d, this.#outcomes.get(d)!.status] as const);
    switch (task.condition) {
      case "all_success": {
        const bad = deps.find(([, s]) => s !== "completed");
        return bad ? `dependency "${bad[0]}" ${bad[1]} (condition all_success)` : null;
      }
      case "on_failure":
        return deps.some(([, s]) => s === "failed")
          ? null
          : "no dependency failed (condition on_failure)";
      case "all_done":
        return null;
    }
  }

  #pump(): void {
    while (this.#running < this.#maxTasks && this.#ready.length > 0 && !this.#o.signal?.aborted) {
      const id = this.#ready.shift()!;
      this.#running++;
      this.#runTask(this.#tasks.get(id)!).then((outcome) => {
        this.#running--;
        this.#settle(id, outcome);
        this.#pump();
        this.#checkDone();
      });
    }
  }

  /** Records a finished task and enqueues dependents that became ready. */
  #settle(id: string, outcome: TaskOutcome): void {
    this.#outcomes.set(id, outcome);
    if (hasOutputs(outcome)) this.#withOutputs++;
    this.#release(id);
  }

  #release(id: string): void {
    for (const dependent of this.#dependents.get(id) ?? []) {
      const left = this.#waiting.get(dependent)! - 1;
      this.#waiting.set(dependent, left);
      if (left === 0 && !this.#outcomes.has(dependent)) this.#enqueue(dependent);
    }
  }

  #cancelPending(): void {
    for (const task of this.#o.job.tasks) {
      if (this.#outcomes.has(task.id) || this.#isRunning(task.id)) continue;
      this.#outcomes.set(task.id, {
        status: "cancelled",
        attempts: 0,
        exitCode: null,
        error: "cancelled",
        stdout: "",
        outputs: {},
      });
      this.#o.bus.publish({
        type: "task_cancelled",
        at: Date.now(),
        job_id: this.#o.job.id,
        run_id: this.#o.runId,
        task_id: task.id,
        attempts: 0,
        logs: null,
      });
    }
    this.#ready.length = 0;
    this.#checkDone();
  }

  readonly #active = new Set<string>();
  #isRunning(id: string): boolean {
    return this.#active.has(id);
  }

  #checkDone(): void {
    if (this.#running === 0 && this.#outcomes.size === this.#tasks.size) this.#finish?.();
  }

  /** Runs every attempt of one task, retrying per its policy. */
  async #runTask(task: TaskSpec): Promise<TaskOutcome> {
    this.#active.add(task.id);
    try {
      return await runTaskAttempts(task, {
        bus: this.#o.bus,
        jobId: this.#o.job.id,
        runId: this.#o.runId,
        signal: this.#o.signal,
        attempt: (attempt) => this.#attempt(task, attempt),
      });
    } finally {
      this.#active.delete(task.id);
    }
  }

  /**
   * Builds the context of one attempt and runs it; `task_started` is published once. The
   * task's `env_file` is read first (a file that cannot be read fails the attempt), and the
   * result's error and output are masked with the secret values.
   */
  #attempt(task: TaskSpec, attempt: number): Promise<AttemptResult> {
    // Without env files or secrets, no extra step: the attempt's result reaches the runner as
    // soon as before (the test harness tells idle runs by how soon results come back).
    if (!task.envFile && (this.#o.job.secrets ?? []).length === 0) {
      return this.#run(task, attempt, {}, null);
    }
    return this.#attemptWithFiles(task, attempt);
  }

  /** {@link #attempt} with the task's env file read first and the secrets masked. */
  async #attemptWithFiles(task: TaskSpec, attempt: number): Promise<AttemptResult> {
    let taskFileEnv: Readonly<Record<string, string>> = {};
    if (task.envFile) {
      try {
        taskFileEnv = await readEnvFile(task.envFile);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        return this.#notStarted(task, attempt, this.#mask ? this.#mask.text(error) : error);
      }
    }
    // The task's own layers may hold more secret values than the run's.
    const own = secretValues(this.#o.job.secrets ?? [], [
      taskFileEnv,
      task.command?.environment ?? {},
    ]);
    const attemptMask = own.length === 0
      ? this.#mask
      : this.#mask
      ? this.#mask.with(own)
      : SecretMask.of(own);
    try {
      const result = await this.#run(task, attempt, taskFileEnv, attemptMask);
      return attemptMask ? maskResult(result, attemptMask) : result;
    } catch (err) {
      // task_attempts turns a rejection into a failed attempt with this message.
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(attemptMask ? attemptMask.text(message) : message);
    }
  }

  /** A failed attempt that never started (its env_file could not be read). */
  #notStarted(task: TaskSpec, attempt: number, error: string): AttemptResult {
    this.#o.bus.publish({
      type: "task_started",
      at: Date.now(),
      job_id: this.#o.job.id,
      run_id: this.#o.runId,
      task_id: task.id,
      attempt,
      pgid: null,
      proc_start: null,
    });
    return {
      ok: false,
      cancelled: false,
      transient: false,
      exitCode: null,
      error,
      logs: emptyLogs(Date.now()),
    };
  }

  /** Runs one attempt with its context. */
  async #run(
    task: TaskSpec,
    attempt: number,
    taskFileEnv: Readonly<Record<string, string>>,
    mask: SecretMask | null,
  ): Promise<AttemptResult> {
    const { job, runId, bus } = this.#o;
    const templates = this.#templateContext(task);
    const outputFile = join(this.#runDir!, `${task.id}.${attempt}.out`);
    const onLine = this.#o.onLine;
    // Registered before the attempt starts, so it is there when `task_started` is published.
    const live = this.#o.live?.begin(runId, task.id, attempt);
    let reported = false;
    return await this.#runAttempt(task, {
      job,
      runId,
      attempt,
      templates,
      baseEnv: () => this.#env(),
      runDir: this.#runDir!,
      outputFile,
      scheduledFor: this.#o.scheduledFor ?? null,
      timeoutMs: task.timeoutMs,
      signal: this.#o.signal,
      maxLogBytes: this.#o.maxLogBytes,
      killGraceMs: this.#o.killGraceMs,
      fileEnv: { job: this.#jobFileEnv, task: taskFileEnv },
      mask,
      childRuns: this.#o.childRuns,
      kubernetes: this.#o.kubernetes,
      onLine: onLine ? (stream, line) => onLine(task.id, stream, line) : undefined,
      onCapture: live ? (output) => live.attach(output) : undefined,
      started: ({ pgid, procStart }) => {
        if (pgid !== null) this.#spawned = true;
        if (reported) return;
        reported = true;
        bus.publish({
          type: "task_started",
          at: Date.now(),
          job_id: job.id,
          run_id: runId,
          task_id: task.id,
          attempt,
          pgid,
          proc_start: procStart,
        });
      },
    });
  }

  /**
   * Finished upstream tasks, direct and transitive (for templates and PETIT_OUT_*), found
   * only when something reads them: in a chain of n tasks, building each task's map up
   * front was O(n²) work and garbage (12.5 million entries for 5,000 tasks) although a
   * plain command reads none of it. `upstreamOutputs` answers at once while no task of the
   * run has written outputs, so the environment of a task does not build the map either.
   */
  #templateContext(task: TaskSpec): TemplateContext {
    const tasks = new UpstreamTasks(() => this.#upstream(task));
    return {
      jobId: this.#o.job.id,
      runId: this.#o.runId,
      config: this.#o.job.config,
      params: this.#o.params ?? {},
      tasks,
      upstreamOutputs: () => this.#withOutputs === 0 ? [] : tasks.withOutputs(),
    };
  }

  /** The finished upstream tasks of `task`, nearest first, as a map. */
  #upstream(task: TaskSpec): Map<string, TaskInput> {
    const tasks = new Map<string, TaskInput>();
    const seen = new Set<string>();
    const todo = [...task.dependsOn];
    while (todo.length > 0) {
      const id = todo.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const input = this.#input(id);
      if (input) tasks.set(id, input);
      for (const dep of this.#tasks.get(id)?.dependsOn ?? []) todo.push(dep);
    }
    return tasks;
  }

  /**
   * What a finished task offers its dependents, built once per task: in a long chain every
   * task sees all its ancestors, and a fresh object per (task, ancestor) pair was O(n²)
   * garbage. Null for unfinished and cancelled tasks.
   */
  #input(id: string): TaskInput | null {
    const cached = this.#inputs.get(id);
    if (cached) return cached;
    const o = this.#outcomes.get(id);
    if (!o || o.status === "cancelled") return null;
    const input: TaskInput = {
      status: o.status,
      stdout: o.stdout,
      exitCode: o.exitCode,
      outputs: o.outputs,
    };
    this.#inputs.set(id, input);
    return input;
  }
}

/** `result` with its error and output masked (attempts without a capture of their own). */
function maskResult(result: AttemptResult, mask: SecretMask): AttemptResult {
  const { logs } = result;
  return {
    ...result,
    error: mask.text(result.error),
    logs: { ...logs, stdout: mask.text(logs.stdout), stderr: mask.text(logs.stderr) },
  };
}

/** Whether a finished task wrote outputs. */
function hasOutputs(outcome: TaskOutcome): boolean {
  for (const _ in outcome.outputs) return true;
  return false;
}

/**
 * A task's finished upstream tasks (`TemplateContext.tasks`, a TypeScript task's `inputs`),
 * found on first use: most tasks never read them.
 */
class UpstreamTasks implements ReadonlyMap<string, TaskInput> {
  #build: (() => Map<string, TaskInput>) | null;
  #map: Map<string, TaskInput> | null = null;

  constructor(build: () => Map<string, TaskInput>) {
    this.#build = build;
  }

  #all(): Map<string, TaskInput> {
    if (this.#map === null) {
      this.#map = this.#build!();
      this.#build = null;
    }
    return this.#map;
  }

  /** The entries with outputs, in the map's order. */
  withOutputs(): [string, TaskInput][] {
    return [...this.#all()].filter(([, input]) => Object.keys(input.outputs).length > 0);
  }

  get size(): number {
    return this.#all().size;
  }
  get(id: string): TaskInput | undefined {
    return this.#all().get(id);
  }
  has(id: string): boolean {
    return this.#all().has(id);
  }
  forEach(
    fn: (value: TaskInput, key: string, map: ReadonlyMap<string, TaskInput>) => void,
    thisArg?: unknown,
  ): void {
    for (const [key, value] of this.#all()) fn.call(thisArg, value, key, this);
  }
  entries(): MapIterator<[string, TaskInput]> {
    return this.#all().entries();
  }
  keys(): MapIterator<string> {
    return this.#all().keys();
  }
  values(): MapIterator<TaskInput> {
    return this.#all().values();
  }
  [Symbol.iterator](): MapIterator<[string, TaskInput]> {
    return this.#all()[Symbol.iterator]();
  }
}
