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

/** Loads and validates every job file in `dir`. Throws JobsDirError when the folder is unreadable. */
export async function loadJobsDir(dir: string): Promise<LoadResult> {
  return combine(await analyzeFiles(await listJobFiles(dir)));
}

/** Loads jobs from in-memory file texts (paths are used for messages and working_dir). */
export function loadJobTexts(sources: readonly { file: string; text: string }[]): LoadResult {
  return combine(sources.map(({ file, text }) => analyzeJobFile(file, text)));
}

/** Adds the checks across files and builds the jobs of the files without errors. */
export function combine(analyzed: AnalyzedFile[]): LoadResult {
  crossCheck(analyzed);
  const files: FileResult[] = analyzed.map((p) => ({
    file: p.file,
    jobId: p.jobId,
    job: p.errors.length === 0 && p.data
      ? buildJob(
        p.file,
        p.data,
        p.schedule ? parseSchedule(p.schedule.expression, p.schedule.timezone) : null,
        p.deps,
      )
      : null,
    errors: sortConfigErrors(p.errors),
  }));
  return {
    jobs: files.flatMap((f) => (f.job ? [f.job] : [])),
    errors: sortConfigErrors(files.flatMap((f) => [...f.errors])),
    files,
  };
}

/** Loads a folder and throws JobConfigError listing every problem if any file is invalid. */
export async function loadJobsOrThrow(dir: string): Promise<JobSpec[]> {
  const result = await loadJobsDir(dir);
  if (result.errors.length > 0) throw new JobConfigError(result.errors);
  return result.jobs;
}
