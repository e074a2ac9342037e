/**
 * Runs one job's DAG. A task starts as soon as its dependencies have finished and its
 * condition holds (no waves), within the per-run task limit. The runner only publishes
 * events; storage and terminal output are subscribers of the bus.
 *
 * @module
 */

import { join } from "node:path";
import type { JobSpec, TaskInput, TaskSpec } from "../core/model.ts";
import type { TemplateContext } from "../core/template.ts";
import type { EventBus } from "../events/bus.ts";
import type { AttemptLogs } from "../events/types.ts";
import type { RunStatus, RunTrigger } from "../storage/types.ts";
import { prepareCommand, readOutputs } from "./command.ts";
import { runProcess } from "./process.ts";

/** Final state of one task in a run. */
export type TaskOutcomeStatus = "completed" | "failed" | "skipped" | "cancelled";

/** What a task ended with. */
export interface TaskOutcome {
  /** How it ended. */
  readonly status: TaskOutcomeStatus;
  /** Executions made (1 = no retry). */
  readonly attempts: number;
  /** Exit code, or null when none. */
  readonly exitCode: number | null;
  /** Why it failed, or null. */
  readonly error: string | null;
  /** Captured standard output (kept part). */
  readonly stdout: string;
  /** `key=value` outputs. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** Everything needed to execute one run. */
export interface ExecuteOptions {
  readonly job: JobSpec;
  readonly runId: string;
  readonly trigger: RunTrigger;
  readonly bus: EventBus;
  /** Concurrent tasks in this run (default 4). */
  readonly maxTasks?: number;
  /** Cancels the run: no new task starts, running process groups are terminated. */
  readonly signal?: AbortSignal;
  /** `pt`'s environment, the bottom layer of every task's environment. */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /** The schedule slot, exported as PETIT_SCHEDULED_FOR. */
  readonly scheduledFor?: number | null;
  /** Bytes kept per stream per attempt (default 1 MiB). */
  readonly maxLogBytes?: number;
  /** SIGTERM → SIGKILL delay for timeouts and cancellation (default 5 s). */
  readonly killGraceMs?: number;
  /** Tasks that already succeeded in an earlier run (retry): not run again. */
  readonly kept?: ReadonlyMap<string, TaskInput>;
  /** Receives each complete line of task output as it arrives. */
  readonly onLine?: (taskId: string, stream: "stdout" | "stderr", line: string) => void;
}

/** The result of a run. */
export interface RunResult {
  /** The run. */
  readonly runId: string;
  /** How it ended. */
  readonly status: Exclude<RunStatus, "running" | "skipped" | "interrupted">;
  /** Wall time in milliseconds. */
  readonly durationMs: number;
  /** Why it failed, or null. */
  readonly error: string | null;
  /** The tasks. */
  readonly tasks: ReadonlyMap<string, TaskOutcome>;
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
  readonly #ready: string[] = [];
  readonly #maxTasks: number;
  #running = 0;
  #runDir: string | null = null;
  /** pt's environment, read once per run (Deno.env.toObject() per task: ~40 µs each). */
  #baseEnv: Readonly<Record<string, string>> | null = null;
  #finish: (() => void) | null = null;

