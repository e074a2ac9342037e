/**
 * The run of `pt trigger` once its options are checked and its jobs loaded: a scheduler in
 * this process runs the one job, with live progress (or only the final line), Ctrl+C or
 * SIGTERM cancelling it.
 *
 * @module
 */

import type { JobSpec } from "../core/model.ts";
import { lazyCluster } from "../exec/kube/cluster.ts";
import { Scheduler, TriggerRefusedError } from "../scheduler/scheduler.ts";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "./output.ts";
import { printProgress } from "./progress.ts";
import type { TriggerPlan } from "./run/plan.ts";
import { openStore } from "./store.ts";

/**
 * How long `pt trigger` waits, once its run has ended, for the run's notifications to be
 * delivered (retries included) before it exits; those still under way are given up.
 *
 * @default {10_000}
 */
export const TRIGGER_NOTIFY_WAIT_MS = 10_000;

/**
 * Runs `plan.jobId` of `jobs` once, now; returns the exit code: 0 iff the run completed, 1
 * if it failed, was cancelled or was refused. Throws a UsageError for an unknown job or bad
 * params.
 */
export async function runTriggered(plan: TriggerPlan, jobs: readonly JobSpec[]): Promise<number> {
  const cluster = lazyCluster(plan.kubernetes);
  const storage = openStore(plan.storagePath);
  // Shutdown waits (bounded) for the run's notifications before the process exits.
  const notify = { defaults: [...plan.notifyDefaults], waitMs: TRIGGER_NOTIFY_WAIT_MS };
  const scheduler = new Scheduler([...jobs], {
    storage,
    maxTasks: plan.maxTasks,
    notify,
    kubernetes: cluster.client,
  });
  const stop = plan.quiet ? printFinalLine(scheduler) : printProgress(scheduler.bus);
  let run;
  try {
    run = scheduler.trigger(plan.jobId, { force: plan.force, params: { ...plan.params } });
  } catch (err) {
    stop();
    storage.close();
    cluster.close();
    if (err instanceof TriggerRefusedError) {
      if (err.code === "not_found" || err.code === "bad_params") {
        throw new UsageError(err.message);
      }
      console.error(`refused: ${err.message}`);
      return EXIT_FAILURE;
    }
    throw err;
  }
  // Ctrl+C or SIGTERM cancels the run: process groups are terminated, run `cancelled`.
  // Once it has ended, a signal stops waiting for its notifications instead.
  let giveUp: () => void = () => {};
  const givenUp = new Promise<void>((resolve) => (giveUp = resolve));
  const cancel = () => {
    if (!scheduler.cancel(run.runId)) giveUp();
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, cancel);
  try {
    const result = await run.done;
    return result.status === "completed" ? EXIT_OK : EXIT_FAILURE;
  } finally {
    await scheduler.shutdown(0, givenUp); // progress still prints the notifications
    for (const s of signals) Deno.removeSignalListener(s, cancel);
    stop();
    storage.close();
    cluster.close();
  }
}

/** `-q`: the final line of the triggered run (the first started), not of its child runs. */
function printFinalLine(scheduler: Scheduler): () => void {
  let first: string | null = null;
  return scheduler.bus.subscribe((e) => {
    if (e.type === "job_started") first ??= e.run_id;
    if (e.type === "job_completed" && e.run_id === first) {
      console.log(`run ${e.run_id} ${e.status}`);
    }
  });
}
