/**
 * A {@link Storage} kept in process memory: for tests and `--db :memory:` runs.
 * Every record goes in and comes out as a copy, so callers never share state with it.
 *
 * @module
 */

import { RunExistsError, RunNotFoundError, SlotTakenError } from "./errors.ts";
import {
  type AttemptRecord,
  DEFAULT_RUN_LIMIT,
  RUN_PATCH_KEYS,
  type RunPatch,
  type RunQuery,
  type RunRecord,
  type Storage,
  type StoredEvent,
  TASK_PATCH_KEYS,
  type TaskRunPatch,
  type TaskRunRecord,
} from "./types.ts";

/** Copies only the known fields, so stray properties are not stored either. */
function copyRun(r: RunRecord): RunRecord {
  return {
    id: r.id,
    job_id: r.job_id,
    status: r.status,
    trigger: r.trigger,
    reason: r.reason,
    scheduled_for: r.scheduled_for,
    started_at: r.started_at,
    ended_at: r.ended_at,
    duration_ms: r.duration_ms,
    error: r.error,
    retry_of: r.retry_of,
    owner: r.owner ?? null,
    params: { ...r.params },
    parent_run_id: r.parent_run_id ?? null,
  };
}

function copyTask(t: TaskRunRecord): TaskRunRecord {
  return {
    run_id: t.run_id,
    task_id: t.task_id,
    status: t.status,
    attempts: t.attempts,
    started_at: t.started_at,
    ended_at: t.ended_at,
    duration_ms: t.duration_ms,
    exit_code: t.exit_code,
    error: t.error,
    pgid: t.pgid,
    proc_start: t.proc_start,
  };
}

function copyAttempt(a: AttemptRecord): AttemptRecord {
  return {
    run_id: a.run_id,
    task_id: a.task_id,
    attempt: a.attempt,
    started_at: a.started_at,
    ended_at: a.ended_at,
    exit_code: a.exit_code,
    error: a.error,
    stdout: a.stdout,
    stderr: a.stderr,
    stdout_truncated: a.stdout_truncated,
    stderr_truncated: a.stderr_truncated,
    stdout_bytes: a.stdout_bytes,
    stderr_bytes: a.stderr_bytes,
  };
}

function copyEvent(e: StoredEvent): StoredEvent {
  return {
    id: e.id,
    type: e.type,
    at: e.at,
    job_id: e.job_id,
    run_id: e.run_id,
    task_id: e.task_id,
    data: structuredClone(e.data),
  };
}

/** Applies the defined fields of `patch`, refusing fields the record does not have. */
function applyPatch<T extends object>(
  target: T,
  patch: object,
  allowed: ReadonlySet<string>,
  what: string,
): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!allowed.has(key)) throw new Error(`petit: cannot update ${what} field "${key}"`);
    (target as Record<string, unknown>)[key] = value;
  }
}

