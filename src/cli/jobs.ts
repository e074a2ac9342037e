/**
 * Loading the jobs folder for a CLI command: invalid files are reported and stop the
 * command with exit 1; an unreadable folder is a usage error. `host:` names are checked
 * against the config file's `[hosts.NAME]` (`--config FILE`, else PETIT_CONFIG, else the
 * default file), so a bad config file is a usage error too.
 *
 * @module
 */

import { formatConfigError, JobsDirError } from "../config/errors.ts";
import { type HostTable, loadJobsDir, type LoadResult } from "../config/loader/mod.ts";
import { readConfigFile, SettingsError, sshHosts } from "../config/settings.ts";
import type { JobSpec } from "../core/model.ts";
import { EXIT_FAILURE, ExitCode, UsageError } from "./output.ts";

/** Help of the `--config` option of the commands that load jobs. */
export const CONFIG_HELP =
  "TOML config file, for its [hosts] and [kubernetes] (default $PETIT_CONFIG, else " +
  "$XDG_CONFIG_HOME/petit/config.toml)";

/** The SSH hosts of the config file (`config`, else PETIT_CONFIG, else the default file). */
export async function readHosts(config: string | undefined): Promise<HostTable> {
  try {
    return sshHosts(await readConfigFile(config));
  } catch (err) {
    if (err instanceof SettingsError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * Loads `dir`, turning a missing or unreadable folder into a UsageError. `hosts` are the
 * config file's hosts; a path (or undefined: PETIT_CONFIG or the default file) reads them.
 */
export async function loadFolder(
  dir: string,
  hosts: HostTable | string | undefined = undefined,
): Promise<LoadResult> {
  const table = typeof hosts === "object" ? hosts : await readHosts(hosts);
  try {
    return await loadJobsDir(dir, table);
  } catch (err) {
    if (err instanceof JobsDirError) throw new UsageError(err.message);
    throw err;
  }
}

/** Prints every error of a load to stderr with a one-line summary. */
export function printErrors(result: LoadResult): void {
  for (const error of result.errors) console.error(formatConfigError(error));
  const files = new Set(result.errors.map((e) => e.file)).size;
  const n = result.errors.length;
  console.error(`${n} error${n === 1 ? "" : "s"} in ${files} file${files === 1 ? "" : "s"}`);
}

/** Loads `dir` and stops with exit 1 (after printing every error) if any file is invalid. */
export async function loadValidJobs(dir: string, config?: string): Promise<JobSpec[]> {
  const result = await loadFolder(dir, config);
  if (result.errors.length > 0) {
    printErrors(result);
    throw new ExitCode(EXIT_FAILURE);
  }
  return result.jobs;
}

/** Finds a job by id or throws a UsageError listing the known ids. */
export function findJob(jobs: readonly JobSpec[], id: string): JobSpec {
  const job = jobs.find((j) => j.id === id);
  if (job) return job;
  const known = jobs.map((j) => j.id).sort();
  throw new UsageError(
    `unknown job id "${id}" (known jobs: ${known.length ? known.join(", ") : "none"})`,
  );
}
