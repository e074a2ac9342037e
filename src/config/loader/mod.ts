/**
 * Loads a folder of job files: every `*.yaml`/`*.yml` (not recursive, sorted by name), one
 * job per file. All problems in all files are collected in one pass, each with file:line:col.
 *
 * The loader, one step per module:
 *
 * - `files.ts`: lists and reads the folder; big folders are shared with parse workers
 *   (`parse_worker.ts`) that claim files from a shared counter.
 * - `analysis.ts`: one file on its own (syntax, shape, per-job rules), as plain data.
 * - `issues.ts`: zod's issues as positioned messages; `rules.ts`: the per-job checks;
 *   `spawn_rules.ts`: what the kernel would refuse when a task starts; `graph.ts`: cycles
 *   and upstream tasks in linear time.
 * - `error_list.ts`: each file's errors, capped at the first MAX_ERRORS_PER_FILE.
 * - `cross_check.ts`: unique job ids, job dependencies and cycles across files.
 * - `build.ts`: the JobSpec of each valid file; `load.ts` puts the steps together;
 *   `off_thread.ts` runs them in a worker for the scheduler's reloads.
 * - `raw.ts`: small helpers over the unchecked data the checks read.
 *
 * Needs `--allow-read` for the jobs folder.
 *
 * @module
 */

export { type AnalyzedFile, analyzeJobFile } from "./analysis.ts";
export { fileLabel, jobDir } from "./build.ts";
export type { HostTable } from "./host_rules.ts";
export { analyzeClaimed, listJobFiles } from "./files.ts";
export { MAX_ERRORS_PER_FILE } from "./error_list.ts";
export {
  combine,
  type FileResult,
  loadJobsDir,
  loadJobsOrThrow,
  loadJobTexts,
  type LoadResult,
} from "./load.ts";
export { loadJobsDirOffThread } from "./off_thread.ts";
