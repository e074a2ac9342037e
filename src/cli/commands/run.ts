/**
 * `pt run <jobs-dir>`: the scheduler, until SIGINT or SIGTERM. Recovers crashed runs (and
 * deletes their Kubernetes Jobs), fires schedules, reloads changed job files and serves the
 * HTTP API.
 *
 * This module checks the options and resolves them with the environment and the config file
 * into a plan (`run/plan.ts`); the scheduler itself is `run/serve.ts`. `pt run` normally does
 * the first part in a short-lived loader process (`run/lean.ts`), so that the scheduler's
 * process never loads commander, the parsers or zod; this module's own action, used where
 * that process cannot be started, does both here.
 *
 * @module
 */

import type { Command } from "commander";
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from "../../api/deps.ts";
import { formatConfigError } from "../../config/errors.ts";
import {
  kubernetesSettings,
  notifyDefaults,
  readConfigFile,
  SettingsError,
  sshHosts,
} from "../../config/settings.ts";
import { DEFAULT_MAX_TASKS } from "../../exec/runner.ts";
import { DEFAULT_GRACE_MS, DEFAULT_KEEP_RUNS } from "../../scheduler/scheduler.ts";
import { loadFolder } from "../jobs.ts";
import { positiveInt, UsageError } from "../output.ts";
import type { ApiPlan, RunPlan } from "../run/plan.ts";
import { serveRun } from "../run/serve.ts";
import { DB_HELP, dbPath } from "../store.ts";

export { REPEAT_SIGNAL_WINDOW_MS } from "../run/serve.ts";

/** What `pt run` does with its checked plan: run the scheduler, or hand the plan on. */
export type RunAction = (plan: RunPlan) => Promise<void>;

interface RunFlags {
  db?: string;
  config?: string;
  maxJobs?: string;
  maxTasks?: string;
  grace?: string;
  keepRuns?: string;
  tickInterval?: string;
  api: boolean;
  apiHost?: string;
  apiPort?: string;
  apiInsecure?: boolean;
  apiCors?: string;
  apiAllowedHost: string[];
  apiTlsCert?: string;
  apiTlsKey?: string;
  watch: boolean;
  logFormat: string;
  quiet?: boolean;
  verbose?: boolean;
}

/** `--grace` when neither flag, environment nor config file sets it: the scheduler's own. */
const DEFAULT_GRACE_SECS = DEFAULT_GRACE_MS / 1000;

/** Registers `run`; `action` gets the plan (default: load the jobs and run the scheduler here). */
export function registerRun(program: Command, action: RunAction = serveHere): void {
  program.command("run")
    .description("run the scheduler (and the HTTP API) until SIGINT or SIGTERM")
    .argument("<jobs-dir>", "folder of job files")
    .option("--db <path>", DB_HELP)
    .option("--config <file>", "TOML config file (default $XDG_CONFIG_HOME/petit/config.toml)")
    .option("-j, --max-jobs <N>", "concurrent runs across all jobs (default unlimited)")
    .option("-t, --max-tasks <N>", `concurrent tasks per run (default ${DEFAULT_MAX_TASKS})`)
    .option(
      "--grace <secs>",
      `on shutdown, seconds running tasks get to finish (default ${DEFAULT_GRACE_SECS})`,
    )
    .option(
      "--keep-runs <N>",
      `runs kept per job; older runs and logs are deleted (default ${DEFAULT_KEEP_RUNS})`,
    )
    .option("--tick-interval <secs>", "accepted for Petit compatibility; no effect (timers fire)")
    .option("--no-api", "do not serve the HTTP API")
    .option("--api-host <host>", `API address (default ${DEFAULT_API_HOST})`)
    .option("--api-port <port>", `API port, 0 for any free port (default ${DEFAULT_API_PORT})`)
    .option("--api-insecure", "allow a non-loopback API address without a token")
    .option("--api-cors <origin>", "allow this origin to call the API from a browser")
    .option(
      "--api-allowed-host <name>",
      "a name clients use for this server (Host), besides loopback names and addresses; " +
        "repeatable",
      (name: string, names: string[]) => [...names, name],
      [] as string[],
    )
    .option("--api-tls-cert <file>", "serve HTTPS with this PEM certificate (needs --api-tls-key)")
    .option("--api-tls-key <file>", "the PEM private key of --api-tls-cert")
    .option("--no-watch", "do not reload job files when they change")
    .option("--log-format <format>", "text or json", "text")
    .option("-q, --quiet", "log only problems")
    .option("-v, --verbose", "log every task event")
    .action(async (dir: string, flags: RunFlags) => await action(await planRun(dir, flags)));
}