  constructor(options: ExecuteOptions) {
    this.#o = options;
    this.#tasks = new Map(options.job.tasks.map((t) => [t.id, t]));
    this.#maxTasks = Math.max(1, options.maxTasks ?? 4);
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
    this.#runDir = await Deno.makeTempDir({ prefix: `petit-${runId}-` });
    const done = new Promise<void>((resolve) => (this.#finish = resolve));
    const onAbort = () => this.#cancelPending();
    this.#o.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      // Kept tasks finish first, in file order, so their dependents see them as done.
      for (const task of job.tasks) {
        const input = kept.get(task.id);
        if (input?.status === "completed") {
          this.#outcomes.set(task.id, { ...input, status: "completed", attempts: 0, error: null });
        }
      }
      for (const id of this.#outcomes.keys()) this.#release(id);
      // Roots only: a task whose dependencies were all kept was enqueued by #release.
      for (const task of job.tasks) {
        if (!this.#outcomes.has(task.id) && task.dependsOn.length === 0) this.#enqueue(task.id);
      }
      this.#pump();
      if (this.#o.signal?.aborted) this.#cancelPending();
      this.#checkDone();
      await done;
    } finally {
      this.#o.signal?.removeEventListener("abort", onAbort);
      await Deno.remove(this.#runDir, { recursive: true }).catch(() => {});
    }
    const durationMs = Math.round(performance.now() - started);
    const outcomes = [...this.#outcomes.values()];
    const failed = job.tasks.find((t) => this.#outcomes.get(t.id)?.status === "failed");
    const cancelled = outcomes.some((o) => o.status === "cancelled");
    const status = cancelled ? "cancelled" : failed ? "failed" : "completed";
    const error = cancelled
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
    return { runId, status, durationMs, error, tasks: this.#outcomes };
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
      return await this.#attempts(task);
    } finally {
      this.#active.delete(task.id);
    }
  }

  async #attempts(task: TaskSpec): Promise<TaskOutcome> {
    const { job, runId, bus } = this.#o;
    const ids = { job_id: job.id, run_id: runId, task_id: task.id };
    const total = task.retry.maxAttempts + 1;
    const firstStart = performance.now();
    for (let attempt = 1;; attempt++) {
      const result = await this.#attempt(task, attempt).catch((err) => internalFailure(err));
      const durationMs = Math.round(performance.now() - firstStart);
      if (result.ok) {
        bus.publish({
          type: "task_completed",
          at: Date.now(),
          ...ids,
          attempts: attempt,
          duration_ms: durationMs,
          exit_code: result.exitCode,
          logs: result.logs,
        });
        return outcome("completed", attempt, result);
      }
      if (result.cancelled) {
        bus.publish({
          type: "task_cancelled",
          at: Date.now(),
          ...ids,
          attempts: attempt,
          logs: result.logs,
        });
        return outcome("cancelled", attempt, result);
      }
      if (attempt < total && retryable(task, result)) {
        const delayMs = retryDelay(task, attempt);
        bus.publish({
          type: "task_retrying",
          at: Date.now(),
          ...ids,
          attempt,
          max: total,
          delay_ms: delayMs,
          exit_code: result.exitCode,
          error: result.error,
          logs: result.logs,
        });
        if (await sleep(delayMs, this.#o.signal)) continue;
        // Cancelled while waiting for the retry.
        bus.publish({
          type: "task_cancelled",
          at: Date.now(),
          ...ids,
          attempts: attempt,
          logs: null,
        });
        return outcome("cancelled", attempt, { ...result, error: "cancelled" });
      }
      bus.publish({
        type: "task_failed",
        at: Date.now(),
        ...ids,
        attempts: attempt,
        duration_ms: durationMs,
        exit_code: result.exitCode,
        error: result.error,
        stderr_tail: tail(result.logs.stderr),
        logs: result.logs,
      });
      return outcome("failed", attempt, result);
    }
  }

  async #attempt(task: TaskSpec, attempt: number): Promise<AttemptResult> {
    const { job, runId, bus } = this.#o;
    const templates = this.#templateContext(task);
    const outputFile = join(this.#runDir!, `${task.id}.${attempt}.out`);
    const startedAt = Date.now();
    const publishStarted = (pgid: number | null, procStart: string | null) =>
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
    if (task.custom) {
      publishStarted(null, null);
      return await runCustom(task, attempt, this.#o, templates, startedAt);
    }
    const prepared = await prepareCommand({
      job,
      task,
      runId,
      attempt,
      baseEnv: this.#baseEnv ??= this.#o.baseEnv ?? Deno.env.toObject(),
      templates,
      outputFile,
      runDir: this.#runDir!,
      scheduledFor: this.#o.scheduledFor ?? null,
    });
    let started = false;
    const onLine = this.#o.onLine;
    const result = await runProcess({
      program: prepared.program,
      args: prepared.args,
      cwd: prepared.cwd,
      env: prepared.env,
      timeoutMs: task.timeoutMs,
      killGraceMs: this.#o.killGraceMs,
      maxLogBytes: this.#o.maxLogBytes,
      signal: this.#o.signal,
      onStart: ({ pgid, procStart }) => {
        started = true;
        publishStarted(pgid, procStart);
      },
      onLine: onLine ? (stream, line) => onLine(task.id, stream, line) : undefined,
    });
    if (!started) publishStarted(null, null);
    const outputs = result.startError ? {} : await readOutputs(outputFile);
    const logs: AttemptLogs = {
      started_at: startedAt,
      ended_at: Date.now(),
      stdout: result.stdout,
      stderr: result.stderr,
      stdout_truncated: result.stdoutTruncated,
      stderr_truncated: result.stderrTruncated,
      stdout_bytes: result.stdoutBytes,
      stderr_bytes: result.stderrBytes,
      outputs,
    };
    const error = result.startError ??
      (result.cancelled
        ? "cancelled"
        : result.timedOut
        ? `timed out after ${task.timeoutMs} ms`
        : result.exitCode !== 0
        ? (result.exitCode === null
          ? `killed by ${result.signal ?? "a signal"}`
          : `exit code ${result.exitCode}`)
        : null);
    return {
      ok: error === null,
      cancelled: result.cancelled,
      transient: result.timedOut || result.startError !== null,
      exitCode: result.exitCode,
      error: error ?? "",
      logs,
    };
  }

  /** Finished upstream tasks, direct and transitive (for templates and PETIT_OUT_*). */
  #templateContext(task: TaskSpec): TemplateContext {
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
    return { jobId: this.#o.job.id, runId: this.#o.runId, config: this.#o.job.config, tasks };
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

interface AttemptResult {
  ok: boolean;
  cancelled: boolean;
  /** Timeouts and failures to start: what `transient_only` retries. */
  transient: boolean;
  exitCode: number | null;
  error: string;
  logs: AttemptLogs;
}

/** An unexpected error while preparing an attempt fails the task, never the runner. */
function internalFailure(err: unknown): AttemptResult {
  const message = err instanceof Error ? err.message : String(err);
  const now = Date.now();
  return {
    ok: false,
    cancelled: false,
    transient: true,
    exitCode: null,
    error: `could not start: ${message}`,
    logs: {
      started_at: now,
      ended_at: now,
      stdout: "",
      stderr: "",
      stdout_truncated: false,
      stderr_truncated: false,
      stdout_bytes: 0,
      stderr_bytes: 0,
      outputs: {},
    },
  };
}

function outcome(status: TaskOutcomeStatus, attempts: number, r: AttemptResult): TaskOutcome {
  return {
    status,
    attempts,
    exitCode: r.exitCode,
    error: status === "completed" ? null : r.error,
    stdout: r.logs.stdout,
    outputs: r.logs.outputs,
  };
}

function retryable(task: TaskSpec, r: AttemptResult): boolean {
  switch (task.retry.condition) {
    case "always":
      return true;
    case "transient_only":
      return r.transient;
    case "never":
      return false;
  }
}

/** Delay before retry number `attempt` (1 = the first retry). */
export function retryDelay(task: TaskSpec, attempt: number): number {
  const { delayMs, backoff, maxDelayMs } = task.retry;
  const delay = backoff === "exponential" ? delayMs * 2 ** (attempt - 1) : delayMs;
  return maxDelayMs === null ? delay : Math.min(delay, maxDelayMs);
}

/** Waits; false when the signal fired first. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The last lines of stderr (at most 10 lines / 2 KB) for failure messages. */
function tail(text: string): string {
  const lines = text.trimEnd().split("\n").slice(-10).join("\n");
  return lines.length > 2048 ? lines.slice(-2048) : lines;
}

/** Runs one attempt of a TypeScript task with the same timeout and cancellation rules. */
async function runCustom(
  task: TaskSpec,
  attempt: number,
  o: ExecuteOptions,
  templates: TemplateContext,
  startedAt: number,
): Promise<AttemptResult> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(new Error("cancelled"));
  o.signal?.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  const timer = task.timeoutMs !== null
    ? setTimeout(() => {
      timedOut = true;
      controller.abort(new Error("timeout"));
    }, task.timeoutMs)
    : null;
  const outputs: Record<string, string> = {};
  const lines: string[] = [];
  let error: string | null = null;
  try {
    const work = Promise.resolve(task.custom!.execute({
      jobId: o.job.id,
      runId: o.runId,
      taskId: task.id,
      attempt,
      config: o.job.config,
      inputs: templates.tasks as ReadonlyMap<string, TaskInput>,
      outputs: {
        set: (k, v) => void (outputs[k] = String(v)),
        get: (k) => outputs[k],
      },
      signal: controller.signal,
      log: (line) => {
        lines.push(line);
        o.onLine?.(task.id, "stdout", line);
      },
    }));
    const aborted = new Promise<never>((_, reject) => {
      if (controller.signal.aborted) reject(controller.signal.reason);
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), {
        once: true,
      });
    });
    await Promise.race([work, aborted]);
  } catch (err) {
    error = timedOut
      ? `timed out after ${task.timeoutMs} ms`
      : controller.signal.aborted
      ? "cancelled"
      : err instanceof Error
      ? err.message
      : String(err);
  } finally {
    if (timer !== null) clearTimeout(timer);
    o.signal?.removeEventListener("abort", onAbort);
  }
  const stdout = lines.length ? lines.join("\n") + "\n" : "";
  return {
    ok: error === null,
    cancelled: error === "cancelled",
    transient: timedOut,
    exitCode: null,
    error: error ?? "",
    logs: {
      started_at: startedAt,
      ended_at: Date.now(),
      stdout,
      stderr: error && !timedOut && error !== "cancelled" ? `${error}\n` : "",
      stdout_truncated: false,
      stderr_truncated: false,
      stdout_bytes: stdout.length,
      stderr_bytes: 0,
      outputs,
    },
  };
}
