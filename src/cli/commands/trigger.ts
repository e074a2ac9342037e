/**
 * `pt trigger <dir> <job-id>`: runs one job once, now, in this process, with live progress.
 * Exit 0 iff the run completed, 1 if it failed, was cancelled or was refused, 2 for usage
 * and config errors.
 *
 * @module
 */

import type { Command } from "commander";
import type { TriggerFlags } from "./trigger_remote.ts";
import {
  kubernetesSettings,
  notifyDefaults,
  readConfigFile,
  SettingsError,
  sshHosts,
} from "../../config/settings.ts";
import type { LoadResult } from "../../config/loader/settled.ts";
import type { JobSpec } from "../../core/model.ts";
import { DEFAULT_MAX_TASKS } from "../../exec/runner.ts";
import { findJob, loadFolder, printErrors } from "../jobs.ts";
import { CA_CERT_HELP, EXIT_FAILURE, ExitCode, positiveInt, UsageError } from "../output.ts";
import type { TriggerPlan } from "../run/plan.ts";
import { runTriggered } from "../triggered.ts";
import { DB_HELP, dbPath } from "../store.ts";

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
      const plan = await planTrigger(dir, jobId, flags, params);
      const jobs = validTriggerJobs(plan, await loadFolder(plan.dir, plan.hosts));
      throw new ExitCode(await runTriggered(plan, jobs));
    });
}

/** Checks the flags and reads the config file once (`[notify]`, `[hosts]`, `[kubernetes]`). */
async function planTrigger(
  dir: string,
  jobId: string,
  flags: TriggerFlags,
  params: Record<string, string>,
): Promise<TriggerPlan> {
  const maxTasks = positiveInt("--max-tasks", flags.maxTasks);
  let file;
  try {
    file = await readConfigFile(flags.config);
  } catch (err) {
    if (err instanceof SettingsError) throw new UsageError(err.message);
    throw err;
  }
  return {
    dir,
    jobId,
    storagePath: dbPath(flags.db),
    maxTasks,
    force: flags.force === true,
    quiet: flags.quiet === true,
    params,
    hosts: sshHosts(file),
    notifyDefaults: notifyDefaults(file),
    kubernetes: kubernetesSettings(file),
  };
}

/**
 * The jobs of a load of `plan.dir`; or exit 1 after printing every error when a file is
 * invalid; or a UsageError when the folder has no job `plan.jobId`.
 */
function validTriggerJobs(plan: TriggerPlan, result: LoadResult): JobSpec[] {
  if (result.errors.length > 0) {
    printErrors(result);
    throw new ExitCode(EXIT_FAILURE);
  }
  findJob(result.jobs, plan.jobId);
  return result.jobs;
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
