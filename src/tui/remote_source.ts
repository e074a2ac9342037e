/**
 * The dashboard's data from a running `pt run`, through its HTTP API ({@link ApiClient}:
 * `PETIT_API_TOKEN`, `--ca-cert`). Changes arrive as server-sent events from `/api/events`;
 * after a lost connection it reconnects with `Last-Event-ID` (the server replays what was
 * missed) and asks the app to read everything again.
 *
 * Needs `--allow-net`, `--allow-env`, and `--allow-read` for a CA file.
 *
 * @module
 */

import { type ApiClient, ApiRequestError } from "../api/client.ts";
import type { RunDetailView, RunView, SchedulerStateView } from "../core/views.ts";
import type { JobRow } from "./model.ts";
import { followRemoteLogs, type FollowSupport } from "./remote_logs.ts";
import {
  type LogFeed,
  type LogUpdate,
  pause,
  QUIET_MS,
  reason,
  RUNS_SHOWN,
  type SourceEvent,
  type SourceListener,
  type TuiSource,
} from "./source.ts";
import { readSse, type SseMessage } from "./sse.ts";

/**
 * First wait before reconnecting the event stream; it doubles up to {@link RECONNECT_MAX_MS}.
 *
 * @default {1000}
 */
export const RECONNECT_MIN_MS = 1000;

/**
 * Longest wait between two tries to reconnect the event stream.
 *
 * @default {15_000}
 */
export const RECONNECT_MAX_MS = 15_000;

/**
 * Runs read at once to find each job's newest run when everything is read again.
 *
 * @default {200}
 */
export const RECENT_RUNS = 200;

/** Requests in flight at once when reading the newest run of many jobs. */
const PARALLEL = 6;

/** The API of a running `pt run`. */
export class RemoteSource implements TuiSource {
  /** Always `remote`. */
  readonly kind = "remote";
  /** The API's base URL. */
  readonly label: string;
  readonly #client: ApiClient;
  readonly #lastRuns = new Map<string, RunView | null>();
  readonly #follow: FollowSupport = { offered: null };

  /** Uses `client` (closed by {@link close}). */
  constructor(client: ApiClient) {
    this.#client = client;
    this.label = client.baseUrl;
  }

  /**
   * The loaded jobs; the newest run of `changed` jobs (and of new ones) is read again. Reading
   * everything takes the newest runs of all jobs in one request, then asks only for the jobs
   * that have none among them.
   */
  async jobs(changed?: ReadonlySet<string>): Promise<JobRow[]> {
    const [{ jobs }, recent] = await Promise.all([
      this.#client.jobs(),
      changed === undefined ? this.#client.runs({ limit: RECENT_RUNS }) : null,
    ]);
    if (recent) {
      this.#lastRuns.clear();
      for (const run of recent.runs) {
        if (!this.#lastRuns.has(run.job_id)) this.#lastRuns.set(run.job_id, run);
      }
    }
    const stale = jobs.filter((j) => changed?.has(j.id) || !this.#lastRuns.has(j.id));
    await inBatches(stale, PARALLEL, async (j) => {
      const page = await this.#client.jobRuns(j.id, { limit: 1 });
      this.#lastRuns.set(j.id, page.runs[0] ?? null);
    });
    return jobs.map((j) => ({ id: j.id, job: j, last_run: this.#lastRuns.get(j.id) ?? null }));
  }

  /** The newest runs of a job. */
  async runs(jobId: string): Promise<RunView[]> {
    return (await this.#client.jobRuns(jobId, { limit: RUNS_SHOWN })).runs;
  }

  /** A run with its tasks. */
  async run(runId: string): Promise<RunDetailView | null> {
    try {
      return await this.#client.run(runId);
    } catch (err) {
      if (err instanceof ApiRequestError && err.status === 404) return null;
      throw err;
    }
  }

  /** The scheduler's state. */
  scheduler(): Promise<SchedulerStateView> {
    return this.#client.state();
  }

  /** Starts a run now (trigger `api`). */
  async trigger(jobId: string, force: boolean): Promise<string> {
    return (await this.#client.trigger(jobId, force)).message;
  }

  /** Pauses or resumes scheduled fires. */
  setPaused(paused: boolean): Promise<SchedulerStateView> {
    return paused ? this.#client.pause() : this.#client.resume();
  }

  /** Streams `/api/events` to `listener`, reconnecting until stopped. */
  watch(listener: SourceListener): () => void {
    const abort = new AbortController();
    void this.#stream(listener, abort.signal);
    return () => abort.abort();
  }

  async #stream(listener: SourceListener, signal: AbortSignal): Promise<void> {
    let lastId: number | null = null;
    let wait = RECONNECT_MIN_MS;
    while (!signal.aborted) {
      try {
        const res = await this.#client.events(lastId, signal);
        listener.connection(null);
        // Whatever happened before this connection (or while it was down, past what the
        // server replays) is read again.
        listener.events([{ type: "resync", job_id: null, run_id: null, task_id: null }]);
        wait = RECONNECT_MIN_MS;
        await readSse(res.body!, (m) => {
          if (m.id !== null && /^\d+$/.test(m.id)) lastId = Number(m.id);
          const event = toEvent(m);
          if (event) listener.events([event]);
        }, QUIET_MS);
        if (signal.aborted) return;
        listener.connection(
          `live updates lost (retrying in ${wait / 1000}s): the server closed them`,
        );
      } catch (err) {
        if (signal.aborted) return;
        listener.connection(`live updates lost (retrying in ${wait / 1000}s): ${reason(err)}`);
      }
      await pause(wait, signal);
      wait = Math.min(wait * 2, RECONNECT_MAX_MS);
    }
  }

  /** Follows a task's output: the follow stream, else the stored output every second. */
  followLogs(runId: string, taskId: string, update: (u: LogUpdate) => void): LogFeed {
    return followRemoteLogs(this.#client, this.#follow, runId, taskId, update);
  }

  /** Closes the client's connections. */
  close(): void {
    this.#client.close();
  }
}

/** The ids of a streamed event, or null for a message without data. */
function toEvent(m: SseMessage): SourceEvent | null {
  if (m.data === "") return null;
  try {
    const d = JSON.parse(m.data);
    const str = (v: unknown) => (typeof v === "string" ? v : null);
    return {
      type: str(d?.type) ?? m.event,
      job_id: str(d?.job_id),
      run_id: str(d?.run_id),
      task_id: str(d?.task_id),
    };
  } catch {
    return null;
  }
}

/** Calls `fn` on every item, at most `n` at a time. */
async function inBatches<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
