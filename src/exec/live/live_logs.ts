/**
 * The running attempts of a scheduler, by run and task, for the API's logs route: the runner
 * registers each attempt as it begins ({@linkcode LiveLogs.begin}), and the attempt leaves
 * when the event that ends it is published (`task_retrying`, `task_completed`, `task_failed`,
 * `task_cancelled`). Subscribed to the bus after the recorder, so an attempt leaves only
 * once its log is in the store: a reader finds it in one place or the other, never neither.
 * No I/O.
 *
 * @module
 */

import { droppedBytes } from "../../core/views.ts";
import type { EventBus } from "../../events/bus.ts";
import type { PetitEvent } from "../../events/types.ts";
import { type AttemptEnd, LiveAttempt } from "./live_attempt.ts";

/** How an attempt ended, without its number (the live attempt's own is used). */
type Ending = Omit<AttemptEnd, "attempt">;

/** The attempts running now, readable while they run. */
export class LiveLogs {
  /** Run id → task id → its attempt running now. */
  readonly #runs = new Map<string, Map<string, LiveAttempt>>();

  /** Registers attempt `attempt` of a task as it begins; returns it (its output comes later). */
  begin(runId: string, taskId: string, attempt: number): LiveAttempt {
    const live = new LiveAttempt(runId, taskId, attempt);
    let tasks = this.#runs.get(runId);
    if (!tasks) this.#runs.set(runId, tasks = new Map());
    const previous = tasks.get(taskId);
    if (previous) previous.finish(lost(previous));
    tasks.set(taskId, live);
    return live;
  }

  /** The attempt of a task running now, or null. */
  get(runId: string, taskId: string): LiveAttempt | null {
    return this.#runs.get(runId)?.get(taskId) ?? null;
  }

  /** Attempts running now, across runs. */
  get size(): number {
    let n = 0;
    for (const tasks of this.#runs.values()) n += tasks.size;
    return n;
  }

  /** Ends attempts as the events that end them are published; returns the unsubscribe. */
  listen(bus: EventBus): () => void {
    return bus.subscribe((event) => this.#onEvent(event));
  }

  #onEvent(e: PetitEvent): void {
    switch (e.type) {
      case "task_retrying":
        if (this.get(e.run_id, e.task_id)?.attempt !== e.attempt) return;
        return this.#end(e.run_id, e.task_id, {
          status: "failed",
          exit_code: e.exit_code,
          error: e.error,
          dropped_bytes: droppedBytes(e.logs),
        });
      case "task_completed":
        return this.#end(e.run_id, e.task_id, {
          status: "completed",
          exit_code: e.exit_code,
          error: null,
          dropped_bytes: droppedBytes(e.logs),
        });
      case "task_failed":
        return this.#end(e.run_id, e.task_id, {
          status: "failed",
          exit_code: e.exit_code,
          error: e.error,
          dropped_bytes: e.logs ? droppedBytes(e.logs) : 0,
        });
      case "task_cancelled":
        return this.#end(e.run_id, e.task_id, {
          status: "cancelled",
          exit_code: null,
          error: "cancelled",
          dropped_bytes: e.logs ? droppedBytes(e.logs) : 0,
        });
      case "job_completed": {
        // Every task has published its end by now; this only guards against a leak.
        for (const live of this.#runs.get(e.run_id)?.values() ?? []) live.finish(lost(live));
        this.#runs.delete(e.run_id);
        return;
      }
      default:
        return;
    }
  }

  #end(runId: string, taskId: string, ending: Ending): void {
    const tasks = this.#runs.get(runId);
    const live = tasks?.get(taskId);
    if (!tasks || !live) return;
    live.finish({ attempt: live.attempt, ...ending });
    tasks.delete(taskId);
    if (tasks.size === 0) this.#runs.delete(runId);
  }
}

/** The end of an attempt whose ending event never came (a bug elsewhere): failed. */
function lost(live: LiveAttempt): AttemptEnd {
  return {
    attempt: live.attempt,
    status: "failed",
    exit_code: null,
    error: "the attempt ended without an event",
    dropped_bytes: 0,
  };
}
