/**
 * Checks across the files of a folder: job ids are unique, every upstream job exists, and
 * jobs do not depend on themselves or in a cycle. Errors are added to the file they are in.
 *
 * @module
 */

import { findCycle } from "../../core/graph.ts";
import { nearest } from "../errors.ts";
import type { AnalyzedFile } from "./analysis.ts";
import { listKnown } from "./issues.ts";

/** Checks across files: duplicate ids, unknown upstream jobs, job cycles. */
export function crossCheck(files: AnalyzedFile[]): void {
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
  const graph = new Map<string, string[]>();
  for (const f of files) {
    if (f.jobId === null || byId.get(f.jobId) !== f) continue;
    const valid: string[] = [];
    for (const dep of f.deps) {
      const pos = dep.pos;
      if (dep.jobId === f.jobId) {
        f.errors.push({ file: f.file, ...pos, message: `job "${f.jobId}" depends on itself` });
      } else if (!byId.has(dep.jobId)) {
        const hint = nearest(dep.jobId, known);
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
}
