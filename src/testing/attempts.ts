/**
 * The {@linkcode RunAttempt} the test harness gives the scheduler: each attempt is scripted
 * (`scripts.ts`) or real (the task's own implementation), and whatever takes simulated time
 * (a script's duration or timeout, a retry delay) waits on the harness's {@link ManualClock}.
 * It also keeps count, per run, of attempts doing real work and of attempts waiting on the
 * clock: a run whose attempts all wait on the clock is idle until the clock moves, which is
 * how the harness knows when to move it. No I/O of its own (real attempts do theirs).
 *
 * @module
 */

import type { TaskSpec } from "../core/model.ts";
import type { AttemptContext, AttemptResult, RunAttempt } from "../exec/attempt/contract.ts";
import { retryDelay } from "../exec/task_attempts.ts";
import type { ManualClock } from "./manual_clock.ts";
import {
  type AttemptScript,
  cancelledResult,
  scriptedDuration,
  scriptedResult,
  scriptOf,
  SUCCEED,
  type TaskScript,
} from "./scripts.ts";

/** What the attempts need of the harness. */
export interface AttemptsHost {
  /** The clock simulated time passes on. */
  readonly clock: ManualClock;
  /**
   * The task as the harness was given it. The scheduler runs copies whose retry delay is 0
   * (the runner would wait it in real time): the real delay is waited here, on the clock.
   */
  task(jobId: string, taskId: string): TaskSpec | undefined;
  /** The task's script, if it has one. */
  script(jobId: string, taskId: string): TaskScript | undefined;
  /** Runs unscripted attempts for real; null: they succeed at once, with no output. */
  readonly real: RunAttempt | null;
}

/** Attempts of one run: doing real work, or waiting for the clock to move. */
interface Activity {
  working: number;
  waiting: number;
}

/** The harness's attempts and the bookkeeping that tells a busy run from a waiting one. */
export class HarnessAttempts {
  readonly #host: AttemptsHost;
  readonly #runs = new Map<string, Activity>();

  /** Attempts for `host`. */
  constructor(host: AttemptsHost) {
    this.#host = host;
  }

  /**
   * Whether every attempt of the run in progress waits on the clock (and at least one
   * does): nothing happens in it until the clock moves. A run with no attempt in progress
   * is between steps (starting, finishing, passing results on) and is not waiting.
   */
  waiting(runId: string): boolean {
    const a = this.#runs.get(runId);
    return a !== undefined && a.waiting > 0 && a.working === 0;
  }

  /** Drops the counts of a finished run. */
  forget(runId: string): void {
    this.#runs.delete(runId);
  }

  /** Runs one attempt: the retry delay first (attempts after the first), then the script. */
  readonly run: RunAttempt = async (task, ctx) => {
    const activity = this.#activity(ctx.runId);
    activity.working++;
    try {
      const clock = this.#host.clock;
      if (ctx.attempt > 1) {
        const spec = this.#host.task(ctx.job.id, task.id) ?? task;
        const waited = await this.#wait(activity, retryDelay(spec, ctx.attempt - 1), ctx.signal);
        if (!waited) return cancelledResult(clock.now());
      }
      const startedAt = clock.now();
      const script = scriptOf(this.#host.script(ctx.job.id, task.id), ctx.attempt);
      const real = this.#host.real;
      const result = script === null && real !== null
        ? await real(task, ctx)
        : await this.#scripted(script ?? SUCCEED, task, ctx, activity);
      // Real attempts read Date.now(): their log times are put on the clock too.
      return { ...result, logs: { ...result.logs, started_at: startedAt, ended_at: clock.now() } };
    } finally {
      activity.working--;
    }
  };

  async #scripted(
    script: AttemptScript,
    task: TaskSpec,
    ctx: AttemptContext,
    activity: Activity,
  ): Promise<AttemptResult> {
    const clock = this.#host.clock;
    if (ctx.signal?.aborted) return cancelledResult(clock.now());
    ctx.started({ pgid: null, procStart: null });
    const durationMs = scriptedDuration(script, task.timeoutMs);
    if (!await this.#wait(activity, durationMs, ctx.signal)) return cancelledResult(clock.now());
    return scriptedResult(script, task, durationMs, clock.now());
  }

  /**
   * Waits `ms` on the clock, counted as waiting rather than working; false when the run is
   * cancelled first. The counts change in the timer itself, so the harness, which checks
   * them right after moving the clock, never sees a woken attempt as still waiting.
   */
  #wait(activity: Activity, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (!(ms > 0)) return Promise.resolve(true);
    const clock = this.#host.clock;
    activity.working--;
    activity.waiting++;
    return new Promise((resolve) => {
      const wake = (waited: boolean): void => {
        clock.clearTimer(timer);
        signal?.removeEventListener("abort", onAbort);
        activity.waiting--;
        activity.working++;
        resolve(waited);
      };
      const onAbort = (): void => wake(false);
      const timer = clock.setTimer(() => wake(true), ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #activity(runId: string): Activity {
    let a = this.#runs.get(runId);
    if (!a) this.#runs.set(runId, a = { working: 0, waiting: 0 });
    return a;
  }
}
