/**
 * The dashboard's data read from a database file, for when no `pt run` serves an API (or
 * none is reachable). It only reads: opened like `pt runs` (nothing is created, nothing
 * written). Jobs are the ones with runs in the file (job files are not read, so there is no
 * next run). Changes are noticed by looking at the store's event log every
 * {@link POLL_MS} ms — one indexed query for the events after the last one seen — while
 * someone listens.
 *
 * Task output is stored when an attempt ends, so the log overlay shows a running task's
 * output once its attempt is over; `--remote` follows it live.
 *
 * Needs `--allow-read` and `--allow-write` (SQLite's locks and WAL index, no data).
 *
 * @module
 */

import { latestEventId } from "../api/routes/events.ts";
import { type RunDetailView, runDetailView, type RunView, runView } from "../core/views.ts";
import type { Storage, StoredEvent } from "../storage/types.ts";
import { type JobRow, NEEDS_REMOTE } from "./model.ts";
import {
  type LogFeed,
  type LogUpdate,
  POLL_MS,
  reason,
  RUNS_SHOWN,
  type SourceEvent,
  type SourceListener,
  storedLines,
  type TuiSource,
} from "./source.ts";

/**
 * Runs looked at to find the jobs and their newest run when the dashboard starts.
 *
 * @default {1000}
 */
export const RECENT_RUNS = 1000;

/** Events read from the store at a time. */
const PAGE = 500;

/** Task statuses after which nothing more is written. */
const FINISHED = new Set(["completed", "failed", "skipped", "cancelled"]);

/** A database file, read only. */
export class DbSource implements TuiSource {
  /** Always `db`. */
  readonly kind = "db";
  /** The database path. */
  readonly label: string;
  readonly #storage: Storage;
  readonly #lastRuns = new Map<string, RunView>();
  readonly #listeners = new Set<SourceListener>();
  #loaded = false;
  #cursor: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #failing = false;

  /** Reads `storage` (closed by {@link close}), found at `path`. */
  constructor(storage: Storage, path: string) {
    this.#storage = storage;
    this.label = path;
    this.#cursor = latestEventId(storage);
  }

  /** Jobs that have runs; the newest run of `changed` jobs is read again. */
  jobs(changed?: ReadonlySet<string>): Promise<JobRow[]> {
    if (changed === undefined || !this.#loaded) {
      this.#lastRuns.clear();
      for (const run of this.#storage.listRuns({ limit: RECENT_RUNS })) {
        if (!this.#lastRuns.has(run.job_id)) this.#lastRuns.set(run.job_id, runView(run));
      }
      this.#loaded = true;
    } else {
      for (const jobId of changed) {
        const [run] = this.#storage.listRuns({ job_id: jobId, limit: 1 });
        if (run) this.#lastRuns.set(jobId, runView(run));
        else this.#lastRuns.delete(jobId);
      }
    }
    const ids = [...this.#lastRuns.keys()].sort();
    return Promise.resolve(
      ids.map((id) => ({ id, job: null, last_run: this.#lastRuns.get(id) ?? null })),
    );
  }

  /** The newest runs of a job. */
  runs(jobId: string): Promise<RunView[]> {
    return Promise.resolve(
      this.#storage.listRuns({ job_id: jobId, limit: RUNS_SHOWN }).map(runView),
    );
  }

  /** A run with its tasks. */
  run(runId: string): Promise<RunDetailView | null> {
    const run = this.#storage.getRun(runId);
    return Promise.resolve(run ? runDetailView(run, this.#storage.listTaskRuns(run.id)) : null);
  }

  /** A database does not know whether a scheduler runs. */
  scheduler(): Promise<null> {
    return Promise.resolve(null);
  }

  /** Refused: starting runs needs the API. */
  trigger(): Promise<string> {
    return Promise.reject(new Error(`trigger ${NEEDS_REMOTE}`));
  }

  /** Refused: pausing needs the API. */
  setPaused(): Promise<never> {
    return Promise.reject(new Error(`pause/resume ${NEEDS_REMOTE}`));
  }

  /** Looks at the event log every second while `listener` is subscribed. */
  watch(listener: SourceListener): () => void {
    this.#listeners.add(listener);
    this.#timer ??= setInterval(() => this.#poll(), POLL_MS);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  #poll(): void {
    let events: StoredEvent[] = [];
    try {
      for (;;) {
        const page = this.#storage.eventsAfter(this.#cursor, PAGE);
        events = events.concat(page);
        if (page.length > 0) this.#cursor = page[page.length - 1].id;
        if (page.length < PAGE) break;
      }
    } catch (err) {
      this.#failing = true;
      for (const l of this.#listeners) l.connection(`cannot read the database: ${reason(err)}`);
      return;
    }
    if (this.#failing) {
      this.#failing = false;
      for (const l of this.#listeners) l.connection(null);
    }
    if (events.length === 0) return;
    const batch: SourceEvent[] = events.map((e) => ({
      type: e.type,
      job_id: e.job_id,
      run_id: e.run_id,
      task_id: e.task_id,
    }));
    for (const l of [...this.#listeners]) l.events(batch);
  }

  /** The stored output of the task's last attempt, read again when the task changes. */
  followLogs(runId: string, taskId: string, update: (u: LogUpdate) => void): LogFeed {
    const read = () => {
      try {
        readNow();
      } catch (err) {
        update({ mode: "finished", note: `cannot read the logs: ${reason(err)}` });
      }
    };
    const readNow = () => {
      const attempts = this.#storage.listAttempts(runId, taskId);
      const last = attempts.at(-1);
      if (!last) {
        update({ lines: [], mode: "waiting", note: "waiting for the task to start" });
        return;
      }
      const task = this.#storage.listTaskRuns(runId).find((t) => t.task_id === taskId);
      const done = !task || FINISHED.has(task.status);
      const lines = storedLines(last);
      const note = done
        ? null
        : last.ended_at === null
        ? "the database holds the output once the attempt ends (--remote follows it live)"
        : "the task is retrying";
      update({ lines, mode: done ? "finished" : "stored", attempt: last.attempt, note });
    };
    const listener: SourceListener = {
      events: (batch) => {
        if (batch.some((e) => e.run_id === runId && (e.task_id ?? taskId) === taskId)) read();
      },
      connection: () => {},
    };
    read();
    const unwatch = this.watch(listener);
    return { close: unwatch };
  }

  /** Stops looking and closes the database. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
    this.#storage.close();
  }
}
