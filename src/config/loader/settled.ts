/**
 * The outcome of loading a folder, and the step that needs nothing of the loader: a settled
 * file (checked, its job built, plain data that can cross to another thread or process)
 * becomes a loaded job by parsing its schedule. `pt run` builds its jobs here from what a
 * short-lived loader process sends (`cli/run/`), so the parser and the schema library never
 * enter its heap: this module imports neither.
 *
 * @module
 */

import type { JobSpec } from "../../core/model.ts";
import { parseSchedule } from "../../schedule/schedule.ts";
import { type ConfigError, sortConfigErrors } from "../errors.ts";

/** The outcome of loading one file. */
export interface FileResult {
  /** The path as shown in messages (the folder as given, joined with the file name). */
  readonly file: string;
  /** The job id written in the file, if one could be read. */
  readonly jobId: string | null;
  /** The job, when the file is valid on its own and against the folder. */
  readonly job: JobSpec | null;
  /** The file's problems, sorted by position. */
  readonly errors: readonly ConfigError[];
}

/** The outcome of loading a folder. */
export interface LoadResult {
  /** Valid jobs, in file order. */
  readonly jobs: JobSpec[];
  /** Every problem, sorted by file and position. */
  readonly errors: ConfigError[];
  /** Per-file outcome, in file order. */
  readonly files: FileResult[];
}

/**
 * A file's outcome before its schedule is parsed: plain data, so that it can cross from the
 * worker that loads a folder for a reload (`off_thread.ts`). Its job's `schedule` is null
 * until {@link withSchedules} sets it from `schedule`.
 */
export interface SettledFile {
  /** The path as shown in messages. */
  readonly file: string;
  /** The job id written in the file, if one could be read. */
  readonly jobId: string | null;
  /** The job (with `schedule` null), when the file is valid on its own and in the folder. */
  readonly job: JobSpec | null;
  /** The schedule as written, when the job has one. */
  readonly schedule: { readonly expression: string; readonly timezone?: string } | null;
  /** The file's problems, sorted by position and capped. */
  readonly errors: readonly ConfigError[];
}

/** The load's result: each settled job with its schedule parsed (checked already). */
export function withSchedules(settled: readonly SettledFile[]): LoadResult {
  const files: FileResult[] = settled.map((f) => ({
    file: f.file,
    jobId: f.jobId,
    job: f.job && f.schedule
      ? { ...f.job, schedule: parseSchedule(f.schedule.expression, f.schedule.timezone) }
      : f.job,
    errors: f.errors,
  }));
  return {
    jobs: files.flatMap((f) => (f.job ? [f.job] : [])),
    errors: sortConfigErrors(files.flatMap((f) => [...f.errors])),
    files,
  };
}
