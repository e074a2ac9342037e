/**
 * What the dashboard shows, as plain data, and what each key does to it: {@link handleKey}
 * returns the next model and the effect the app carries out (load a run, trigger a job,
 * quit…). Lists keep their selection on the same job, run or task when they are replaced
 * ({@link withJobs}, {@link withRuns}, {@link withRun}). Pure: no I/O, so every key is tested
 * without a terminal.
 *
 * @module
 */

import type { JobView, RunDetailView, RunView, SchedulerStateView } from "../core/views.ts";
import type { Key } from "./keys.ts";

/** Where the data comes from: a running `pt run` (its API) or a database file. */
export type SourceKind = "remote" | "db";

/** A job as the dashboard lists it. */
export interface JobRow {
  /** The job id. */
  readonly id: string;
  /** The loaded job (remote), or null when only its runs are known (db). */
  readonly job: JobView | null;
  /** Its newest run, or null. */
  readonly last_run: RunView | null;
}

/** One line of a task's output. */
export interface LogLine {
  /** Where it came from; `note` lines are the dashboard's own (attempt breaks, truncation). */
  readonly stream: "stdout" | "stderr" | "note";
  /** The text, already made printable. */
  readonly text: string;
}

/** How the log overlay gets its lines. */
export type LogMode =
  /** The task has not started yet. */
  | "waiting"
  /** Lines arrive as the task prints them (the API's follow stream). */
  | "live"
  /** The stored output is read again every second while the task runs. */
  | "polling"
  /** The stored output, read again when the database says the task changed. */
  | "stored"
  /** The task has finished: the lines are all there is. */
  | "finished";

/** The log overlay. */
export interface LogState {
  /** The job. */
  readonly jobId: string;
  /** The run. */
  readonly runId: string;
  /** The task. */
  readonly taskId: string;
  /** Attempt shown, when known. */
  readonly attempt: number | null;
  /** The lines so far. */
  readonly lines: readonly LogLine[];
  /** How they come. */
  readonly mode: LogMode;
  /** A word on where the lines come from, or null. */
  readonly note: string | null;
  /** First line shown, or null to keep the last lines in view (following). */
  readonly scroll: number | null;
}

/** A line for the user at the bottom of the screen. */
export interface Message {
  /** The text. */
  readonly text: string;
  /** Shown as an error. */
  readonly error: boolean;
}

/** The three lists, from the top. */
export type View = "jobs" | "runs" | "tasks";

/** Everything the screen shows. */
export interface Model {
  /** Remote or database. */
  readonly kind: SourceKind;
  /** The URL or the database path. */
  readonly label: string;
  /** The list shown. */
  readonly view: View;
  /** All jobs. */
  readonly jobs: readonly JobRow[];
  /** Selected job row. */
  readonly jobIndex: number;
  /** The job whose runs are listed (runs and tasks views). */
  readonly jobId: string | null;
  /** Its runs, newest first; null while loading. */
  readonly runs: readonly RunView[] | null;
  /** Selected run row. */
  readonly runIndex: number;
  /** The run whose tasks are listed (tasks view). */
  readonly runId: string | null;
  /** That run with its tasks; null while loading. */
  readonly run: RunDetailView | null;
  /** Selected task row. */
  readonly taskIndex: number;
  /** The log overlay, or null. */
  readonly log: LogState | null;
  /** The help overlay is open (above everything). */
  readonly help: boolean;
  /** The scheduler's state (remote), null for a database. */
  readonly scheduler: SchedulerStateView | null;
  /** The bottom line. */
  readonly message: Message | null;
  /** Trouble with the live updates ("reconnecting…"), or null while they flow. */
  readonly connection: string | null;
}

/** What the app does after a key. */
export type Effect =
  | { readonly type: "none" }
  | { readonly type: "quit" }
  | { readonly type: "refresh" }
  /** Load the runs of `model.jobId` (the runs view was opened or returned to). */
  | { readonly type: "loadRuns" }
  /** Load `model.runId` with its tasks. */
  | { readonly type: "loadRun" }
  /** Reload the jobs (back on the jobs view). */
  | { readonly type: "loadJobs" }
  /** Open the logs of a task; with `taskId` null, of the run's running (or last) task. */
  | {
    readonly type: "openLogs";
    readonly jobId: string;
    readonly runId: string;
    readonly taskId: string | null;
  }
  | { readonly type: "closeLogs" }
  | { readonly type: "trigger"; readonly jobId: string; readonly force: boolean }
  | { readonly type: "pause"; readonly paused: boolean };

/** The model before anything is loaded. */
export function initialModel(kind: SourceKind, label: string): Model {
  return {
    kind,
    label,
    view: "jobs",
    jobs: [],
    jobIndex: 0,
    jobId: null,
    runs: null,
    runIndex: 0,
    runId: null,
    run: null,
    taskIndex: 0,
    log: null,
    help: false,
    scheduler: null,
    message: null,
    connection: null,
  };
}

const NONE: Effect = { type: "none" };
/** Said when a key needs the API and the dashboard reads a database. */
export const NEEDS_REMOTE: string = "needs --remote URL (a running pt run): this view only reads " +
  "the database";

/**
 * What `key` does: the next model and the effect to carry out. `page` is the number of
 * rows a page key moves.
 */