/** Newest first: `started_at` descending, then id descending (same order as SQLite). */
function newestFirst(
  a: Pick<RunRecord, "started_at" | "id">,
  b: Pick<RunRecord, "started_at" | "id">,
): number {
  if (a.started_at !== b.started_at) return b.started_at - a.started_at;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function clampLimit(limit: number | undefined, fallback: number): number {
  return Math.max(0, Math.floor(limit ?? fallback));
}

/** A run with everything that hangs off it, so pruning is one delete. */
interface RunEntry {
  run: RunRecord;
  /** Map keeps insertion order, which is the documented task order. */
  tasks: Map<string, TaskRunRecord>;
  /** Keyed by `${task_id}\0${attempt}`. */
  attempts: Map<string, AttemptRecord>;
  outputs: Map<string, Record<string, string>>;
}

/** {@link Storage} in memory; writes are immediate, so `flush()` does nothing. */
export class InMemoryStorage implements Storage {
  #runs = new Map<string, RunEntry>();
  /** `${job_id}\0${scheduled_for}` → run id, for slot uniqueness. */
  #slots = new Map<string, string>();
  #events: StoredEvent[] = [];
  #enabled = new Map<string, boolean>();
  #nextEventId = 1;

  #entry(runId: string): RunEntry {
    const entry = this.#runs.get(runId);
    if (!entry) throw new RunNotFoundError(runId);
    return entry;
  }

  /** See {@link Storage.insertRun}. */
  insertRun(run: RunRecord): void {
    if (this.#runs.has(run.id)) throw new RunExistsError(run.id);
    if (run.scheduled_for !== null) {
      const slot = `${run.job_id}\0${run.scheduled_for}`;
      if (this.#slots.has(slot)) throw new SlotTakenError(run.job_id, run.scheduled_for);
      this.#slots.set(slot, run.id);
    }
    this.#runs.set(run.id, {
      run: copyRun(run),
      tasks: new Map(),
      attempts: new Map(),
      outputs: new Map(),
    });
  }

  /** See {@link Storage.updateRun}. */
  updateRun(id: string, patch: RunPatch): void {
    const entry = this.#entry(id);
    const next = copyRun(entry.run);
    applyPatch(next, patch, RUN_PATCH_KEYS, "run");
    if (next.scheduled_for !== entry.run.scheduled_for) {
      // Keep the slot index in step, with the same uniqueness rule as inserts.
      const slot = next.scheduled_for === null ? null : `${next.job_id}\0${next.scheduled_for}`;
      if (slot !== null && this.#slots.has(slot)) {
        throw new SlotTakenError(next.job_id, next.scheduled_for as number);
      }
      if (entry.run.scheduled_for !== null) {
        this.#slots.delete(`${entry.run.job_id}\0${entry.run.scheduled_for}`);
      }
      if (slot !== null) this.#slots.set(slot, id);
    }
    entry.run = next;
  }

  /** See {@link Storage.getRun}. */
  getRun(id: string): RunRecord | null {
    const entry = this.#runs.get(id);
    return entry ? copyRun(entry.run) : null;
  }

  /** See {@link Storage.listRuns}. */
  listRuns(query: RunQuery = {}): RunRecord[] {
    const limit = clampLimit(query.limit, DEFAULT_RUN_LIMIT);
    const { after } = query;
    const hits: RunRecord[] = [];
    for (const { run } of this.#runs.values()) {
      if (query.job_id !== undefined && run.job_id !== query.job_id) continue;
      if (query.status !== undefined && run.status !== query.status) continue;
      if (query.before !== undefined && !(run.started_at < query.before)) continue;
      if (after !== undefined && !(newestFirst(run, after) > 0)) continue;
      hits.push(run);
    }
    return hits.sort(newestFirst).slice(0, limit).map(copyRun);
  }

  /** See {@link Storage.runningRuns}. */
  runningRuns(jobId?: string): RunRecord[] {
    const hits: RunRecord[] = [];
    for (const { run } of this.#runs.values()) {
      if (run.status !== "running") continue;
      if (jobId !== undefined && run.job_id !== jobId) continue;
      hits.push(run);
    }
    return hits.sort(newestFirst).map(copyRun);
  }

  /** See {@link Storage.upsertTaskRun}. */
  upsertTaskRun(task: TaskRunRecord): void {
    // Map.set on an existing key keeps its position: the task keeps its place.
    this.#entry(task.run_id).tasks.set(task.task_id, copyTask(task));
  }

  /** See {@link Storage.updateTaskRun}. */
  updateTaskRun(runId: string, taskId: string, patch: TaskRunPatch): void {
    const tasks = this.#entry(runId).tasks;
    const current = tasks.get(taskId);
    if (!current) throw new Error(`petit: no task ${taskId} in run ${runId}`);
    const next = copyTask(current);
    applyPatch(next, patch, TASK_PATCH_KEYS, "task run");
    tasks.set(taskId, next);
  }

  /** See {@link Storage.listTaskRuns}. */
  listTaskRuns(runId: string): TaskRunRecord[] {
    const entry = this.#runs.get(runId);
    return entry ? [...entry.tasks.values()].map(copyTask) : [];
  }

  /** See {@link Storage.upsertAttempt}. */
  upsertAttempt(attempt: AttemptRecord): void {
    this.#entry(attempt.run_id).attempts.set(
      `${attempt.task_id}\0${attempt.attempt}`,
      copyAttempt(attempt),
    );
  }

  /** See {@link Storage.listAttempts}. */
  listAttempts(runId: string, taskId?: string): AttemptRecord[] {
    const entry = this.#runs.get(runId);
    if (!entry) return [];
    return [...entry.attempts.values()]
      .filter((a) => taskId === undefined || a.task_id === taskId)
      .sort((a, b) =>
        a.started_at - b.started_at ||
        (a.task_id < b.task_id ? -1 : a.task_id > b.task_id ? 1 : 0) ||
        a.attempt - b.attempt
      )
      .map(copyAttempt);
  }

  /** See {@link Storage.setOutputs}. */
  setOutputs(runId: string, taskId: string, outputs: Record<string, string>): void {
    this.#entry(runId).outputs.set(taskId, { ...outputs });
  }

  /** See {@link Storage.getOutputs}. */
  getOutputs(runId: string, taskId: string): Record<string, string> {
    const outputs = this.#runs.get(runId)?.outputs.get(taskId);
    return outputs ? { ...outputs } : {};
  }

  /** See {@link Storage.appendEvent}. */
  appendEvent(event: Omit<StoredEvent, "id">): number {
    const id = this.#nextEventId++;
    this.#events.push(copyEvent({ ...event, id }));
    return id;
  }

  /** See {@link Storage.eventsAfter}. */
  eventsAfter(afterId: number, limit?: number): StoredEvent[] {
    // Ids are increasing, so binary-search the first one past afterId.
    let lo = 0;
    let hi = this.#events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#events[mid].id <= afterId) lo = mid + 1;
      else hi = mid;
    }
    const end = limit === undefined ? this.#events.length : lo + clampLimit(limit, 0);
    return this.#events.slice(lo, end).map(copyEvent);
  }

  /** See {@link Storage.pruneRuns}. */
  pruneRuns(jobId: string, keep: number): number {
    const runs = [...this.#runs.values()]
      .map((e) => e.run)
      .filter((r) => r.job_id === jobId)
      .sort(newestFirst);
    let deleted = 0;
    for (const run of runs.slice(clampLimit(keep, 0))) {
      if (run.status === "running") continue;
      this.#runs.delete(run.id);
      if (run.scheduled_for !== null) this.#slots.delete(`${run.job_id}\0${run.scheduled_for}`);
      deleted++;
    }
    return deleted;
  }

  /** See {@link Storage.pruneEvents}. */
  pruneEvents(keep: number): number {
    const drop = Math.max(0, this.#events.length - keep);
    this.#events.splice(0, drop);
    return drop;
  }

  /** See {@link Storage.lastSlot}. */
  lastSlot(jobId: string): number | null {
    let last: number | null = null;
    for (const { run } of this.#runs.values()) {
      if (run.job_id !== jobId || run.scheduled_for === null) continue;
      if (last === null || run.scheduled_for > last) last = run.scheduled_for;
    }
    return last;
  }

  /** See {@link Storage.listSlots}. */
  listSlots(jobId: string, limit: number): RunRecord[] {
    return [...this.#runs.values()]
      .map((e) => e.run)
      .filter((r) => r.job_id === jobId && r.scheduled_for !== null)
      .sort((a, b) => b.scheduled_for! - a.scheduled_for!)
      .slice(0, limit)
      .map(copyRun);
  }

  /** See {@link Storage.jobEnabled}. */
  jobEnabled(jobId: string): boolean | null {
    return this.#enabled.get(jobId) ?? null;
  }

  /** See {@link Storage.setJobEnabled}. */
  setJobEnabled(jobId: string, enabled: boolean): void {
    this.#enabled.set(jobId, enabled);
  }

  /** Nothing is buffered in memory. */
  flush(): void {}

  /** Nothing to release. */
  close(): void {}
}
