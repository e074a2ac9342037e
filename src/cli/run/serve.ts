/**
 * `pt run`'s scheduler, from a checked plan (`plan.ts`) and loaded jobs until SIGINT or
 * SIGTERM: recovers crashed runs (and deletes their Kubernetes Jobs), fires schedules,
 * reloads changed job files and serves the HTTP API. Imports nothing that checks options or
 * parses files: a reload goes through the `reload` function it is given.
 *
 * @module
 */

import type { JobSpec } from "../../core/model.ts";
import { lazyCluster } from "../../exec/kube/cluster.ts";
import type { EngineNotice } from "../../scheduler/engine.ts";
import { Logger, logRuns } from "../../scheduler/log.ts";
import { recoverRuns } from "../../scheduler/recovery.ts";
import { Scheduler } from "../../scheduler/scheduler.ts";
import { type FolderLoader, watchJobs } from "../../scheduler/watch.ts";
import { cleanupInterruptedJobs } from "../kube_cleanup.ts";
import { formatLocal, UsageError } from "../output.ts";
import { openStore } from "../store.ts";
import type { RunPlan } from "./plan.ts";

/**
 * Signals this soon after the first count as the same keypress (the terminal and `deno task`
 * each deliver one); a later signal forces the shutdown.
 *
 * @default {500}
 */
export const REPEAT_SIGNAL_WINDOW_MS = 500;

/** The jobs `pt run` starts with, and the problems of the files that were left out. */
export interface StartJobs {
  /** Valid jobs, in file order. */
  readonly jobs: JobSpec[];
  /** Each problem, formatted (`file:line:col: message`). */
  readonly errors: readonly string[];
}

/**
 * Runs the scheduler of `plan` over `start` until a signal stops it; changed job files are
 * loaded with `reload` (default: a parse worker of this process).
 */
export async function serveRun(
  plan: RunPlan,
  start: StartJobs,
  reload?: FolderLoader,
): Promise<void> {
  const { dir, storagePath, graceSecs } = plan;
  const log = new Logger({ json: plan.logJson, level: plan.logLevel });
  if (plan.tickInterval !== null) {
    log.info(
      `tick_interval ${plan.tickInterval} has no effect: Petit for Deno fires each slot on a timer`,
    );
  }
  for (const error of start.errors) log.error(error);
  if (start.errors.length > 0) {
    log.warn(`${start.errors.length} error(s) in job files; those jobs are not loaded`);
  }

  const storage = openStore(storagePath);
  // The kubeconfig is read when a Kubernetes task runs (or a crashed run left Jobs), not now.
  const cluster = lazyCluster(plan.kubernetes);
  const recovered = await recoverRuns(storage, {
    cleanupRemote: cleanupInterruptedJobs(cluster, log),
  });
  for (const run of recovered) {
    log.warn("run interrupted by a previous stop; marked interrupted", {
      job_id: run.job_id,
      run_id: run.id,
    });
  }
  const scheduler = new Scheduler(start.jobs, {
    storage,
    maxTasks: plan.maxTasks,
    maxJobs: plan.maxJobs,
    keepRuns: plan.keepRuns,
    log,
    onNotice: (n) => logNotice(log, n),
    notify: { defaults: [...plan.notifyDefaults] },
    kubernetes: cluster.client,
  });
  const stopLog = logRuns(scheduler.bus, log);

  let api: { url: string; close(): Promise<void> } | null = null;
  if (plan.api) {
    // Loaded only when serving, so other commands start without it.
    const { ApiStartError, startApi } = await import("../../api/server.ts");
    try {
      api = await startApi({
        scheduler,
        ...plan.api,
        allowedHosts: [...plan.api.allowedHosts],
      });
    } catch (err) {
      await scheduler.shutdown(0);
      storage.close();
      cluster.close();
      throw err instanceof ApiStartError ? new UsageError(err.message) : err;
    }
  }

  // First signal: stop firing and give running tasks the grace period; a later one: stop now.
  // Installed before "petit started" is logged: a SIGTERM right after it must stop
  // gracefully, not take the default action (exit 143).
  let stopWatch: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    let firstAt: number | null = null;
    let forceNow: () => void = () => {};
    const now = new Promise<void>((r) => (forceNow = r));
    const onSignal = () => {
      if (firstAt !== null) {
        // One Ctrl+C reaches Petit twice under `deno task` (from the terminal and forwarded
        // by the task runner, ~2 ms apart): only a signal after the window is a second press.
        if (Date.now() - firstAt < REPEAT_SIGNAL_WINDOW_MS) return;
        log.warn("second signal: cancelling running runs now");
        forceNow();
        return;
      }
      firstAt = Date.now();
      const running = scheduler.activeRunIds().length;
      log.info(
        running
          ? `shutting down: waiting up to ${graceSecs}s for ${running} running run(s) ` +
            "(Ctrl+C again to cancel them now)"
          : "shutting down",
      );
      stopWatch();
      scheduler.shutdown(graceSecs * 1000, now).then(async () => {
        await api?.close();
        stopLog();
        storage.close();
        cluster.close();
        for (const s of signals) Deno.removeSignalListener(s, onSignal);
        log.info("stopped");
        resolve();
      });
    };
    const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
    for (const s of signals) Deno.addSignalListener(s, onSignal);
  });

  scheduler.start();
  log.info(`petit started: ${scheduler.jobs.length} job(s) from ${dir}, database ${storagePath}`);
  for (const job of scheduler.jobs) {
    const next = scheduler.nextRun(job.id);
    const when = !scheduler.isEnabled(job)
      ? "disabled"
      : job.schedule === null
      ? "manual only"
      : `next ${formatLocal(next)}`;
    log.info(`  ${job.id}: ${job.schedule?.expression ?? "-"} — ${when}`, { job_id: job.id });
  }
  if (api) console.log(api.url);

  stopWatch = plan.watch
    ? watchJobs(
      dir,
      () => scheduler.jobs,
      (reloaded) => {
        for (const e of reloaded.errors) log.error(e);
        for (const id of reloaded.kept) {
          log.warn(`job file invalid; keeping the previous version`, { job_id: id });
        }
        const changes = scheduler.setJobs(reloaded.jobs);
        for (const c of changes) {
          log.info(
            `job ${c.change}: next run ${formatLocal(c.before)} → ${formatLocal(c.after)}`,
            { job_id: c.id },
          );
        }
      },
      (message) => log.warn(message),
      undefined,
      plan.hosts,
      reload,
    )
    : () => {};

  await stopped;
}

function logNotice(log: Logger, n: EngineNotice): void {
  switch (n.kind) {
    case "fired":
      log.debug(`fired slot ${new Date(n.slot).toISOString()} (${n.lateMs} ms late)`, {
        job_id: n.job.id,
        run_id: n.runId,
      });
      break;
    case "skipped":
      break; // Logged from the job_skipped event.
    case "slot_taken":
      log.debug(`slot ${new Date(n.slot).toISOString()} already claimed by another scheduler`, {
        job_id: n.job.id,
      });
      break;
    case "clock_jump":
      log.warn(
        `wall clock jumped by ${n.driftMs} ms (suspend or clock change); schedules recomputed`,
      );
      break;
    case "catchup":
      log.info(
        `${n.missed} slot(s) missed while down; catchup ${n.policy}: running ${n.running}`,
        { job_id: n.job.id },
      );
      break;
  }
}