export function handleKey(model: Model, key: Key, page: number): [Model, Effect] {
  if (key === "q" || key === "ctrl-c") return [model, { type: "quit" }];
  const m: Model = model.message ? { ...model, message: null } : model;
  if (m.help) {
    return key === "?" || key === "escape" || key === "enter" || key === "backspace"
      ? [{ ...m, help: false }, NONE]
      : [m, NONE];
  }
  if (key === "?") return [{ ...m, help: true }, NONE];
  if (m.log) return logKey(m, m.log, key, page);
  const step = moveBy(key, page);
  if (step !== null) return [move(m, step), NONE];
  switch (key) {
    case "enter":
    case "right":
      return open(m);
    case "escape":
    case "backspace":
    case "left":
    case "h":
      return back(m);
    case "l":
      return logs(m);
    case "t":
    case "T":
      return trigger(m, key === "T");
    case "p":
      if (m.kind === "db") return [say(m, `pause/resume ${NEEDS_REMOTE}`, true), NONE];
      if (!m.scheduler) return [m, NONE];
      return [m, { type: "pause", paused: !m.scheduler.is_paused }];
    case "r":
      return [m, { type: "refresh" }];
    default:
      return [m, NONE];
  }
}

/** `model` with `text` on the bottom line. */
export function say(model: Model, text: string, error = false): Model {
  return { ...model, message: { text, error } };
}

/** Rows a movement key moves (negative: up), or null for another key. */
function moveBy(key: Key, page: number): number | null {
  switch (key) {
    case "up":
    case "k":
      return -1;
    case "down":
    case "j":
      return 1;
    case "pageup":
    case "ctrl-b":
      return -page;
    case "pagedown":
    case "ctrl-f":
    case " ":
      return page;
    case "home":
    case "g":
      return -Infinity;
    case "end":
    case "G":
      return Infinity;
    default:
      return null;
  }
}

const clamp = (i: number, n: number) => Math.max(0, Math.min(n - 1, i));

function move(m: Model, step: number): Model {
  switch (m.view) {
    case "jobs":
      return { ...m, jobIndex: clamp(m.jobIndex + step, m.jobs.length) };
    case "runs":
      return { ...m, runIndex: clamp(m.runIndex + step, m.runs?.length ?? 0) };
    case "tasks":
      return { ...m, taskIndex: clamp(m.taskIndex + step, m.run?.tasks.length ?? 0) };
  }
}

function open(m: Model): [Model, Effect] {
  if (m.view === "jobs") {
    const job = m.jobs[m.jobIndex];
    if (!job) return [m, NONE];
    const same = job.id === m.jobId;
    return [
      {
        ...m,
        view: "runs",
        jobId: job.id,
        runs: same ? m.runs : null,
        runIndex: same ? m.runIndex : 0,
      },
      { type: "loadRuns" },
    ];
  }
  if (m.view === "runs") {
    const run = m.runs?.[m.runIndex];
    if (!run) return [m, NONE];
    const same = run.id === m.runId;
    return [
      {
        ...m,
        view: "tasks",
        runId: run.id,
        run: same ? m.run : null,
        taskIndex: same ? m.taskIndex : 0,
      },
      { type: "loadRun" },
    ];
  }
  return logs(m);
}

function back(m: Model): [Model, Effect] {
  if (m.view === "tasks") return [{ ...m, view: "runs" }, { type: "loadRuns" }];
  if (m.view === "runs") return [{ ...m, view: "jobs" }, { type: "loadJobs" }];
  return [m, NONE];
}

function logs(m: Model): [Model, Effect] {
  if (m.view === "tasks") {
    const task = m.run?.tasks[m.taskIndex];
    if (!m.run || !task) return [m, NONE];
    return [m, { type: "openLogs", jobId: m.run.job_id, runId: m.run.id, taskId: task.task_id }];
  }
  const run = m.view === "runs" ? m.runs?.[m.runIndex] : m.jobs[m.jobIndex]?.last_run;
  if (!run) return [say(m, "no run to show the logs of"), NONE];
  return [m, { type: "openLogs", jobId: run.job_id, runId: run.id, taskId: null }];
}

function trigger(m: Model, force: boolean): [Model, Effect] {
  if (m.kind === "db") return [say(m, `trigger ${NEEDS_REMOTE}`, true), NONE];
  const jobId = m.view === "jobs" ? m.jobs[m.jobIndex]?.id : m.jobId;
  if (!jobId) return [m, NONE];
  return [m, { type: "trigger", jobId, force }];
}

function logKey(m: Model, log: LogState, key: Key, page: number): [Model, Effect] {
  if (key === "escape" || key === "l" || key === "backspace" || key === "left") {
    return [{ ...m, log: null }, { type: "closeLogs" }];
  }
  const step = moveBy(key, page);
  if (step === null) return [m, NONE];
  // Scrolling from the followed end starts at the last page; reaching it follows again.
  const last = Math.max(0, log.lines.length - page);
  const from = log.scroll ?? last;
  const to = Math.max(0, Math.min(last, from + step));
  return [{ ...m, log: { ...log, scroll: to >= last ? null : to } }, NONE];
}

/** `model` showing `jobs`, the selection kept on the same job. */
export function withJobs(model: Model, jobs: readonly JobRow[]): Model {
  const id = model.jobs[model.jobIndex]?.id;
  const at = jobs.findIndex((j) => j.id === id);
  return { ...model, jobs, jobIndex: at >= 0 ? at : clamp(model.jobIndex, jobs.length) };
}

/** `model` showing `runs` of its job, the selection kept on the same run. */
export function withRuns(model: Model, runs: readonly RunView[]): Model {
  const id = model.runs?.[model.runIndex]?.id;
  const at = runs.findIndex((r) => r.id === id);
  return { ...model, runs, runIndex: at >= 0 ? at : clamp(model.runIndex, runs.length) };
}

/** `model` showing `run` with its tasks, the selection kept on the same task. */
export function withRun(model: Model, run: RunDetailView): Model {
  const id = model.run?.tasks[model.taskIndex]?.task_id;
  const at = run.tasks.findIndex((t) => t.task_id === id);
  return {
    ...model,
    run,
    taskIndex: at >= 0 ? at : clamp(model.taskIndex, run.tasks.length),
  };
}
