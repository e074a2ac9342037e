/**
 * Reloading the jobs folder on change: the whole folder is validated first, then swapped in
 * at once. A file with errors is reported with file:line:col and the previous version of
 * its job stays in force.
 *
 * @module
 */

import { resolve } from "node:path";
import { formatConfigError } from "../config/errors.ts";
import { loadJobsDir, type LoadResult } from "../config/loader/mod.ts";
import type { JobSpec } from "../core/model.ts";

/** The job set to use after a reload, and what to report. */
export interface ReloadPlan {
  readonly jobs: JobSpec[];
  /** Formatted errors of invalid files. */
  readonly errors: string[];
  /** Jobs kept at their previous version because their file is now invalid. */
  readonly kept: string[];
}

/**
 * Merges a fresh load with the current jobs: valid files win; for an invalid file the
 * previous job from the same file (or with the same id) is kept.
 */
export function planReload(current: readonly JobSpec[], result: LoadResult): ReloadPlan {
  const jobs: JobSpec[] = [];
  const kept: string[] = [];
  const seen = new Set<string>();
  for (const file of result.files) {
    if (file.job) {
      if (!seen.has(file.job.id)) jobs.push(file.job);
      seen.add(file.job.id);
      continue;
    }
    const path = resolve(file.file);
    const previous = current.find((j) => j.file === path) ??
      current.find((j) => file.jobId !== null && j.id === file.jobId);
    if (previous && !seen.has(previous.id)) {
      jobs.push(previous);
      kept.push(previous.id);
      seen.add(previous.id);
    }
  }
  return { jobs, errors: result.errors.map(formatConfigError), kept };
}

/**
 * Watches `dir` and calls `onChange` with a reload plan after changes settle (debounced).
 * Returns a function that stops watching.
 */
export function watchJobs(
  dir: string,
  current: () => readonly JobSpec[],
  onChange: (plan: ReloadPlan) => void,
  onError: (message: string) => void,
  debounceMs = 250,
): () => void {
  let watcher: Deno.FsWatcher;
  try {
    watcher = Deno.watchFs(dir, { recursive: false });
  } catch (err) {
    onError(`cannot watch ${dir}: ${(err as Error).message}; job files will not be reloaded`);
    return () => {};
  }
  let timer: ReturnType<typeof setTimeout> | null = null;
  let loading = false;
  let again = false;
  const reload = async () => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      onChange(planReload(current(), await loadJobsDir(dir)));
    } catch (err) {
      onError(`reload failed: ${(err as Error).message}`);
    } finally {
      loading = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      reload();
    }, debounceMs);
  };
  (async () => {
    try {
      for await (const event of watcher) {
        if (event.paths.some((p) => /\.ya?ml$/i.test(p))) schedule();
      }
    } catch {
      // The watcher was closed.
    }
  })();
  return () => {
    if (timer !== null) clearTimeout(timer);
    try {
      watcher.close();
    } catch {
      // Already closed.
    }
  };
}
