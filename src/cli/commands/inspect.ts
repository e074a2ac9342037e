/**
 * Reading the store: `pt runs`, `pt show <run-id>`, `pt logs <run-id> [task-id]`; and
 * `pt logs … --follow --remote URL`, which follows a running task through the API
 * (`logs_follow.ts`).
 *
 * @module
 */

import type { Command } from "commander";
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from "../../api/deps.ts";
import { formatDuration } from "../../schedule/duration.ts";
import { attemptLogView, runDetailView, runListView } from "../../core/views.ts";
import {
  decodeRunCursor,
  InvalidCursorError,
  listRunPage,
  type RunKey,
} from "../../storage/run_page.ts";
import { RUN_STATUSES, type RunRecord, type RunStatus, type Storage } from "../../storage/types.ts";
import {
  EXIT_FAILURE,
  EXIT_OK,
  ExitCode,
  formatLocal,
  positiveInt,
  printJson,
  table,
  UsageError,
} from "../output.ts";
import { DB_HELP, dbPath, openStore } from "../store.ts";
import { followRemote } from "./logs_follow.ts";
import { CA_CERT_HELP } from "./status.ts";

const STATUSES = RUN_STATUSES;

/**
 * Runs `pt runs` lists when `--limit` is not given.
 *
 * @default {20}
 */
const DEFAULT_RUNS_LISTED = 20;

/** Registers `runs`, `show` and `logs`. */
export function registerInspect(program: Command): void {
  program.command("runs")
    .description("list recent runs, newest first")
    .option("--job <id>", "only runs of this job")
    .option("--status <status>", `only runs with this status (${STATUSES.join(", ")})`)
    .option("-n, --limit <N>", "how many runs", String(DEFAULT_RUNS_LISTED))
    .option("--cursor <cursor>", "the next page: the cursor the previous page printed")
    .option("--db <path>", DB_HELP)
    .option("--json", "print {runs, count, next_cursor} as JSON")
    .action(
      (flags: {
        job?: string;
        status?: string;
        limit: string;
        cursor?: string;
        db?: string;
        json?: boolean;
      }) => {
        const limit = positiveInt("--limit", flags.limit);
        if (flags.status !== undefined && !STATUSES.includes(flags.status as RunStatus)) {
          throw new ExitCode(usage(`--status must be one of ${STATUSES.join(", ")}`));
        }
        const after = flags.cursor === undefined ? undefined : cursorFlag(flags.cursor);
        withStore(flags.db, (storage) => {
          const page = listRunPage(storage, {
            job_id: flags.job,
            status: flags.status as RunStatus | undefined,
            after,
            limit,
          });
          if (flags.json) return printJson(runListView(page));
          const { runs, next_cursor } = page;
          if (runs.length === 0) return console.log("no runs");
          console.log(table(
            ["RUN", "JOB", "STATUS", "TRIGGER", "STARTED", "DURATION", "ERROR"],
            runs.map((r) => [
              r.id,
              r.job_id,
              r.status,
              r.trigger,
              formatLocal(r.started_at),
              r.duration_ms === null ? "-" : formatDuration(r.duration_ms),
              r.error ?? r.reason ?? "",
            ]),
          ));
          // On stderr, so the table alone goes down a pipe.
          if (next_cursor !== null) console.error(`more runs: repeat with --cursor ${next_cursor}`);
        });
      },
    );

  program.command("show")
    .description("show a run and its tasks")
    .argument("<run-id>", "the run")
    .option("--db <path>", DB_HELP)
    .option("--json", "print the run with its tasks as JSON")
    .action((runId: string, flags: { db?: string; json?: boolean }) => {
      withStore(flags.db, (storage) => {
        const run = findRun(storage, runId);
        const tasks = storage.listTaskRuns(run.id);
        if (flags.json) return printJson(runDetailView(run, tasks));
        console.log(`run       ${run.id}`);
        console.log(`job       ${run.job_id}`);
        console.log(`status    ${run.status}`);
        console.log(`trigger   ${run.trigger}${run.retry_of ? ` (of ${run.retry_of})` : ""}`);
        if (run.parent_run_id) console.log(`parent    ${run.parent_run_id}`);
        for (const [name, value] of Object.entries(run.params ?? {})) {
          console.log(`param     ${name}=${value}`);
        }
        if (run.scheduled_for !== null) console.log(`slot      ${formatLocal(run.scheduled_for)}`);
        console.log(`started   ${formatLocal(run.started_at)}`);
        console.log(`ended     ${formatLocal(run.ended_at)}`);
        if (run.duration_ms !== null) console.log(`duration  ${formatDuration(run.duration_ms)}`);
        if (run.reason) console.log(`reason    ${run.reason}`);
        if (run.error) console.log(`error     ${run.error}`);
        if (tasks.length === 0) return;
        console.log("");
        console.log(table(
          ["TASK", "STATUS", "ATTEMPTS", "DURATION", "EXIT", "ERROR"],
          tasks.map((t) => [
            t.task_id,
            t.status,
            String(t.attempts),
            t.duration_ms === null ? "-" : formatDuration(t.duration_ms),
            t.exit_code === null ? "-" : String(t.exit_code),
            t.error ?? "",
          ]),
        ));
      });
    });

  program.command("logs")
    .description("print the stdout and stderr of a run's tasks")
    .argument("<run-id>", "the run")
    .argument("[task-id]", "only this task")
    .option("--attempt <N>", "this attempt (default: the last); with --follow, the first")
    .option("--db <path>", DB_HELP)
    .option("--json", "print {run_id, logs: [...]} as JSON")
    .option(
      "-f, --follow",
      "print the task's output as it comes until the task is final (with --remote); exit 0 " +
        "if it completed, 1 otherwise",
    )
    .option(
      "--remote <url>",
      "with --follow: the API of the `pt run` that runs the task (token from PETIT_API_TOKEN)",
    )
    .option("--ca-cert <file>", CA_CERT_HELP)
    .action(async (runId: string, taskId: string | undefined, flags: {
      attempt?: string;
      db?: string;
      json?: boolean;
      follow?: boolean;
      remote?: string;
      caCert?: string;
    }) => {
      const attempt = flags.attempt === undefined ? null : positiveInt("--attempt", flags.attempt);
      if (flags.remote !== undefined && !flags.follow) {
        throw new UsageError("--remote is for --follow; stored logs are read from --db");
      }
      if (flags.follow && taskId === undefined) {
        throw new UsageError("--follow needs a task id: pt logs <run-id> <task-id> --follow");
      }
      if (flags.follow && flags.json) throw new UsageError("--follow cannot print --json");
      if (flags.follow && flags.remote !== undefined) {
        return await followRemote(flags.remote, runId, taskId!, {
          attempt,
          caCert: flags.caCert,
        });
      }
      withStore(flags.db, (storage) => {
        const run = findRun(storage, runId);
        const tasks = storage.listTaskRuns(run.id);
        if (taskId !== undefined && !tasks.some((t) => t.task_id === taskId)) {
          throw new ExitCode(usage(
            `run ${run.id} has no task "${taskId}" (tasks: ${
              tasks.map((t) => t.task_id).join(", ")
            })`,
          ));
        }
        const selected = tasks.filter((t) => taskId === undefined || t.task_id === taskId);
        const logs = selected.flatMap((t) => {
          const attempts = storage.listAttempts(run.id, t.task_id);
          const chosen = attempt === null
            ? attempts.at(-1)
            : attempts.find((a) => a.attempt === attempt);
          if (attempt !== null && !chosen && taskId !== undefined) {
            throw new ExitCode(usage(
              `task "${t.task_id}" of run ${run.id} has no attempt ${attempt} ` +
                `(it has ${attempts.length})`,
            ));
          }
          return chosen ? [attemptLogView(chosen)] : [];
        });
        if (flags.json) return printJson({ run_id: run.id, logs, count: logs.length });
        for (const log of logs) {
          const label = `${log.task_id} (attempt ${log.attempt})`;
          for (const stream of ["stdout", "stderr"] as const) {
            const text = log[stream];
            const truncated = log[`${stream}_truncated`];
            console.log(`==> ${label} ${stream}${truncated ? " [truncated]" : ""} <==`);
            if (text) {
              Deno.stdout.writeSync(
                new TextEncoder().encode(text.endsWith("\n") ? text : `${text}\n`),
              );
            }
            if (truncated) {
              console.log(
                `[... ${
                  log[`${stream}_bytes`] - new TextEncoder().encode(text).length
                } more bytes dropped]`,
              );
            }
          }
        }
        if (logs.length === 0) {
          console.log(`no logs for run ${run.id}${taskId ? ` task ${taskId}` : ""}`);
        }
        if (flags.follow) followStored(selected[0]);
      });
    });
}

