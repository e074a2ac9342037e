/**
 * The failures a `Storage` (`./types.ts`) reports that callers handle: a schedule slot already
 * taken, a run id that does not exist, a run id that exists already, writes a full disk keeps
 * out. Both backends throw these classes, so callers test `instanceof`, never the message.
 *
 * @module
 */

/**
 * Thrown by `Storage.insertRun` when the job already has a run for that schedule slot
 * (`job_id` + `scheduled_for`): another scheduler (or process) claimed the fire first.
 */
export class SlotTakenError extends Error {
  /** The job whose slot was taken. */
  readonly jobId: string;
  /** The slot (epoch ms). */
  readonly scheduledFor: number;

  /** Builds the error for `jobId` at slot `scheduledFor`. */
  constructor(jobId: string, scheduledFor: number, options?: ErrorOptions) {
    const when = Number.isFinite(scheduledFor)
      ? new Date(scheduledFor).toISOString()
      : String(scheduledFor);
    super(`job ${jobId} already has a run for the slot ${when}`, options);
    this.name = "SlotTakenError";
    this.jobId = jobId;
    this.scheduledFor = scheduledFor;
  }
}

/**
 * Thrown by writes that name a run the store does not have (never stored, or pruned):
 * `Storage.updateRun` and the task, attempt and output writes of that run.
 */
export class RunNotFoundError extends Error {
  /** The unknown run. */
  readonly runId: string;

  /** Builds the error for `runId`. */
  constructor(runId: string, options?: ErrorOptions) {
    super(`no run ${runId}`, options);
    this.name = "RunNotFoundError";
    this.runId = runId;
  }
}

/** Thrown by `Storage.insertRun` when a run with the same id is already stored. */
export class RunExistsError extends Error {
  /** The id that is taken. */
  readonly runId: string;

  /** Builds the error for `runId`. */
  constructor(runId: string, options?: ErrorOptions) {
    super(`run ${runId} already exists`, options);
    this.name = "RunExistsError";
    this.runId = runId;
  }
}

/**
 * Thrown by `Storage.flush` when buffered writes could not be committed: the disk is full or
 * reported an I/O error. The writes are not lost: the store keeps them in memory and commits
 * them once it can (see `StoreLifecycle.watchWrites`). Whoever needs them on disk before going
 * on (a slot claim before its run starts) must not go on.
 */
export class WritesNotCommittedError extends Error {
  /** Writes waiting in memory. */
  readonly pending: number;

  /** Builds the error for `pending` writes to `path`; `cause` is the SQLite error. */
  constructor(pending: number, path: string, options?: ErrorOptions) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(
      `petit: could not commit ${pending} write(s) to ${path} (${why}); they are kept in ` +
        "memory and retried (free disk space)",
      options,
    );
    this.name = "WritesNotCommittedError";
    this.pending = pending;
  }
}
