/**
 * The scheduler's log: one line per run start and finish and per task failure, with job
 * and run ids, and one line when the database stops and starts taking writes again; text
 * for people or JSON lines for machines.
 *
 * @module
 */

import { formatDuration } from "../schedule/duration.ts";
import type { EventBus } from "../events/bus.ts";
import type { WriteHealth } from "../storage/types.ts";

/** How much is logged. */
export type LogLevel = "quiet" | "normal" | "verbose";

/** Writes log lines in text or JSON form. */
export class Logger {
  readonly #json: boolean;
  readonly #level: LogLevel;
  readonly #write: (line: string) => void;

  /** `write` defaults to stderr, so stdout stays free for the bound address and data. */
  constructor(
    options: { json?: boolean; level?: LogLevel; write?: (line: string) => void } = {},
  ) {
    this.#json = options.json ?? false;
    this.#level = options.level ?? "normal";
    this.#write = options.write ?? ((line) => console.error(line));
  }

  /** Logs at normal level (hidden by --quiet). */
  info(message: string, fields: Record<string, unknown> = {}): void {
    if (this.#level !== "quiet") this.#emit("info", message, fields);
  }

  /** Logs problems; always shown. */
  error(message: string, fields: Record<string, unknown> = {}): void {
    this.#emit("error", message, fields);
  }

  /** Logs warnings; always shown. */
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.#emit("warn", message, fields);
  }

  /** Logs details shown only with --verbose. */
  debug(message: string, fields: Record<string, unknown> = {}): void {
    if (this.#level === "verbose") this.#emit("debug", message, fields);
  }

  #emit(level: string, message: string, fields: Record<string, unknown>): void {
    const time = new Date().toISOString();
    if (this.#json) {
      this.#write(JSON.stringify({ time, level, msg: message, ...fields }));
      return;
    }
    const ids = ["job_id", "run_id", "task_id"]
      .filter((k) => typeof fields[k] === "string")
      .map((k) => `${k.replace("_id", "")}=${fields[k]}`).join(" ");
    this.#write(`${time} ${level.toUpperCase().padEnd(5)} ${message}${ids ? `  ${ids}` : ""}`);
  }
}

/** Subscribes the run/task lines to the bus. */
export function logRuns(bus: EventBus, log: Logger): () => void {
  return bus.subscribe((e) => {
    switch (e.type) {
      case "job_started":
        log.info(`run started (${e.trigger})`, { job_id: e.job_id, run_id: e.run_id });
        break;
      case "job_completed": {
        const fields = {
          job_id: e.job_id,
          run_id: e.run_id,
          status: e.status,
          duration_ms: e.duration_ms,
        };
        const text = `run ${e.status} in ${formatDuration(e.duration_ms)}` +
          (e.error && e.status !== "cancelled" ? `: ${e.error}` : "");
        if (e.status === "completed") log.info(text, fields);
        else log.warn(text, { ...fields, error: e.error });
        break;
      }
      case "task_failed":
        log.error(
          `task failed: ${e.error}${e.stderr_tail ? ` | ${e.stderr_tail.split("\n").at(-1)}` : ""}`,
          {
            job_id: e.job_id,
            run_id: e.run_id,
            task_id: e.task_id,
            exit_code: e.exit_code,
            attempts: e.attempts,
          },
        );
        break;
      case "task_retrying":
        log.debug(`task attempt ${e.attempt}/${e.max} failed (${e.error}), retrying`, {
          job_id: e.job_id,
          run_id: e.run_id,
          task_id: e.task_id,
        });
        break;
      case "task_started":
      case "task_completed":
      case "task_skipped":
        log.debug(e.type.replace("_", " "), {
          job_id: e.job_id,
          run_id: e.run_id,
          task_id: e.task_id,
        });
        break;
      case "job_skipped": {
        const fields = { job_id: e.job_id, run_id: e.run_id ?? undefined };
        // A slot the database could not claim is a problem, not a decision.
        if (e.reason.startsWith("storage:")) log.warn(`slot skipped: ${e.reason}`, fields);
        else log.info(`slot skipped: ${e.reason}`, fields);
        break;
      }
      case "scheduler_paused":
        log.info("scheduler paused");
        break;
      case "scheduler_resumed":
        log.info("scheduler resumed");
        break;
      case "notification_sent":
      case "notification_failed": {
        const fields = {
          job_id: e.job_id,
          run_id: e.run_id ?? undefined,
          channel: e.channel,
          target: e.target,
          attempt: e.attempt,
        };
        if (e.type === "notification_sent") {
          log.info(`notification sent: ${e.channel} ${e.target}`, fields);
        } else {
          const next = e.retry_in_ms === null
            ? "giving up"
            : `retrying in ${formatDuration(e.retry_in_ms)}`;
          log.warn(`notification failed (attempt ${e.attempt}): ${e.error}; ${next}`, fields);
        }
        break;
      }
      default:
        break;
    }
  });
}

/**
 * Logs a change in whether the database takes writes (see `StoreLifecycle.watchWrites`):
 * one line when writes start failing, one when they are committed again, never one per write.
 */
export function logWriteHealth(log: Logger, h: WriteHealth): void {
  switch (h.state) {
    case "failing":
      log.error(
        `the database refuses writes (${h.error.message}): ${h.pending} write(s) kept in ` +
          "memory and retried until it takes them; scheduled slots do not run meanwhile " +
          "(free disk space)",
        { pending: h.pending },
      );
      break;
    case "shedding":
      log.warn(
        `writes kept in memory passed ${Math.round(h.pendingBytes / 1048576)} MiB: ` +
          "task output logs and event-log rows are dropped until the database takes writes",
      );
      break;
    case "recovered":
      log.info(
        `the database takes writes again after ${formatDuration(h.failedMs)}: ` +
          `${h.committed} kept write(s) committed`,
        { committed: h.committed, dropped: h.dropped, shed: h.shed },
      );
      if (h.dropped > 0) {
        log.warn(
          `${h.dropped} kept write(s) no longer applied and were dropped ` +
            `(first: ${h.droppedError?.message})`,
        );
      }
      break;
    case "lost":
      log.error(`${h.pending} write(s) the database did not take are lost: ${h.error.message}`);
      break;
  }
}