/**
 * `--follow` without `--remote`: the database holds an attempt's output once it ended, so
 * only a final task is followed to its end (exit 0 if it completed, 1 otherwise); for a
 * running one, say where its live output is (exit 1).
 */
function followStored(task: { task_id: string; status: string }): never {
  if (task.status === "pending" || task.status === "running") {
    console.error(
      `task "${task.task_id}" is ${task.status}: the database gets each attempt's output when ` +
        "it ends; the output so far is in the `pt run` that runs it: follow it live with " +
        `--follow --remote URL (its API, e.g. http://${DEFAULT_API_HOST}:${DEFAULT_API_PORT})`,
    );
    throw new ExitCode(EXIT_FAILURE);
  }
  throw new ExitCode(task.status === "completed" ? EXIT_OK : EXIT_FAILURE);
}

/** The run a `--cursor` points after; a cursor that is not one is a usage error. */
function cursorFlag(cursor: string): RunKey {
  try {
    return decodeRunCursor(cursor);
  } catch (err) {
    if (err instanceof InvalidCursorError) throw new UsageError(`--cursor: ${err.reason}`);
    throw err;
  }
}

function usage(message: string): number {
  console.error(`error: ${message}`);
  return 2;
}

function withStore(flag: string | undefined, use: (storage: Storage) => void): void {
  const storage = openStore(dbPath(flag), { existing: true });
  try {
    use(storage);
  } finally {
    storage.close();
  }
}

/** A run by id; an unknown id is a usage error (exit 2), like an unknown job id. */
function findRun(storage: Storage, runId: string): RunRecord {
  const run = storage.getRun(runId);
  if (run) return run;
  throw new UsageError(`no run with id "${runId}" (see pt runs)`);
}