/** Loads the jobs in this process and runs the scheduler (reloads in a parse worker). */
async function serveHere(plan: RunPlan): Promise<void> {
  const loaded = await loadFolder(plan.dir, plan.hosts);
  await serveRun(plan, { jobs: loaded.jobs, errors: loaded.errors.map(formatConfigError) });
}

/**
 * Checks the flags and resolves every setting (flag, else environment, else config file,
 * else default); refuses an exposed API or unusable TLS files before anything is touched.
 */
async function planRun(dir: string, flags: RunFlags): Promise<RunPlan> {
  if (flags.logFormat !== "text" && flags.logFormat !== "json") {
    throw new UsageError(`--log-format must be text or json, got "${flags.logFormat}"`);
  }
  let file;
  try {
    file = await readConfigFile(flags.config);
  } catch (err) {
    if (err instanceof SettingsError) throw new UsageError(err.message);
    throw err;
  }
  const env = (k: string) => Deno.env.get(k);
  const num = (
    name: string,
    flag: string | undefined,
    envName: string,
    fromFile: number | undefined,
    min = 1,
  ) => {
    const raw = flag ?? env(envName);
    return raw !== undefined ? positiveInt(name, raw, min) : fromFile;
  };
  const maxJobs = num("--max-jobs", flags.maxJobs, "PETIT_MAX_JOBS", file.scheduler?.max_jobs) ??
    null;
  const maxTasks =
    num("--max-tasks", flags.maxTasks, "PETIT_MAX_TASKS", file.scheduler?.max_tasks) ??
      DEFAULT_MAX_TASKS;
  const graceSecs = num("--grace", flags.grace, "PETIT_GRACE", file.scheduler?.grace_secs, 0) ??
    DEFAULT_GRACE_SECS;
  const keepRuns =
    num("--keep-runs", flags.keepRuns, "PETIT_KEEP_RUNS", file.scheduler?.keep_runs) ??
      DEFAULT_KEEP_RUNS;
  const tickInterval = flags.tickInterval !== undefined
    ? positiveInt("--tick-interval", flags.tickInterval)
    : file.scheduler?.tick_interval;
  const apiEnabled = flags.api && (file.api?.enabled ?? true);
  const apiHost = flags.apiHost ?? env("PETIT_API_HOST") ?? file.api?.host ?? DEFAULT_API_HOST;
  const apiPort = num("--api-port", flags.apiPort, "PETIT_API_PORT", file.api?.port, 0) ??
    DEFAULT_API_PORT;
  if (apiPort > 65535) throw new UsageError(`--api-port must be at most 65535, got ${apiPort}`);
  const token = env("PETIT_API_TOKEN") ?? file.api?.token ?? null;
  // An empty variable counts as unset, so a unit file can clear a path the config file sets.
  const tlsPaths = {
    cert: flags.apiTlsCert ?? (env("PETIT_API_TLS_CERT") || file.api?.tls_cert),
    key: flags.apiTlsKey ?? (env("PETIT_API_TLS_KEY") || file.api?.tls_key),
  };
  const storagePath = file.storage?.engine === "memory" && !flags.db && !env("PETIT_DB")
    ? ":memory:"
    : dbPath(flags.db, file.storage?.path ?? null);

  let api: ApiPlan | null = null;
  if (apiEnabled) {
    // Refuse an exposed API, or unusable TLS files, before touching jobs or the database.
    const { ApiStartError, checkExposure, loadTls } = await import("../../api/server.ts");
    let tls;
    try {
      checkExposure(apiHost, token, flags.apiInsecure ?? false);
      tls = await loadTls(tlsPaths);
    } catch (err) {
      throw err instanceof ApiStartError ? new UsageError(err.message) : err;
    }
    api = {
      host: apiHost,
      port: apiPort,
      token,
      insecure: flags.apiInsecure ?? false,
      cors: flags.apiCors ?? file.api?.cors ?? null,
      allowedHosts: flags.apiAllowedHost.length > 0
        ? flags.apiAllowedHost
        : file.api?.allowed_hosts ?? [],
      tls,
    };
  }

  return {
    dir,
    storagePath,
    maxJobs,
    maxTasks,
    graceSecs,
    keepRuns,
    tickInterval: tickInterval ?? null,
    api,
    watch: flags.watch,
    logJson: flags.logFormat === "json",
    logLevel: flags.quiet ? "quiet" : flags.verbose ? "verbose" : "normal",
    hosts: sshHosts(file),
    notifyDefaults: notifyDefaults(file),
    kubernetes: kubernetesSettings(file),
  };
}
