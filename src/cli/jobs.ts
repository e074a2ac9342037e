/**
 * Loading the jobs folder for a CLI command: invalid files are reported and stop the
 * command with exit 1; an unreadable folder is a usage error.
 *
 * @module
 */

import { formatConfigError, JobsDirError } from "../config/errors.ts";
import { loadJobsDir, type LoadResult } from "../config/loader/mod.ts";
import type { JobSpec } from "../core/model.ts";
import { EXIT_FAILURE, ExitCode, UsageError } from "./output.ts";

/** Loads `dir`, turning a missing or unreadable folder into a UsageError. */
export async function loadFolder(dir: string): Promise<LoadResult> {
  try {
    return await loadJobsDir(dir);
  } catch (err) {
    if (err instanceof JobsDirError) throw new UsageError(err.message);
    throw err;
  }
}

/** Prints every error of a load to stderr with a one-line summary. */
export function printErrors(result: LoadResult): void {
  for (const error of result.errors) console.error(formatConfigError(error));
  const files = new Set(result.errors.map((e) => e.file)).size;
  const n = result.errors.length;
  console.error(`${n} error${n === 1 ? "" : "s"} in ${files} file${files === 1 ? "" : "s"}`);
}

/** Loads `dir` and stops with exit 1 (after printing every error) if any file is invalid. */
export async function loadValidJobs(dir: string): Promise<JobSpec[]> {
  const result = await loadFolder(dir);
  if (result.errors.length > 0) {
    printErrors(result);
    throw new ExitCode(EXIT_FAILURE);
  }
  return result.jobs;
}

/** Finds a job by id or throws a UsageError listing the known ids. */
export function findJob(jobs: readonly JobSpec[], id: string): JobSpec {
  const job = jobs.find((j) => j.id === id);
  if (job) return job;
  const known = jobs.map((j) => j.id).sort();
  throw new UsageError(
    `unknown job id "${id}" (known jobs: ${known.length ? known.join(", ") : "none"})`,
  );
}
