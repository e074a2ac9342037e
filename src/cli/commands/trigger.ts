/**
 * `pt trigger <dir> <job-id>`: runs one job once, now, in this process, with live progress.
 * Exit 0 iff the run completed, 1 if it failed, was cancelled or was refused, 2 for usage
 * and config errors.
 *
 * @module
 */

import type { Command } from "commander";
import type { TriggerFlags } from "./trigger_remote.ts";
import { notifyDefaults, readConfigFile, SettingsError } from "../../config/settings.ts";
import type { NotifySpec } from "../../core/notify.ts";
import { DEFAULT_MAX_TASKS } from "../../exec/runner.ts";
import { Scheduler, TriggerRefusedError } from "../../scheduler/scheduler.ts";
import { readCluster } from "../cluster.ts";
import { findJob, loadValidJobs } from "../jobs.ts";
import {
  CA_CERT_HELP,
  EXIT_FAILURE,
  EXIT_OK,
  ExitCode,
  positiveInt,
  UsageError,
} from "../output.ts";
import { printProgress } from "../progress.ts";
import { DB_HELP, dbPath, openStore } from "../store.ts";

/** Registers `trigger`. */
export function registerTrigger(program: Command): void {
  program.command("trigger")
    .description("run a job once, now, in this process (Ctrl+C cancels it)")
    .argument("<jobs-dir>", "folder of job files")
    .argument("<job-id>", "the job to run")
    .option("--db <path>", DB_HELP)
    .option(
      "--config <file>",
      "TOML config file, for its [notify] defaults, [hosts] and [kubernetes] (default " +
        "$PETIT_CONFIG, else $XDG_CONFIG_HOME/petit/config.toml)",
    )
    .option("-t, --max-tasks <N>", "concurrent tasks in the run", String(DEFAULT_MAX_TASKS))
    .option("--force", "run even if a job dependency is not satisfied")
    .option(
      "-p, --param <NAME=VALUE>",
      "a value of one of the job's params (repeatable); the others get their defaults",
      collect,
      [],
    )
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
      const params = paramFlags(flags.param);
      if (flags.remote !== undefined) {
        // The API client only for --remote: a local run does not load it (~1 MiB).
        const { remoteTrigger } = await import("./trigger_remote.ts");
        return await remoteTrigger(flags.remote, jobId, flags, params);
      }
      const maxTasks = positiveInt("--max-tasks", flags.maxTasks);
      const defaults = await readNotifyDefaults(flags.config);
      const jobs = await loadValidJobs(dir, flags.config);
      const job = findJob(jobs, jobId);
      const cluster = await readCluster(flags.config);
      const storage = openStore(dbPath(flags.db));
      // Shutdown waits (bounded) for the run's notifications before the process exits.
      const notify = { defaults, waitMs: TRIGGER_NOTIFY_WAIT_MS };
      const scheduler = new Scheduler(jobs, {
        storage,
        maxTasks,
        notify,
        kubernetes: cluster.client,
      });
      const stop = flags.quiet ? printFinalLine(scheduler) : printProgress(scheduler.bus);
      let run;
      try {
        run = scheduler.trigger(job.id, { force: flags.force, params });
      } catch (err) {
        stop();
        storage.close();
        cluster.close();
        if (err instanceof TriggerRefusedError) {
          if (err.code === "not_found" || err.code === "bad_params") {
            throw new UsageError(err.message);
          }
          console.error(`refused: ${err.message}`);
          throw new ExitCode(EXIT_FAILURE);
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
        if (result.status !== "completed") throw new ExitCode(EXIT_FAILURE);
      } finally {
        await scheduler.shutdown(0, givenUp); // progress still prints the notifications
        for (const s of signals) Deno.removeSignalListener(s, cancel);
        stop();
        storage.close();
        cluster.close();
      }
      throw new ExitCode(EXIT_OK);
    });
}

/**
 * How long `pt trigger` waits, once its run has ended, for the run's notifications to be
 * delivered (retries included) before it exits; those still under way are given up.
 *
 * @default {10_000}
 */
export const TRIGGER_NOTIFY_WAIT_MS = 10_000;

/** The config file's `[notify]` defaults; a config file that is named but bad is exit 2. */
async function readNotifyDefaults(config: string | undefined): Promise<NotifySpec[]> {
  try {
    return notifyDefaults(await readConfigFile(config));
  } catch (err) {
    if (err instanceof SettingsError) throw new UsageError(err.message);
    throw err;
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

/** Adds one repeated option's value to the list. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `-p NAME=VALUE` flags as a map; a flag without `=` or a name given twice is a usage error. */
export function paramFlags(flags: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf("=");
    if (eq <= 0) throw new UsageError(`-p must be NAME=VALUE, got "${flag}"`);
    const name = flag.slice(0, eq);
    if (Object.hasOwn(params, name)) throw new UsageError(`-p ${name} is given twice`);
    params[name] = flag.slice(eq + 1);
  }
  return params;
}
