/**
 * The dashboard's loop: keys and source events change the model, the model is drawn. It
 * redraws when something changed (a key, an event, a resize), never on a timer. Events are
 * gathered for {@link REFRESH_DELAY_MS} ms, then only what is on screen and was touched is
 * read again (the jobs whose runs changed, the open job's runs, the open run's tasks).
 *
 * The terminal is given back however the loop ends: `q`, Ctrl+C, SIGINT/SIGTERM/SIGHUP, the
 * end of input, or an error (which is then rethrown to the CLI).
 *
 * @module
 */

import { ApiRequestError } from "../api/client.ts";
import type { Key } from "./keys.ts";
import {
  type Effect,
  handleKey,
  initialModel,
  type LogState,
  type Model,
  say,
  withJobs,
  withRun,
  withRuns,
} from "./model.ts";
import { bodyRows, render } from "./render.ts";
import {
  type LogFeed,
  type LogUpdate,
  MAX_LOG_LINES,
  reason,
  type SourceEvent,
  type TuiSource,
} from "./source.ts";
import type { Screen } from "./terminal.ts";

/**
 * Milliseconds events are gathered before the lists they touch are read again: a run's
 * start is a handful of events in a few milliseconds.
 *
 * @default {150}
 */
export const REFRESH_DELAY_MS = 150;

/** Exit codes for the signals that end the dashboard (128 + the signal's number). */
const SIGNAL_EXIT: Readonly<Partial<Record<Deno.Signal, number>>> = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
};

/** Options of {@link runDashboard}. */
export interface DashboardOptions {
  /** Colours (default: unless `NO_COLOR`). */
  readonly color?: boolean;
  /** The clock, for times shown as "today". */
  readonly now?: () => number;
  /** A first line for the message line. */
  readonly message?: string;
}

/**
 * Shows the dashboard for `source` on `screen` until the user quits; returns the exit
 * code (0 for `q` and Ctrl+C, 128 + n for a signal). Errors are rethrown once the
 * terminal is given back.
 */
export async function runDashboard(
  source: TuiSource,
  screen: Screen,
  options: DashboardOptions = {},
): Promise<number> {
  return await new Dashboard(source, screen, options).run();
}

class Dashboard {
  readonly #source: TuiSource;
  readonly #screen: Screen;
  readonly #color: boolean;
  readonly #now: () => number;
  #model: Model;
  #renderTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshing = false;
  #again = false;
  #pending = { all: false, scheduler: false, jobs: new Set<string>(), runs: new Set<string>() };
  /** Jobs whose runs changed while the jobs list was not shown (`all`: everything). */
  #stale = { all: false, jobs: new Set<string>() };
  #feed: LogFeed | null = null;
  #feedGeneration = 0;
  #end!: (code: number) => void;
  #fail!: (err: unknown) => void;
  readonly #done: Promise<number>;

