/**
 * `pt tui`: a full-screen terminal dashboard of jobs, their runs, a run's tasks and a task's
 * logs, for an SSH session on the machine that runs Petit. It reads a running `pt run`
 * through its API (`RemoteSource`: live through server-sent events, logs through the follow
 * stream) or a database file (`DbSource`: read only, the event log looked at every second).
 *
 * One module per part: `keys.ts` (raw input to key names), `text.ts` (printable, cut,
 * times), `model.ts` (the state and what each key does), `render.ts`, `tables.ts`,
 * `paint.ts` and `help.ts` (the state as lines), `terminal.ts` (plain ANSI; why no
 * library), `source.ts` (what the app needs of its data), `remote_source.ts`,
 * `remote_logs.ts`, `sse.ts`, `db_source.ts`, and `app.ts` (the loop).
 *
 * Needs a terminal; `--allow-net` for a remote, `--allow-read --allow-write` for a database.
 *
 * @module
 */

export { type DashboardOptions, REFRESH_DELAY_MS, runDashboard } from "./app.ts";
export { DbSource, RECENT_RUNS } from "./db_source.ts";
export { type Key, parseKeys } from "./keys.ts";
export {
  type Effect,
  handleKey,
  initialModel,
  type JobRow,
  type LogLine,
  type LogMode,
  type LogState,
  type Message,
  type Model,
  NEEDS_REMOTE,
  type SourceKind,
  type View,
} from "./model.ts";
export { RECONNECT_MAX_MS, RECONNECT_MIN_MS, RemoteSource } from "./remote_source.ts";
export { bodyRows, MIN_SIZE, render, type Size } from "./render.ts";
export {
  type LogFeed,
  type LogUpdate,
  MAX_LOG_LINES,
  POLL_MS,
  QUIET_MS,
  RUNS_SHOWN,
  type SourceEvent,
  type SourceListener,
  type TuiSource,
} from "./source.ts";
export { type Screen, Terminal } from "./terminal.ts";
