/**
 * An {@link EventBus} that puts every event on the test harness's clock before delivering
 * it. The DAG runner stamps its events with `Date.now()` and measures durations with
 * `performance.now()` (it takes no clock), and it waits retry delays itself; the harness
 * gives it retry delays of 0 and waits them on the clock instead. So here each event's
 * `at` becomes the clock's time, task and run durations are measured on the clock, and
 * `task_retrying` carries the task's real retry delay. The store records the events as
 * delivered, so run, task and attempt records are on the clock too. No I/O.
 *
 * @module
 */

import { EventBus } from "../events/bus.ts";
import type { PetitEvent } from "../events/types.ts";
import type { Clock } from "../scheduler/clock.ts";

/** Delivers events stamped with a clock's time. */
export class ClockedBus extends EventBus {
  readonly #clock: Clock;
  readonly #retryDelay: (jobId: string, taskId: string, attempt: number) => number | null;
  /** Start of each run in progress, by run id. */
  readonly #runStarts = new Map<string, number>();
  /** First attempt's start of each task in progress, by `run\0task`. */
  readonly #taskStarts = new Map<string, number>();

  /**
   * A bus on `clock`; `retryDelay` gives the delay before retry `attempt` of a task (null
   * when the task is unknown: the event keeps its delay).
   */
  constructor(
    clock: Clock,
    retryDelay: (jobId: string, taskId: string, attempt: number) => number | null,
  ) {
    super();
    this.#clock = clock;
    this.#retryDelay = retryDelay;
  }

  /** Delivers `event` to every handler, stamped with the clock's time. */
  override publish(event: PetitEvent): void {
    super.publish(this.#stamp(event));
  }

  #stamp(event: PetitEvent): PetitEvent {
    const at = this.#clock.now();
    switch (event.type) {
      case "job_started":
        this.#runStarts.set(event.run_id, at);
        return { ...event, at };
      case "job_completed": {
        const start = this.#runStarts.get(event.run_id) ?? at;
        this.#runStarts.delete(event.run_id);
        return { ...event, at, duration_ms: at - start };
      }
      case "task_started": {
        const key = `${event.run_id}\0${event.task_id}`;
        if (!this.#taskStarts.has(key)) this.#taskStarts.set(key, at);
        return { ...event, at };
      }
      case "task_retrying": {
        const delay = this.#retryDelay(event.job_id, event.task_id, event.attempt);
        return { ...event, at, delay_ms: delay ?? event.delay_ms };
      }
      case "task_completed":
      case "task_failed": {
        const key = `${event.run_id}\0${event.task_id}`;
        const start = this.#taskStarts.get(key) ?? at;
        this.#taskStarts.delete(key);
        return { ...event, at, duration_ms: at - start };
      }
      case "task_cancelled":
        this.#taskStarts.delete(`${event.run_id}\0${event.task_id}`);
        return { ...event, at };
      default:
        return { ...event, at };
    }
  }
}
