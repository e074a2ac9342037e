/**
 * What a sub-job task (`type: job`, `run_job.ts`) needs to run another job as a child run:
 * a narrow {@linkcode ChildRuns} that the attempt context carries and the scheduler provides
 * (the scheduler imports this type; the attempt never imports the scheduler). Types only.
 *
 * @module
 */

/** A child run to start. */
export interface ChildRunRequest {
  /** The job to run. */
  readonly jobId: string;
  /** Values of its parameters (rendered); checked against its `params` by the provider. */
  readonly params: Readonly<Record<string, string>>;
  /** The run of the sub-job task (the child's `parent_run_id`). */
  readonly parentRunId: string;
}

/** How a child run ended. */
export interface ChildRunEnd {
  /** Its final status (`skipped` only if it never executed). */
  readonly status: "completed" | "failed" | "cancelled" | "skipped";
  /** Why it did not complete, or null. */
  readonly error: string | null;
}

/** A child run that was started. */
export interface ChildRun {
  /** Its run id (the task's `run_id` output). */
  readonly runId: string;
  /** Settles when it has ended and been recorded. */
  readonly done: Promise<ChildRunEnd>;
  /** Cancels it (its process groups are terminated); nothing if it has ended. */
  cancel(): void;
}

/** Starts child runs for sub-job tasks. */
export interface ChildRuns {
  /**
   * Starts a run of `request.jobId` now (trigger `parent`). Throws an Error whose message
   * says why when it is refused: an unknown job, a limit (`max_concurrency`, `--max-jobs`),
   * params it does not take or does not match, or a scheduler shutting down.
   */
  start(request: ChildRunRequest): ChildRun;
}
