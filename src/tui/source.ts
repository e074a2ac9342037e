/**
 * What the dashboard needs from where its data lives, declared here by the consumer: a
 * running `pt run` through its API (`remote_source.ts`) or a database file read directly
 * (`db_source.ts`). The app only talks to a {@link TuiSource}.
 *
 * @module
 */

import type { RunDetailView, RunView, SchedulerStateView } from "../core/views.ts";
import type { JobRow, LogLine, LogMode, SourceKind } from "./model.ts";
import { printable } from "./text.ts";

/** The ids an event is about: enough to know which lists to read again. */
export interface SourceEvent {
  /** The event type (`job_started`, `task_completed`, …, or `resync` after a gap). */
  readonly type: string;
  /** Its job, if any. */
  readonly job_id: string | null;
  /** Its run, if any. */
  readonly run_id: string | null;
  /** Its task, if any. */
  readonly task_id: string | null;
}

/** Told about changes by {@link TuiSource.watch}. */
export interface SourceListener {
  /** Events happened (in order). A `resync` event means: read everything again. */
  events(batch: readonly SourceEvent[]): void;
  /** The live updates stopped (why, and what is being done), or flow again (null). */
  connection(problem: string | null): void;
}

/** A change of the log overlay's content. */
export interface LogUpdate {
  /** Replaces every line (a fresh read of the stored output). */
  readonly lines?: readonly LogLine[];
  /** Lines to add at the end (a live stream). */
  readonly append?: readonly LogLine[];
  /** How the lines come from now on. */
  readonly mode: LogMode;
  /** The attempt shown, when known. */
  readonly attempt?: number | null;
  /** A word on where the lines come from (null clears it). */
  readonly note?: string | null;
}

/** A followed task's output; {@link LogFeed.close} stops it. */
export interface LogFeed {
  /** Stops following (idempotent). */
  close(): void;
}

/** The data behind the dashboard. */
export interface TuiSource {
  /** Remote or database. */
  readonly kind: SourceKind;
  /** The URL or the database path, for the header. */
  readonly label: string;
  /**
   * The jobs with their newest run. `changed` names the jobs whose runs changed since the
   * last call (their newest run is read again); undefined reads everything again.
   */
  jobs(changed?: ReadonlySet<string>): Promise<JobRow[]>;
  /** The runs of a job, newest first. */
  runs(jobId: string): Promise<RunView[]>;
  /** A run with its tasks, or null when it is unknown (pruned). */
  run(runId: string): Promise<RunDetailView | null>;
  /** The scheduler's state, or null when the source cannot know it (database). */
  scheduler(): Promise<SchedulerStateView | null>;
  /** Starts a run of the job now; returns what to tell the user. Remote only. */
  trigger(jobId: string, force: boolean): Promise<string>;
  /** Pauses or resumes scheduled fires; returns the new state. Remote only. */
  setPaused(paused: boolean): Promise<SchedulerStateView>;
  /** Calls `listener` on changes until the returned function is called. */
  watch(listener: SourceListener): () => void;
  /** Follows the output of a task's last attempt, calling `update` as it changes. */
  followLogs(runId: string, taskId: string, update: (u: LogUpdate) => void): LogFeed;
  /** Releases connections and timers. */
  close(): void;
}

/**
 * Milliseconds between two reads of the stored output of a running task when nothing tells
 * about new lines (no follow stream), and between two looks at a database's event log.
 *
 * @default {1000}
 */
export const POLL_MS = 1000;

/**
 * Milliseconds without a byte on an event stream after which its connection is taken as
 * dead and made again: the server sends a heartbeat every 15 s, so this is three missed.
 *
 * @default {45_000}
 */
export const QUIET_MS = 45_000;

/** Most log lines the overlay keeps (the oldest go first). */
export const MAX_LOG_LINES = 5000;

/** The lines of a stored attempt's output: stdout, then stderr, each marked when cut. */
export function storedLines(log: {
  readonly stdout: string;
  readonly stderr: string;
  readonly stdout_truncated: boolean;
  readonly stderr_truncated: boolean;
}): LogLine[] {
  const lines: LogLine[] = [];
  for (const stream of ["stdout", "stderr"] as const) {
    const text = log[stream];
    if (text !== "") {
      for (const line of text.replace(/\n$/, "").split("\n")) {
        lines.push({ stream, text: printable(line) });
      }
    }
    if (log[`${stream}_truncated`]) {
      lines.push({ stream: "note", text: `[${stream} was cut: only part of it was kept]` });
    }
  }
  return lines.slice(-MAX_LOG_LINES);
}

/**
 * Runs of a job the runs view lists (the newest).
 *
 * @default {100}
 */
export const RUNS_SHOWN = 100;

/** Waits `ms`, or less when `signal` aborts (then resolves too). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The message of an error, for the bottom line. */
export function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/^petit: /, "");
}
