/**
 * Prints a run's progress to the terminal: a bus subscriber, one line per event.
 *
 * @module
 */

import { formatDuration } from "../schedule/duration.ts";
import type { EventBus } from "../events/bus.ts";
import type { PetitEvent } from "../events/types.ts";

/**
 * Subscribes a printer of task progress to `bus`; returns the unsubscribe function. The tasks
 * of runs other than the first (child runs of sub-job tasks) are named `job/task`.
 */
export function printProgress(
  bus: EventBus,
  write: (line: string) => void = (l) => console.log(l),
): () => void {
  let first: string | null = null;
  return bus.subscribe((event) => {
    if (event.type === "job_started") first ??= event.run_id;
    const child = "task_id" in event && first !== null && event.run_id !== first;
    const line = describeEvent(
      child ? { ...event, task_id: `${event.job_id}/${event.task_id}` } : event,
    );
    if (line !== null) write(line);
  });
}

/** One human line for an event, or null for events not worth a line. */
export function describeEvent(e: PetitEvent): string | null {
  switch (e.type) {
    case "job_started":
      return `run ${e.run_id} of ${e.job_id} started (${e.trigger}, ${e.task_ids.length} tasks)`;
    case "task_started":
      return `  ${e.task_id}: started${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`;
    case "task_completed":
      return `  ${e.task_id}: completed in ${formatDuration(e.duration_ms)}` +
        (e.attempts > 1 ? ` after ${e.attempts} attempts` : "");
    case "task_retrying":
      return `  ${e.task_id}: attempt ${e.attempt}/${e.max} failed (${e.error}); retrying in ` +
        formatDuration(e.delay_ms);
    case "task_failed": {
      const head = `  ${e.task_id}: FAILED after ${formatDuration(e.duration_ms)}` +
        (e.attempts > 1 ? ` and ${e.attempts} attempts` : "") + `: ${e.error}`;
      if (!e.stderr_tail) return head;
      return `${head}\n${e.stderr_tail.split("\n").map((l) => `    | ${l}`).join("\n")}`;
    }
    case "task_skipped":
      return `  ${e.task_id}: skipped (${e.reason})`;
    case "task_cancelled":
      return `  ${e.task_id}: cancelled`;
    case "job_completed":
      return `run ${e.run_id} of ${e.job_id} ${e.status} in ${formatDuration(e.duration_ms)}` +
        (e.error && e.status !== "cancelled" ? `: ${e.error}` : "");
    case "job_skipped":
      return `${e.job_id}: skipped (${e.reason})`;
    case "scheduler_paused":
      return "scheduler paused";
    case "scheduler_resumed":
      return "scheduler resumed";
    case "notification_sent":
      return `notification sent: ${e.channel} ${e.target}`;
    case "notification_failed":
      return `notification failed: ${e.channel} ${e.target} (attempt ${e.attempt}): ${e.error}` +
        (e.retry_in_ms === null ? "; giving up" : `; retrying in ${formatDuration(e.retry_in_ms)}`);
  }
}
