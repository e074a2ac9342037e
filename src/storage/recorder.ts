/**
 * Keeps the store in step with a run: a bus subscriber that turns events into task runs,
 * attempts, outputs and run results, and stores each event for replay.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventBus } from "../events/bus.ts";
 * import { InMemoryStorage } from "./memory.ts";
 * import { recordEvents } from "./recorder.ts";
 *
 * const bus = new EventBus();
 * const storage = new InMemoryStorage();
 * const stop = recordEvents(bus, storage);
 * bus.publish({ type: "scheduler_paused", at: 1_000 });
 * assert.equal(storage.eventsAfter(0)[0].type, "scheduler_paused");
 * stop();
 * ```
 *
 * @module
 */

import type { EventBus } from "../events/bus.ts";
import { type AttemptLogs, type PetitEvent, publicEvent } from "../events/types.ts";
import type {
  AttemptStore,
  EventStore,
  OutputStore,
  RunStore,
  TaskRunRecord,
  TaskStore,
} from "./types.ts";

/** What the recorder writes: run results, tasks, attempts, outputs and events; no reads. */
export type RecordingStore =
  & Pick<RunStore, "updateRun">
  & TaskStore
  & AttemptStore
  & OutputStore
  & EventStore;

/** Subscribes `storage` to `bus`; returns the unsubscribe function. */
export function recordEvents(bus: EventBus, storage: RecordingStore): () => void {
  return bus.subscribe((event) => record(storage, event));
}

function record(storage: RecordingStore, event: PetitEvent): void {
  switch (event.type) {
    case "job_started": {
      const kept = new Set(event.kept_task_ids);
      for (const taskId of event.task_ids) {
        storage.upsertTaskRun(emptyTask(event.run_id, taskId, kept.has(taskId) ? event.at : null));
      }
      break;
    }
    case "task_started":
      storage.updateTaskRun(event.run_id, event.task_id, {
        status: "running",
        attempts: event.attempt,
        pgid: event.pgid,
        proc_start: event.proc_start,
        ...(event.attempt === 1 ? { started_at: event.at } : {}),
      });
      storage.upsertAttempt({
        run_id: event.run_id,
        task_id: event.task_id,
        attempt: event.attempt,
        started_at: event.at,
        ended_at: null,
        exit_code: null,
        error: null,
        stdout: "",
        stderr: "",
        stdout_truncated: false,
        stderr_truncated: false,
        stdout_bytes: 0,
        stderr_bytes: 0,
      });
      break;
    case "task_retrying":
      saveAttempt(storage, event, event.attempt, event.exit_code, event.error, event.logs);
      storage.updateTaskRun(event.run_id, event.task_id, {
        exit_code: event.exit_code,
        error: event.error,
        pgid: null,
        proc_start: null,
      });
      break;
    case "task_completed":
    case "task_failed":
    case "task_cancelled": {
      const exitCode = event.type === "task_cancelled" ? null : event.exit_code;
      const error = event.type === "task_failed"
        ? event.error
        : event.type === "task_cancelled"
        ? "cancelled"
        : null;
      if (event.logs) saveAttempt(storage, event, event.attempts, exitCode, error, event.logs);
      storage.updateTaskRun(event.run_id, event.task_id, {
        status: event.type === "task_completed"
          ? "completed"
          : event.type === "task_failed"
          ? "failed"
          : "cancelled",
        attempts: event.attempts,
        ended_at: event.at,
        duration_ms: event.type === "task_cancelled" ? null : event.duration_ms,
        exit_code: exitCode,
        error,
        pgid: null,
        proc_start: null,
      });
      break;
    }
    case "task_skipped":
      storage.updateTaskRun(event.run_id, event.task_id, {
        status: "skipped",
        ended_at: event.at,
        error: event.reason,
      });
      break;
    case "job_completed":
      storage.updateRun(event.run_id, {
        status: event.status,
        ended_at: event.at,
        duration_ms: event.duration_ms,
        error: event.error,
      });
      break;
    default:
      break;
  }
  const { type, at, ...rest } = publicEvent(event) as
    & { type: string; at: number }
    & Record<
      string,
      unknown
    >;
  storage.appendEvent({
    type,
    at,
    job_id: typeof rest.job_id === "string" ? rest.job_id : null,
    run_id: typeof rest.run_id === "string" ? rest.run_id : null,
    task_id: typeof rest.task_id === "string" ? rest.task_id : null,
    data: rest,
  });
}

function emptyTask(runId: string, taskId: string, keptAt: number | null): TaskRunRecord {
  return {
    run_id: runId,
    task_id: taskId,
    status: keptAt === null ? "pending" : "completed",
    attempts: 0,
    started_at: null,
    ended_at: keptAt,
    duration_ms: null,
    exit_code: null,
    error: null,
    pgid: null,
    proc_start: null,
  };
}

function saveAttempt(
  storage: RecordingStore,
  ids: { run_id: string; task_id: string },
  attempt: number,
  exitCode: number | null,
  error: string | null,
  logs: AttemptLogs,
): void {
  storage.upsertAttempt({
    run_id: ids.run_id,
    task_id: ids.task_id,
    attempt,
    started_at: logs.started_at,
    ended_at: logs.ended_at,
    exit_code: exitCode,
    error,
    stdout: logs.stdout,
    stderr: logs.stderr,
    stdout_truncated: logs.stdout_truncated,
    stderr_truncated: logs.stderr_truncated,
    stdout_bytes: logs.stdout_bytes,
    stderr_bytes: logs.stderr_bytes,
  });
  if (Object.keys(logs.outputs).length > 0) {
    storage.setOutputs(ids.run_id, ids.task_id, { ...logs.outputs });
  }
}
