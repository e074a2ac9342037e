/**
 * `pt trigger <dir> <job-id>`: runs one job once, now, in this process, with live progress.
 * Exit 0 iff the run completed, 1 if it failed, was cancelled or was refused, 2 for usage
 * and config errors.
 *
 * @module
 */

import type { Command } from "commander";
import { ApiClient } from "../../api/client.ts";
import { DEFAULT_MAX_TASKS } from "../../exec/runner.ts";
import { formatDuration } from "../../schedule/duration.ts";
import { Scheduler, TriggerRefusedError } from "../../scheduler/scheduler.ts";
import { findJob, loadValidJobs } from "../jobs.ts";
import { EXIT_FAILURE, EXIT_OK, ExitCode, positiveInt, UsageError } from "../output.ts";
import { printProgress } from "../progress.ts";
import { DB_HELP, dbPath, openStore } from "../store.ts";
import { CA_CERT_HELP, failRemote } from "./status.ts";

interface TriggerFlags {
  db?: string;
  maxTasks: string;
  force?: boolean;
  quiet?: boolean;
  remote?: string;
  caCert?: string;
  wait?: boolean;
}

/** Registers `trigger`. */
export function registerTrigger(program: Command): void {
  program.command("trigger")
    .description("run a job once, now, in this process (Ctrl+C cancels it)")
    .argument("<jobs-dir>", "folder of job files")
    .argument("<job-id>", "the job to run")
    .option("--db <path>", DB_HELP)
    .option("-t, --max-tasks <N>", "concurrent tasks in the run", String(DEFAULT_MAX_TASKS))
    .option("--force", "run even if a job dependency is not satisfied")
    .option("-q, --quiet", "print only the final line")
    .option(
      "--remote <url>",
      "ask the `pt run` API at this URL instead (token from PETIT_API_TOKEN; <jobs-dir> is " +
        "not read): exit 0 when accepted, 1 if refused (409/429) or unreachable, 2 for an " +
        "unknown job or a refused token",
    )
    .option("--ca-cert <file>", CA_CERT_HELP)
    .option("--wait", "with --remote: wait for the run to finish; exit 0 iff it completed")
    .action(async (dir: string, jobId: string, flags: TriggerFlags) => {
      if (flags.remote !== undefined) return await remoteTrigger(flags.remote, jobId, flags);
      const maxTasks = positiveInt("--max-tasks", flags.maxTasks);
      const jobs = await loadValidJobs(dir);
      const job = findJob(jobs, jobId);
      const storage = openStore(dbPath(flags.db));
      const scheduler = new Scheduler(jobs, { storage, maxTasks });
      const stop = flags.quiet
        ? scheduler.bus.subscribe((e) => {
          if (e.type === "job_completed") console.log(`run ${e.run_id} ${e.status}`);
        })
        : printProgress(scheduler.bus);
      let run;
      try {
        run = scheduler.trigger(job.id, { force: flags.force });
      } catch (err) {
        stop();
        storage.close();
        if (err instanceof TriggerRefusedError) {
          if (err.code === "not_found") throw new UsageError(err.message);
          console.error(`refused: ${err.message}`);
          throw new ExitCode(EXIT_FAILURE);
        }
        throw err;
      }
      // Ctrl+C or SIGTERM cancels the run: process groups are terminated, run `cancelled`.
      const cancel = () => scheduler.cancel(run.runId);
      const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
      for (const s of signals) Deno.addSignalListener(s, cancel);
      try {
        const result = await run.done;
        if (result.status !== "completed") throw new ExitCode(EXIT_FAILURE);
      } finally {
        for (const s of signals) Deno.removeSignalListener(s, cancel);
        stop();
        await scheduler.shutdown(0);
        storage.close();
      }
      throw new ExitCode(EXIT_OK);
    });
}

/**
 * How often `--wait` asks for the run's status, in ms.
 *
 * @default {500}
 */
const POLL_MS = 500;

/** `pt trigger --remote`: starts the run in a running scheduler through its API. */
async function remoteTrigger(url: string, jobId: string, flags: TriggerFlags): Promise<never> {
  let client: ApiClient | null = null;
  try {
    client = new ApiClient(url, { caCertFile: flags.caCert });
    const started = await client.trigger(jobId, flags.force ?? false);
    if (!flags.quiet || !flags.wait) console.log(started.message);
    if (!flags.wait) throw new ExitCode(EXIT_OK);
    for (;;) {
      const run = await client.run(started.run_id);
      if (run.status !== "running") {
        const took = run.duration_ms === null ? "" : ` in ${formatDuration(run.duration_ms)}`;
        console.log(`run ${run.id} ${run.status}${took}${run.error ? `: ${run.error}` : ""}`);
        throw new ExitCode(run.status === "completed" ? EXIT_OK : EXIT_FAILURE);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } catch (err) {
    client?.close(); // Every way out of the try block is a throw.
    if (err instanceof ExitCode) throw err;
    failRemote(err);
  }
}
