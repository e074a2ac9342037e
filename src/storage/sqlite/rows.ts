/**
 * Row mapping: the column lists the statements select, SQLite rows back into records, and
 * record patches into statement parameters.
 *
 * @module
 */

import type { SQLInputValue, SQLOutputValue } from "node:sqlite";
import type { RunStatus, RunTrigger, TaskStatus } from "../../core/statuses.ts";
import type { AttemptRecord, RunRecord, TaskRunRecord } from "../types.ts";

/** A row as node:sqlite returns it. */
export type Row = Record<string, SQLOutputValue>;

/** Columns of `runs` that make a {@link RunRecord}, in insert order. */
export const RUN_COLS = "id, job_id, status, trigger, reason, scheduled_for, started_at, " +
  "ended_at, duration_ms, error, retry_of, owner, params, parent_run_id";
/** Columns of `task_runs` that make a {@link TaskRunRecord} (with the run id). */
export const TASK_COLS =
  "task_id, status, attempts, started_at, ended_at, duration_ms, exit_code, error, pgid, proc_start";
/** Columns of `attempts` that make an {@link AttemptRecord} (with the run id). */
export const ATTEMPT_COLS = "task_id, attempt, started_at, ended_at, exit_code, error, " +
  "stdout_truncated, stderr_truncated, stdout_bytes, stderr_bytes, stdout, stderr";

/** A column as text. */
export const str = (v: SQLOutputValue): string => String(v);
/** A nullable column as text or null. */
export const strOrNull = (v: SQLOutputValue): string | null => v === null ? null : String(v);
/** A column as a number. */
export const num = (v: SQLOutputValue): number => Number(v);
/** A nullable column as a number or null. */
export const numOrNull = (v: SQLOutputValue): number | null => v === null ? null : Number(v);

/** A `runs` row (of {@link RUN_COLS}) as a record. */
export function toRun(r: Row): RunRecord {
  return {
    id: str(r.id),
    job_id: str(r.job_id),
    status: str(r.status) as RunStatus,
    trigger: str(r.trigger) as RunTrigger,
    reason: strOrNull(r.reason),
    scheduled_for: numOrNull(r.scheduled_for),
    started_at: num(r.started_at),
    ended_at: numOrNull(r.ended_at),
    duration_ms: numOrNull(r.duration_ms),
    error: strOrNull(r.error),
    retry_of: strOrNull(r.retry_of),
    owner: strOrNull(r.owner),
    params: r.params === null ? {} : parseParams(r.params),
    parent_run_id: strOrNull(r.parent_run_id),
  };
}

/** The `params` column (a JSON object of strings) as a map; anything else reads as none. */
function parseParams(v: SQLOutputValue): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(String(v));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    const out: Record<string, string> = {};
    for (const [k, value] of Object.entries(parsed)) {
      if (typeof value === "string") out[k] = value;
    }
    return out;
  } catch {
    return {};
  }
}

/** A run's params as the `params` column stores them: JSON, or NULL for none. */
export function paramsColumn(params: Readonly<Record<string, string>> | undefined): string | null {
  return params === undefined || Object.keys(params).length === 0 ? null : JSON.stringify(params);
}

/** A `task_runs` row (of {@link TASK_COLS}) of run `runId` as a record. */
export function toTask(runId: string, r: Row): TaskRunRecord {
  return {
    run_id: runId,
    task_id: str(r.task_id),
    status: str(r.status) as TaskStatus,
    attempts: num(r.attempts),
    started_at: numOrNull(r.started_at),
    ended_at: numOrNull(r.ended_at),
    duration_ms: numOrNull(r.duration_ms),
    exit_code: numOrNull(r.exit_code),
    error: strOrNull(r.error),
    pgid: numOrNull(r.pgid),
    proc_start: strOrNull(r.proc_start),
  };
}

/** An `attempts` row (of {@link ATTEMPT_COLS}) of run `runId` as a record. */
export function toAttempt(runId: string, r: Row): AttemptRecord {
  return {
    run_id: runId,
    task_id: str(r.task_id),
    attempt: num(r.attempt),
    started_at: num(r.started_at),
    ended_at: numOrNull(r.ended_at),
    exit_code: numOrNull(r.exit_code),
    error: strOrNull(r.error),
    stdout: str(r.stdout),
    stderr: str(r.stderr),
    stdout_truncated: r.stdout_truncated === 1,
    stderr_truncated: r.stderr_truncated === 1,
    stdout_bytes: num(r.stdout_bytes),
    stderr_bytes: num(r.stderr_bytes),
  };
}

/**
 * The defined, allowed fields of a patch, in a stable order (one statement per key set).
 * Throws for a field outside `allowed`; `what` names the record in that message.
 */
export function patchEntries(
  patch: object,
  allowed: ReadonlySet<string>,
  what: string,
): [string, SQLInputValue][] {
  const entries: [string, SQLInputValue][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!allowed.has(key)) throw new Error(`petit: cannot update ${what} field "${key}"`);
    entries.push([key, value as SQLInputValue]);
  }
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