  constructor(source: TuiSource, screen: Screen, options: DashboardOptions) {
    this.#source = source;
    this.#screen = screen;
    this.#color = options.color ?? !Deno.noColor;
    this.#now = options.now ?? Date.now;
    this.#model = initialModel(source.kind, source.label);
    if (options.message) this.#model = say(this.#model, options.message);
    this.#done = new Promise<number>((resolve, reject) => {
      this.#end = resolve;
      this.#fail = reject;
    });
  }

  async run(): Promise<number> {
    const cleanups: (() => void)[] = [];
    const onError = (e: ErrorEvent | PromiseRejectionEvent) => {
      e.preventDefault();
      this.#fail("reason" in e ? e.reason : e.error);
    };
    this.#screen.enter();
    try {
      globalThis.addEventListener("error", onError);
      globalThis.addEventListener("unhandledrejection", onError);
      cleanups.push(() => {
        globalThis.removeEventListener("error", onError);
        globalThis.removeEventListener("unhandledrejection", onError);
      });
      for (const [signal, code] of Object.entries(SIGNAL_EXIT) as [Deno.Signal, number][]) {
        const quit = () => this.#end(code);
        Deno.addSignalListener(signal, quit);
        cleanups.push(() => Deno.removeSignalListener(signal, quit));
      }
      cleanups.push(this.#screen.onResize(() => {
        this.#screen.invalidate();
        this.#draw();
      }));
      cleanups.push(this.#source.watch({
        events: (batch) => this.#onEvents(batch),
        connection: (problem) => this.#set({ ...this.#model, connection: problem }),
      }));
      this.#draw();
      this.#pending.all = true;
      this.#refresh();
      this.#screen.readKeys((keys) => keys.forEach((k) => this.#key(k)))
        .then(() => this.#end(0), (err) => this.#fail(err));
      return await this.#done;
    } finally {
      clearTimeout(this.#renderTimer);
      clearTimeout(this.#refreshTimer);
      this.#feed?.close();
      for (const cleanup of cleanups.reverse()) cleanup();
      await this.#screen.stopKeys();
      this.#screen.leave();
    }
  }

  #set(model: Model): void {
    this.#model = model;
    this.#renderTimer ??= setTimeout(() => {
      this.#renderTimer = undefined;
      this.#draw();
    }, 0);
  }

  #draw(): void {
    try {
      this.#screen.draw(render(this.#model, this.#screen.size(), this.#now(), this.#color));
    } catch (err) {
      this.#fail(err);
    }
  }

  #key(key: Key): void {
    try {
      const [model, effect] = handleKey(this.#model, key, bodyRows(this.#screen.size()));
      this.#set(model);
      this.#effect(effect);
    } catch (err) {
      this.#fail(err);
    }
  }

  /** Carries out `effect`; failures (the server went away…) go to the message line. */
  #effect(effect: Effect): void {
    const act = async () => {
      switch (effect.type) {
        case "none":
          return;
        case "quit":
          return this.#end(0);
        case "refresh":
          this.#pending.all = true;
          return this.#refresh();
        case "loadJobs":
          return await this.#loadJobs();
        case "loadRuns":
          return await this.#loadRuns();
        case "loadRun":
          return await this.#loadRun();
        case "openLogs":
          return await this.#openLogs(effect.jobId, effect.runId, effect.taskId);
        case "closeLogs":
          this.#feedGeneration++;
          this.#feed?.close();
          this.#feed = null;
          return;
        case "trigger": {
          const message = await this.#source.trigger(effect.jobId, effect.force);
          return this.#set(say(this.#model, message));
        }
        case "pause": {
          const scheduler = await this.#source.setPaused(effect.paused);
          const word = scheduler.is_paused ? "paused: no scheduled fires" : "resumed";
          return this.#set(say({ ...this.#model, scheduler }, `scheduler ${word}`));
        }
      }
    };
    act().catch((err) => {
      const refused = err instanceof ApiRequestError && (err.status === 409 || err.status === 429);
      this.#set(say(this.#model, `${refused ? "refused" : "error"}: ${reason(err)}`, true));
    });
  }

  #onEvents(batch: readonly SourceEvent[]): void {
    const p = this.#pending;
    for (const e of batch) {
      if (e.type === "resync") p.all = true;
      if (e.type.startsWith("scheduler_")) p.scheduler = true;
      if (e.job_id) p.jobs.add(e.job_id);
      if (e.run_id) p.runs.add(e.run_id);
    }
    this.#refreshTimer ??= setTimeout(() => {
      this.#refreshTimer = undefined;
      this.#refresh();
    }, REFRESH_DELAY_MS);
  }

  /** Reads again what the gathered events touched and is on screen; one at a time. */
  #refresh(): void {
    if (this.#refreshing) {
      this.#again = true;
      return;
    }
    this.#refreshing = true;
    const p = this.#pending;
    this.#pending = { all: false, scheduler: false, jobs: new Set(), runs: new Set() };
    if (p.all) this.#stale.all = true;
    for (const id of p.jobs) this.#stale.jobs.add(id);
    const m = this.#model;
    const work: Promise<void>[] = [];
    if (p.all || p.scheduler) {
      work.push(
        this.#source.scheduler().then((scheduler) => {
          this.#set({ ...this.#model, scheduler });
        }),
      );
    }
    if (m.view === "jobs" && (this.#stale.all || this.#stale.jobs.size > 0)) {
      work.push(this.#loadJobs());
    }
    if (m.view === "runs" && m.jobId && (p.all || p.jobs.has(m.jobId))) work.push(this.#loadRuns());
    if (m.view === "tasks" && m.runId && (p.all || p.runs.has(m.runId))) work.push(this.#loadRun());
    Promise.all(work).catch((err) => {
      this.#set(say(this.#model, `error: ${reason(err)}`, true));
    }).finally(() => {
      this.#refreshing = false;
      if (this.#again) {
        this.#again = false;
        this.#refresh();
      }
    });
  }

  async #loadJobs(): Promise<void> {
    const changed = this.#stale.all ? undefined : this.#stale.jobs;
    this.#stale = { all: false, jobs: new Set() };
    const jobs = await this.#source.jobs(changed);
    this.#set(withJobs(this.#model, jobs));
  }

  async #loadRuns(): Promise<void> {
    const jobId = this.#model.jobId;
    if (!jobId) return;
    const runs = await this.#source.runs(jobId);
    if (this.#model.jobId === jobId) this.#set(withRuns(this.#model, runs));
  }

  async #loadRun(): Promise<void> {
    const runId = this.#model.runId;
    if (!runId) return;
    const run = await this.#source.run(runId);
    if (this.#model.runId !== runId) return;
    if (run) this.#set(withRun(this.#model, run));
    else this.#set(say(this.#model, `run ${runId} is gone (pruned)`, true));
  }

  async #openLogs(jobId: string, runId: string, taskId: string | null): Promise<void> {
    let task = taskId;
    if (task === null) {
      const run = await this.#source.run(runId);
      const tasks = run?.tasks ?? [];
      const started = tasks.filter((t) => t.started_at !== null)
        .sort((a, b) => b.started_at! - a.started_at!);
      task = tasks.find((t) => t.status === "running")?.task_id ?? started[0]?.task_id ??
        tasks[0]?.task_id ?? null;
      if (task === null) return this.#set(say(this.#model, `run ${runId} has no tasks`));
    }
    this.#feed?.close();
    const log: LogState = {
      jobId,
      runId,
      taskId: task,
      attempt: null,
      lines: [],
      mode: "waiting",
      note: null,
      scroll: null,
    };
    this.#set({ ...this.#model, log });
    // A feed may tell its first lines before it is returned; a closed one's are dropped.
    const generation = ++this.#feedGeneration;
    this.#feed = this.#source.followLogs(runId, task, (u) => {
      if (this.#feedGeneration === generation) this.#logUpdate(u);
    });
  }

  #logUpdate(u: LogUpdate): void {
    const log = this.#model.log;
    if (!log) return;
    let lines = u.lines ? [...u.lines] : [...log.lines, ...(u.append ?? [])];
    let scroll = log.scroll;
    if (lines.length > MAX_LOG_LINES) {
      const dropped = lines.length - MAX_LOG_LINES;
      lines = lines.slice(dropped);
      if (scroll !== null) scroll = Math.max(0, scroll - dropped);
    }
    this.#set({
      ...this.#model,
      log: {
        ...log,
        lines,
        scroll,
        mode: u.mode,
        attempt: u.attempt === undefined ? log.attempt : u.attempt,
        note: u.note === undefined ? log.note : u.note,
      },
    });
  }
}
