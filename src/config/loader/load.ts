/**
 * Loading jobs: analyzes each file on its own (`analysis.ts`, in parse workers for big
 * folders), adds the checks across files (`cross_check.ts`) and builds the jobs of the files
 * without errors (`build.ts`). All problems in all files are collected in one pass.
 *
 * @module
 */

import type { JobSpec } from "../../core/model.ts";
import { JobConfigError } from "../errors.ts";
import { type AnalyzedFile, analyzeJobFile } from "./analysis.ts";
import { buildJob } from "./build.ts";
import { crossCheck } from "./cross_check.ts";
import { finishErrors } from "./error_list.ts";
import type { HostTable } from "./host_rules.ts";
import { analyzeFiles, listJobFiles } from "./files.ts";
import { type LoadResult, type SettledFile, withSchedules } from "./settled.ts";

export { type FileResult, type LoadResult, type SettledFile, withSchedules } from "./settled.ts";

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

/** The checks across files, each file's final error list, and the jobs without schedules. */
export function settle(analyzed: AnalyzedFile[], hosts: HostTable = {}): SettledFile[] {
  const own = analyzed.map((f) => f.errors.length);
  crossCheck(analyzed, hosts);
  const found = analyzed.some((f, i) => f.errors.length > own[i]);
  if (found && analyzed.some((f) => f.unplacedText !== null)) {
    // A problem across files: its messages need the positions the fast read has not kept.
    analyzed = analyzed.map((f, i) =>
      f.unplacedText !== null
        ? analyzeJobFile(f.file, f.unplacedText, "positions")
        : { ...f, errors: f.errors.slice(0, own[i]) }
    );
    crossCheck(analyzed, hosts);
  }
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

/** Loads a folder and throws JobConfigError listing every problem if any file is invalid. */
export async function loadJobsOrThrow(dir: string, hosts: HostTable = {}): Promise<JobSpec[]> {
  const result = await loadJobsDir(dir, hosts);
  if (result.errors.length > 0) throw new JobConfigError(result.errors);
  return result.jobs;
}
