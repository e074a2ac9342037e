/**
 * `pt retry <jobs-dir> <run-id>`: re-runs a finished run's failed, skipped and unfinished
 * tasks as a new run (trigger `retry`) that keeps the successful ones.
 *
 * @module
 */

import type { Command } from "commander";
import { DEFAULT_MAX_TASKS } from "../../exec/runner.ts";
import { Scheduler, TriggerRefusedError } from "../../scheduler/scheduler.ts";
import { readCluster } from "../cluster.ts";
import { CONFIG_HELP, loadValidJobs } from "../jobs.ts";
import { EXIT_FAILURE, ExitCode, positiveInt, UsageError } from "../output.ts";
import { printProgress } from "../progress.ts";
import { DB_HELP, dbPath, openStore } from "../store.ts";

/** Registers `retry`. */
export function registerRetry(program: Command): void {
  program.command("retry")
    .description("re-run the failed, skipped and unfinished tasks of a finished run")
    .argument("<jobs-dir>", "folder of job files")
    .argument("<run-id>", "the finished run")
    .option("--db <path>", DB_HELP)
    .option("-t, --max-tasks <N>", "concurrent tasks in the run", String(DEFAULT_MAX_TASKS))
    .option("--config <file>", CONFIG_HELP)
    .action(async (
      dir: string,
      runId: string,
      flags: { db?: string; maxTasks: string; config?: string },
    ) => {
      const maxTasks = positiveInt("--max-tasks", flags.maxTasks);
      const jobs = await loadValidJobs(dir, flags.config);
      const cluster = await readCluster(flags.config);
      const storage = openStore(dbPath(flags.db), { existing: true });
      const scheduler = new Scheduler(jobs, { storage, maxTasks, kubernetes: cluster.client });
      const stop = printProgress(scheduler.bus);
      try {
        let run;
        try {
          run = scheduler.retry(runId);
        } catch (err) {
          if (!(err instanceof TriggerRefusedError)) throw err;
          if (err.code === "not_found") throw new UsageError(err.message);
          console.error(`refused: ${err.message}`);
          throw new ExitCode(EXIT_FAILURE);
        }
        const cancel = () => scheduler.cancel(run.runId);
        Deno.addSignalListener("SIGINT", cancel);
        try {
          const result = await run.done;
          if (result.status !== "completed") throw new ExitCode(EXIT_FAILURE);
        } finally {
          Deno.removeSignalListener("SIGINT", cancel);
        }
      } finally {
        stop();
        await scheduler.shutdown(0);
        storage.close();
        cluster.close();
      }
    });
}
