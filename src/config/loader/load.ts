/**
 * Loading jobs: analyzes each file on its own (`analysis.ts`, in parse workers for big
 * folders), adds the checks across files (`cross_check.ts`) and builds the jobs of the files
 * without errors (`build.ts`). All problems in all files are collected in one pass.
 *
 * @module
 */

import type { JobSpec } from "../../core/model.ts";
import { parseSchedule } from "../../schedule/schedule.ts";
import { type ConfigError, JobConfigError, sortConfigErrors } from "../errors.ts";
import { type AnalyzedFile, analyzeJobFile } from "./analysis.ts";
import { buildJob } from "./build.ts";
import { crossCheck } from "./cross_check.ts";
import { finishErrors } from "./error_list.ts";
import type { HostTable } from "./host_rules.ts";
import { analyzeFiles, listJobFiles } from "./files.ts";

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
 * Loads and validates every job file in `dir`; `hosts` are the config file's `[hosts.NAME]`
 * that `host:` may name. Throws JobsDirError when the folder is unreadable.
 */
export async function loadJobsDir(dir: string, hosts: HostTable = {}): Promise<LoadResult> {
  return combine(await analyzeFiles(await listJobFiles(dir)), hosts);
}

/** Loads jobs from in-memory file texts (paths are used for messages and working_dir). */
export function loadJobTexts(
  sources: readonly { file: string; text: string }[],
  hosts: HostTable = {},
): LoadResult {
  return combine(sources.map(({ file, text }) => analyzeJobFile(file, text)), hosts);
}

/** Adds the checks across files and builds the jobs of the files without errors. */
export function combine(analyzed: AnalyzedFile[], hosts: HostTable = {}): LoadResult {
  return withSchedules(settle(analyzed, hosts));
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

/** The checks across files, each file's final error list, and the jobs without schedules. */
export function settle(analyzed: AnalyzedFile[], hosts: HostTable = {}): SettledFile[] {
  crossCheck(analyzed, hosts);
  return analyzed.map((p) => {
    const valid = p.errors.length === 0 && p.data !== null;
    return {
      file: p.file,
      jobId: p.jobId,
      job: valid ? buildJob(p.file, p.data!, null, p.deps, hosts) : null,
      schedule: valid ? p.schedule : null,
      errors: finishErrors(p.file, p.errors, p.omitted),
    };
  });
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

/** Loads a folder and throws JobConfigError listing every problem if any file is invalid. */
export async function loadJobsOrThrow(dir: string, hosts: HostTable = {}): Promise<JobSpec[]> {
  const result = await loadJobsDir(dir, hosts);
  if (result.errors.length > 0) throw new JobConfigError(result.errors);
  return result.jobs;
}
