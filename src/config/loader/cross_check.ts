/**
 * Checks across the files of a folder: job ids are unique, every upstream job exists, and
 * jobs do not depend on themselves or in a cycle; sub-job tasks are checked against the jobs
 * they run (`job_task_rules.ts`). Errors are added to the file they are in.
 *
 * @module
 */

import { nearest } from "../errors.ts";
import type { AnalyzedFile } from "./analysis.ts";
import { MAX_ERRORS_PER_FILE } from "./error_list.ts";
import { findCycle } from "./graph.ts";
import { type HostTable, unknownHostErrors } from "./host_rules.ts";
import { listKnown } from "./issues.ts";
import { checkJobTasksAcrossFiles } from "./job_task_rules.ts";

/**
 * Unknown upstream jobs that get a "did you mean" over every job id, per load. Each costs a
 * pass over the ids, so a folder of 5,000 files that each name a missing job would spend
 * more on hints than on everything else.
 *
 * @default {100}
 */
export const JOB_HINTS_PER_LOAD = 100;

/**
 * Checks across files: duplicate ids, unknown upstream jobs, job cycles, sub-job tasks, and
 * host names against the config file's `hosts`.
 */
export function crossCheck(files: AnalyzedFile[], hosts: HostTable = {}): void {
  for (const f of files) f.errors.push(...unknownHostErrors(f.file, f.hostRefs, hosts));
  const byId = new Map<string, AnalyzedFile>();
  for (const f of files) {
    if (f.jobId === null) continue;
    const first = byId.get(f.jobId);
    if (!first) {
      byId.set(f.jobId, f);
      continue;
    }
    const firstPos = first.idPos;
    f.errors.push({
      file: f.file,
      ...f.idPos,
      message:
        `duplicate job id "${f.jobId}": also defined in ${first.file}:${firstPos.line}:${firstPos.col}`,
    });
  }
  const known = [...byId.keys()].sort();
  let hints = JOB_HINTS_PER_LOAD;
  const graph = new Map<string, string[]>();
  for (const f of files) {
    if (f.jobId === null || byId.get(f.jobId) !== f) continue;
    const valid: string[] = [];
    for (const dep of f.deps) {
      const pos = dep.pos;
      if (dep.jobId === f.jobId) {
        f.errors.push({ file: f.file, ...pos, message: `job "${f.jobId}" depends on itself` });
      } else if (!byId.has(dep.jobId)) {
        // No hint for an error that will not be shown, nor past the budget.
        const shown = f.errors.length < MAX_ERRORS_PER_FILE && f.omitted === null;
        const hint = shown && hints-- > 0 ? nearest(dep.jobId, known) : null;
        f.errors.push({
          file: f.file,
          ...pos,
          message: `job "${f.jobId}" depends on unknown job "${dep.jobId}"` +
            (hint ? ` (did you mean "${hint}"?)` : "") + ` (known jobs: ${listKnown(known)})`,
        });
      } else valid.push(dep.jobId);
    }
    graph.set(f.jobId, valid);
  }
  const cycle = findCycle(graph);
  if (cycle) {
    const f = byId.get(cycle[0])!;
    f.errors.push({
      file: f.file,
      ...f.dependsOnPos,
      message: `job dependency cycle: ${cycle.join(" -> ")}`,
    });
  }
  checkJobTasksAcrossFiles(files, byId, known);
}
