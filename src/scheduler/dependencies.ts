/**
 * Job dependencies, judged against the store: has the upstream job run as required?
 *
 * @module
 */

import type { JobDependency } from "../core/model.ts";
import type { RunRecord, RunStore } from "../storage/types.ts";
import { formatDuration } from "../schedule/duration.ts";

/** Why a dependency is not satisfied, or null when it is. */
export function unsatisfiedDependency(
  storage: Pick<RunStore, "listRuns">,
  deps: readonly JobDependency[],
  now: number,
): string | null {
  for (const dep of deps) {
    const reason = check(storage, dep, now);
    if (reason !== null) return reason;
  }
  return null;
}

function check(
  storage: Pick<RunStore, "listRuns">,
  dep: JobDependency,
  now: number,
): string | null {
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

/**
 * The newest run of a job that finished (not running, not skipped). Pages by the keyset
 * (started_at, id), so runs that started in the same millisecond are neither skipped nor
 * seen twice.
 */
function latestFinished(storage: Pick<RunStore, "listRuns">, jobId: string): RunRecord | null {
  for (let after: RunRecord | undefined = undefined;;) {
    const page = storage.listRuns({ job_id: jobId, after, limit: LATEST_FINISHED_PAGE });
    const found = page.find((r) => r.status !== "running" && r.status !== "skipped");
    if (found) return found;
    if (page.length < LATEST_FINISHED_PAGE) return null;
    after = page.at(-1);
  }
}

/**
 * Runs read per page while looking for the latest finished one.
 *
 * @default {20}
 */
const LATEST_FINISHED_PAGE = 20;
