/**
 * Reloading the jobs folder on change: the whole folder is validated first, then swapped in
 * at once. A file with errors is reported with file:line:col and the previous version of
 * its job stays in force.
 *
 * The files are read and checked away from the scheduler's thread, so a big or slow file
 * never delays a fire or an API request: by the loader the caller gives (`pt run` starts a
 * short-lived loader process, `cli/run/loader_process.ts`), else in a parse worker
 * (`loadJobsDirOffThread`, imported on the first reload). bench/validate_big.ts measures
 * the stall.
 *
 * @module
 */

import { resolve } from "node:path";
import { formatConfigError } from "../config/errors.ts";
import type { LoadResult } from "../config/loader/settled.ts";
import type { JobSpec, SshHost } from "../core/model.ts";

/** The job set to use after a reload, and what to report. */
export interface ReloadPlan {
  readonly jobs: JobSpec[];
  /** Formatted errors of invalid files. */
  readonly errors: string[];
  /** Jobs kept at their previous version because their file is now invalid. */
  readonly kept: string[];
}

/** How a reload loads and checks the jobs folder, off the scheduler's thread. */
export interface FolderLoader {
  /** Loads `dir`; throws JobsDirError when the folder cannot be read. */
  load(dir: string, hosts: Readonly<Record<string, SshHost>>): Promise<LoadResult>;
  /**
   * A change was seen and a load follows once changes settle: start now whatever takes time
   * to start (a loader process boots during the debounce).
   */
  prepare?(): void;
  /** The watch has stopped: release what `prepare` started. */
  close?(): void;
}

/** The default {@link FolderLoader}: a parse worker, its modules imported when first needed. */
const inParseWorker: FolderLoader = {
  async load(dir, hosts) {
    const { loadJobsDirOffThread } = await import("../config/loader/off_thread.ts");
    return await loadJobsDirOffThread(dir, hosts);
  },
};

/**
 * Merges a fresh load with the current jobs: valid files win; for an invalid file the
 * previous job from the same file (or with the same id) is kept.
 */
export function planReload(current: readonly JobSpec[], result: LoadResult): ReloadPlan {
  const jobs: JobSpec[] = [];
  const kept: string[] = [];
  const seen = new Set<string>();
  // The first current job of each file and id, as `find` would give.
  const byFile = new Map<string, JobSpec>();
  const byId = new Map<string, JobSpec>();
  for (const j of current) {
    if (j.file && !byFile.has(j.file)) byFile.set(j.file, j);
    if (!byId.has(j.id)) byId.set(j.id, j);
  }
  for (const file of result.files) {
    if (file.job) {
      if (!seen.has(file.job.id)) jobs.push(file.job);
      seen.add(file.job.id);
      continue;
    }
    const previous = byFile.get(resolve(file.file)) ??
      (file.jobId !== null ? byId.get(file.jobId) : undefined);
    if (previous && !seen.has(previous.id)) {
      jobs.push(previous);
      kept.push(previous.id);
      seen.add(previous.id);
    }
  }
  return { jobs, errors: result.errors.map(formatConfigError), kept };
}

/**
 * Watches `dir` and calls `onChange` with a reload plan after changes settle (debounced),
 * loading the folder with `load`. Returns a function that stops watching.
 */
export function watchJobs(
  dir: string,
  current: () => readonly JobSpec[],
  onChange: (plan: ReloadPlan) => void,
  onError: (message: string) => void,
  debounceMs = 250,
  hosts: Readonly<Record<string, SshHost>> = {},
  load: FolderLoader = inParseWorker,
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
      onChange(planReload(current(), await load.load(dir, hosts)));
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
        if (event.paths.some((p) => /\.ya?ml$/i.test(p))) {
          load.prepare?.();
          schedule();
        }
      }
    } catch {
      // The watcher was closed.
    }
  })();
  return () => {
    if (timer !== null) clearTimeout(timer);
    load.close?.();
    try {
      watcher.close();
    } catch {
      // Already closed.
    }
  };
}
