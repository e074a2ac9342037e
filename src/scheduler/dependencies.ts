/**
 * Job dependencies, judged against the store: has the upstream job run as required?
 *
 * @module
 */

import type { JobDependency } from "../core/model.ts";
import type { Storage } from "../storage/types.ts";
import { formatDuration } from "../schedule/duration.ts";

/** Why a dependency is not satisfied, or null when it is. */
export function unsatisfiedDependency(
  storage: Storage,
  deps: readonly JobDependency[],
  now: number,
): string | null {
  for (const dep of deps) {
    const reason = check(storage, dep, now);
    if (reason !== null) return reason;
  }
  return null;
}

function check(storage: Storage, dep: JobDependency, now: number): string | null {
  const { jobId, condition } = dep;
  if (condition.kind === "within_window") {
    const [last] = storage.listRuns({ job_id: jobId, status: "completed", limit: 1 });
    const window = formatDuration(condition.windowMs);
    if (!last || last.ended_at === null) {
      return `dependency "${jobId}" has no successful run (within_window ${window})`;
    }
    return now - last.ended_at <= condition.windowMs
      ? null
      : `dependency "${jobId}" last succeeded ${formatDuration(now - last.ended_at)} ago, ` +
        `outside the ${window} window`;
  }
  const last = latestFinished(storage, jobId);
  if (!last) return `dependency "${jobId}" has not run yet (${condition.kind})`;
  if (condition.kind === "last_complete") {
    return last.status === "completed" || last.status === "failed"
      ? null
      : `dependency "${jobId}" last run ${last.id} was ${last.status} (last_complete)`;
  }
  return last.status === "completed"
    ? null
    : `dependency "${jobId}" last run ${last.id} ${last.status} (last_success)`;
}

/** The newest run of a job that finished (not running, not skipped). */
function latestFinished(storage: Storage, jobId: string) {
  for (let before: number | undefined = undefined;;) {
    const page = storage.listRuns({ job_id: jobId, before, limit: 20 });
    const found = page.find((r) => r.status !== "running" && r.status !== "skipped");
    if (found) return found;
    if (page.length < 20) return null;
    before = page.at(-1)!.started_at;
  }
}
