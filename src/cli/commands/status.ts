/**
 * `pt status`: what a scheduler is doing. With `--remote URL`, asks a running `pt run`
 * through its API (state, jobs with next runs, running runs); without, reads the local
 * database (latest run per job, running runs).
 *
 * @module
 */

import type { Command } from "commander";
import {
  ApiClient,
  ApiRequestError,
  ApiTlsError,
  ApiUnreachableError,
  ApiUrlError,
  remoteExitCode,
} from "../../api/client.ts";
import { MAX_RUN_PAGE } from "../../api/route_table.ts";
import { formatDuration } from "../../schedule/duration.ts";
import { type JobView, type RunView, runView, type SchedulerStateView } from "../../core/views.ts";
import { CA_CERT_HELP, ExitCode, formatLocal, printJson, table } from "../output.ts";
import { DB_HELP, dbPath, openStore } from "../store.ts";

interface StatusFlags {
  remote?: string;
  caCert?: string;
  json?: boolean;
  db?: string;
}

/** `pt status --json` with `--remote`. */
export interface RemoteStatus {
  source: "remote";
  url: string;
  scheduler: SchedulerStateView;
  jobs: JobView[];
  running: RunView[];
}

/** `pt status --json` without `--remote`. */
export interface LocalStatus {
  source: "local";
  db: string;
  scheduler: null;
  jobs: { job_id: string; last_run: RunView }[];
  running: RunView[];
}

/**
 * Runs looked at to find each job's latest run in the local database.
 *
 * @default {1000}
 */
const RECENT_RUNS = 1000;

/** Registers `status`. */
export function registerStatus(program: Command): void {
  program.command("status")
    .description(
      "show the scheduler's state, jobs and running runs (from a running `pt run` with " +
        "--remote, else from the local database)",
    )
    .option(
      "--remote <url>",
      "ask the `pt run` API at this URL (token from PETIT_API_TOKEN); exit 1 if it cannot " +
        "be reached, 2 if the token is refused",
    )
    .option("--ca-cert <file>", CA_CERT_HELP)
    .option("--db <path>", DB_HELP)
    .option("--json", "print the status as JSON")
    .action(async (flags: StatusFlags) => {
      if (flags.remote !== undefined) {
        await remoteStatus(flags.remote, flags.caCert, flags.json ?? false);
      } else localStatus(dbPath(flags.db), flags.json ?? false);
    });
}

export { CA_CERT_HELP } from "../output.ts";

/** Prints a failed remote call and stops with its exit code. */
export function failRemote(err: unknown): never {
  if (
    err instanceof ApiRequestError || err instanceof ApiUnreachableError ||
    err instanceof ApiUrlError || err instanceof ApiTlsError
  ) {
    const refused = err instanceof ApiRequestError && (err.status === 409 || err.status === 429);
    console.error(`${refused ? "refused" : "error"}: ${err.message}`);
    throw new ExitCode(remoteExitCode(err));
  }
  throw err;
}

async function remoteStatus(
  url: string,
  caCertFile: string | undefined,
  json: boolean,
): Promise<void> {
  let status: RemoteStatus;
  let client: ApiClient | null = null;
  try {
    client = new ApiClient(url, { caCertFile });
    const [scheduler, jobs, running] = await Promise.all([
      client.state(),
      client.jobs(),
      client.runs({ status: "running", limit: MAX_RUN_PAGE }),
    ]);
    status = {
      source: "remote",
      url: client.baseUrl,
      scheduler,
      jobs: jobs.jobs,
      running: running.runs,
    };
  } catch (err) {
    failRemote(err);
  } finally {
    client?.close();
  }
  if (json) return printJson(status);
  console.log(`scheduler  ${status.scheduler.state} (${status.url})`);
  console.log("");
  if (status.jobs.length === 0) console.log("no jobs");
  else {
    console.log(table(
      ["JOB", "ENABLED", "SCHEDULE", "NEXT RUN"],
      status.jobs.map((j) => [
        j.id,
        j.enabled ? "yes" : "no",
        j.schedule === null ? "manual" : `${j.schedule} (${j.timezone})`,
        j.scheduled ? formatLocal(j.next_run) : "-",
      ]),
    ));
  }
  printRunning(status.running);
}

function localStatus(path: string, json: boolean): void {
  const storage = openStore(path, { existing: true });
  let status: LocalStatus;
  try {
    const latest = new Map<string, RunView>();
    for (const run of storage.listRuns({ limit: RECENT_RUNS })) {
      if (!latest.has(run.job_id)) latest.set(run.job_id, runView(run));
    }
    status = {
      source: "local",
      db: path,
      scheduler: null,
      jobs: [...latest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([job_id, last_run]) => ({ job_id, last_run })),
      running: storage.runningRuns().map(runView),
    };
  } finally {
    storage.close();
  }
  if (json) return printJson(status);
  console.log(`database   ${path} (use --remote URL for the live scheduler state)`);
  console.log("");
  if (status.jobs.length === 0) console.log("no runs recorded");
  else {
    console.log(table(
      ["JOB", "LAST RUN", "STATUS", "STARTED", "DURATION"],
      status.jobs.map(({ job_id, last_run: r }) => [
        job_id,
        r.id,
        r.status,
        formatLocal(r.started_at),
        r.duration_ms === null ? "-" : formatDuration(r.duration_ms),
      ]),
    ));
  }
  printRunning(status.running);
}

function printRunning(running: RunView[]): void {
  console.log("");
  if (running.length === 0) return console.log("no running runs");
  console.log(table(
    ["RUNNING RUN", "JOB", "TRIGGER", "STARTED"],
    running.map((r) => [r.id, r.job_id, r.trigger, formatLocal(r.started_at)]),
  ));
}
