/**
 * A test helper for library users: run one job once and get its result and records.
 *
 * @module
 */

import type { JobSpec } from "../core/model.ts";
import type { RunResult } from "../exec/runner.ts";
import { InMemoryStorage } from "../storage/memory.ts";
import type { Storage, TaskRunRecord } from "../storage/types.ts";
import { Scheduler } from "./scheduler.ts";

/** What `runOnce` returns. */
export interface RunOnceResult extends RunResult {
  /** The task records as stored. */
  readonly records: TaskRunRecord[];
  /** The store used (in-memory unless one was given). */
  readonly storage: Storage;
}

/**
 * Runs `job` once with an in-memory store (or the given one) and waits for the result:
 * handy in tests of jobs built in code or loaded from YAML. `params` are values of the job's
 * params; `others` are the jobs its sub-job tasks run.
 */
export async function runOnce(
  job: JobSpec,
  options: {
    storage?: Storage;
    maxTasks?: number;
    force?: boolean;
    others?: JobSpec[];
    params?: Readonly<Record<string, string>>;
  } = {},
): Promise<RunOnceResult> {
  const storage = options.storage ?? new InMemoryStorage();
  const scheduler = new Scheduler([job, ...(options.others ?? [])], {
    storage,
    maxTasks: options.maxTasks,
  });
  try {
    const run = scheduler.trigger(job.id, { force: options.force ?? true, params: options.params });
    const result = await run.done;
    return { ...result, records: storage.listTaskRuns(run.runId), storage };
  } finally {
    await scheduler.shutdown(0);
  }
}
