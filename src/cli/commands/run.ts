/**
 * `pt run <jobs-dir>`: the scheduler, until SIGINT or SIGTERM. Recovers crashed runs,
 * fires schedules, reloads changed job files and serves the HTTP API.
 *
 * @module
 */

import type { Command } from "commander";
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from "../../api/deps.ts";
import type { TlsPair } from "../../api/server.ts";
import { formatConfigError } from "../../config/errors.ts";
import { notifyDefaults, readConfigFile, SettingsError, sshHosts } from "../../config/settings.ts";
import { DEFAULT_MAX_TASKS } from "../../exec/runner.ts";
import type { EngineNotice } from "../../scheduler/engine.ts";
import { Logger, logRuns } from "../../scheduler/log.ts";
import { recoverRuns } from "../../scheduler/recovery.ts";
import { DEFAULT_GRACE_MS, DEFAULT_KEEP_RUNS, Scheduler } from "../../scheduler/scheduler.ts";
import { watchJobs } from "../../scheduler/watch.ts";
import { loadFolder } from "../jobs.ts";
import { formatLocal, positiveInt, UsageError } from "../output.ts";
import { DB_HELP, dbPath, openStore } from "../store.ts";

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

/** Registers `run`. */
export function registerRun(program: Command): void {
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
    .action(async (dir: string, flags: RunFlags) => await runScheduler(dir, flags));
}

async function runScheduler(dir: string, flags: RunFlags): Promise<void> {
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

  let tls: TlsPair | null = null;
  if (apiEnabled) {
    // Refuse an exposed API, or unusable TLS files, before touching jobs or the database.
    const { ApiStartError, checkExposure, loadTls } = await import("../../api/server.ts");
    try {
      checkExposure(apiHost, token, flags.apiInsecure ?? false);
      tls = await loadTls(tlsPaths);
    } catch (err) {
      throw err instanceof ApiStartError ? new UsageError(err.message) : err;
    }
  }

  const log = new Logger({
    json: flags.logFormat === "json",
    level: flags.quiet ? "quiet" : flags.verbose ? "verbose" : "normal",
  });
  if (tickInterval !== undefined) {
    log.info(
      `tick_interval ${tickInterval} has no effect: Petit for Deno fires each slot on a timer`,
    );
  }
  const hosts = sshHosts(file);
  const loaded = await loadFolder(dir, hosts);
  for (const error of loaded.errors) log.error(formatConfigError(error));
  if (loaded.errors.length > 0) {
    log.warn(`${loaded.errors.length} error(s) in job files; those jobs are not loaded`);
  }

  const storage = openStore(storagePath);
  const recovered = await recoverRuns(storage);
  for (const run of recovered) {
    log.warn("run interrupted by a previous stop; marked interrupted", {
      job_id: run.job_id,
      run_id: run.id,
    });
  }
  const scheduler = new Scheduler(loaded.jobs, {
    storage,
    maxTasks,
    maxJobs,
    keepRuns,
    log,
    onNotice: (n) => logNotice(log, n),
    notify: { defaults: notifyDefaults(file) },
  });
  const stopLog = logRuns(scheduler.bus, log);

  let api: { url: string; close(): Promise<void> } | null = null;
  if (apiEnabled) {
    // Loaded only when serving, so other commands start without Hono.
    const { ApiStartError, startApi } = await import("../../api/server.ts");
    try {
      api = await startApi({
        scheduler,
        host: apiHost,
        port: apiPort,
        token,
        insecure: flags.apiInsecure ?? false,
        cors: flags.apiCors ?? file.api?.cors ?? null,
        allowedHosts: flags.apiAllowedHost.length > 0
          ? flags.apiAllowedHost
          : file.api?.allowed_hosts ?? [],
        tls,
      });
    } catch (err) {
      await scheduler.shutdown(0);
      storage.close();
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

  stopWatch = flags.watch
    ? watchJobs(
      dir,
      () => scheduler.jobs,
      (plan) => {
        for (const e of plan.errors) log.error(e);
        for (const id of plan.kept) {
          log.warn(`job file invalid; keeping the previous version`, { job_id: id });
        }
        const changes = scheduler.setJobs(plan.jobs);
        for (const c of changes) {
          log.info(
            `job ${c.change}: next run ${formatLocal(c.before)} → ${formatLocal(c.after)}`,
            { job_id: c.id },
          );
        }
      },
      (message) => log.warn(message),
      undefined,
      hosts,
    )
    : () => {};

  await stopped;
}

/**
 * Signals this soon after the first count as the same keypress (the terminal and `deno task`
 * each deliver one); a later signal forces the shutdown.
 *
 * @default {500}
 */
export const REPEAT_SIGNAL_WINDOW_MS = 500;

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
