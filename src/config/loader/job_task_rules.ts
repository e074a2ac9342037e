/**
 * The rules of sub-job tasks (`type: job`): in one file, such a task needs `job` and refuses the
 * fields of tasks that run a program, and other task types refuse `job` and `params`; across
 * the folder, the job it runs must exist, take the params it gives and get its required ones,
 * and no job may run itself through a chain of sub-job tasks.
 *
 * @module
 */

import { nearest } from "../errors.ts";
import { JOB_TASK_FIELDS, NOT_FOR_JOB_TASKS } from "../schema.ts";
import type { Position, YamlFile } from "../yaml_doc.ts";
import type { ConfigError } from "../errors.ts";
import { MAX_ERRORS_PER_FILE, type Omitted } from "./error_list.ts";
import { findCycle } from "./graph.ts";
import { listKnown, type ReportAt } from "./issues.ts";
import type { DeclaredParam } from "./param_rules.ts";
import { isRecord } from "./raw.ts";
import { refuseOtherTypeFields } from "./type_fields.ts";

/**
 * Unknown jobs of sub-job tasks that get a "did you mean" over every job id, per load (each
 * costs a pass over the ids; see `JOB_HINTS_PER_LOAD` in `cross_check.ts`).
 *
 * @default {100}
 */
const HINTS_PER_LOAD = 100;

/** A sub-job task as the checks across files see it (plain data: it crosses workers). */
export interface JobTaskRef {
  /** The task's id. */
  readonly taskId: string;
  /** The job it runs. */
  readonly jobId: string;
  /** Where `job` is written. */
  readonly pos: Position;
  /** The params it gives, with where each name is written. */
  readonly params: readonly { readonly name: string; readonly pos: Position }[];
}

/** What the checks across files read of an analyzed file (`AnalyzedFile` fits). */
export interface JobTaskFile {
  /** The path as shown in messages. */
  readonly file: string;
  /** The job id written in the file, if one could be read. */
  readonly jobId: string | null;
  /** The file's errors so far; the checks add theirs. */
  readonly errors: ConfigError[];
  /** The file's own errors left out of `errors`, if any. */
  readonly omitted: Omitted | null;
  /** The params the job takes. */
  readonly params: readonly DeclaredParam[];
  /** The file's sub-job tasks. */
  readonly jobTasks: readonly JobTaskRef[];
}

/** Checks the sub-job fields of task `i`, whose type is `type` (`command` when not written). */
export function checkJobTaskFields(
  yaml: YamlFile,
  i: number,
  t: Record<string, unknown>,
  type: unknown,
  at: ReportAt,
): void {
  const where = (key: string) => yaml.keyAt(["tasks", i, key]);
  if (type !== "job") {
    refuseOtherTypeFields(yaml, i, t, JOB_TASK_FIELDS, "job", at);
    return;
  }
  if (t.job === undefined) {
    at(yaml.valueAt(["tasks", i]), `tasks[${i}]: type job needs "job" (the id of the job to run)`);
  }
  for (const key of NOT_FOR_JOB_TASKS) {
    if (t[key] === undefined) continue;
    at(
      where(key),
      `tasks[${i}]: "${key}" is for tasks that run a program; type job runs the job named in ` +
        `"job" (give it values with "params")`,
    );
  }
}

/** The file's sub-job tasks, for the checks across files. */
export function collectJobTasks(yaml: YamlFile, raw: Record<string, unknown>): JobTaskRef[] {
  if (!Array.isArray(raw.tasks)) return [];
  const out: JobTaskRef[] = [];
  raw.tasks.forEach((t, i) => {
    if (!isRecord(t) || t.type !== "job" || typeof t.job !== "string") return;
    out.push({
      taskId: typeof t.id === "string" ? t.id : `#${i + 1}`,
      jobId: t.job,
      pos: yaml.valueAt(["tasks", i, "job"]),
      params: isRecord(t.params)
        ? Object.keys(t.params).map((name) => ({
          name,
          pos: yaml.keyAt(["tasks", i, "params", name]),
        }))
        : [],
    });
  });
  return out;
}

/**
 * Across files: each sub-job task runs a known job, gives only params that job takes and all
 * it requires; no chain of sub-job tasks leads back to its own job. `byId` holds the file of
 * each job id (the first, for duplicates); `known` the sorted ids.
 */
export function checkJobTasksAcrossFiles(
  files: readonly JobTaskFile[],
  byId: ReadonlyMap<string, JobTaskFile>,
  known: readonly string[],
): void {
  const graph = new Map<string, string[]>();
  const firstTask = new Map<string, JobTaskRef>();
  let hints = HINTS_PER_LOAD;
  for (const f of files) {
    if (f.jobId === null || byId.get(f.jobId) !== f) continue;
    const edges: string[] = [];
    for (const ref of f.jobTasks) {
      const add = (pos: Position, message: string) =>
        f.errors.push({ file: f.file, ...pos, message });
      const child = byId.get(ref.jobId);
      if (!child) {
        const shown = f.errors.length < MAX_ERRORS_PER_FILE && f.omitted === null;
        const hint = shown && hints-- > 0 ? nearest(ref.jobId, known) : null;
        add(
          ref.pos,
          `task "${ref.taskId}" runs unknown job "${ref.jobId}"` +
            (hint ? ` (did you mean "${hint}"?)` : "") + ` (known jobs: ${listKnown(known)})`,
        );
        continue;
      }
      if (ref.jobId === f.jobId) {
        add(ref.pos, `task "${ref.taskId}" runs its own job "${f.jobId}" (a job task cycle)`);
        continue;
      }
      edges.push(ref.jobId);
      if (!firstTask.has(`${f.jobId}\0${ref.jobId}`)) {
        firstTask.set(`${f.jobId}\0${ref.jobId}`, ref);
      }
      checkChildParams(ref, child, add);
    }
    graph.set(f.jobId, edges);
  }
  const cycle = findCycle(graph);
  if (cycle) {
    const f = byId.get(cycle[0])!;
    const ref = firstTask.get(`${cycle[0]}\0${cycle[1]}`)!;
    f.errors.push({
      file: f.file,
      ...ref.pos,
      message: `job task cycle: ${cycle.join(" -> ")} (each runs the next as a sub-job task)`,
    });
  }
}

/** The params a sub-job task gives against those its job declares. */
function checkChildParams(
  ref: JobTaskRef,
  child: JobTaskFile,
  add: (pos: Position, message: string) => void,
): void {
  const declared = new Map(child.params.map((p) => [p.name, p]));
  const given = new Set<string>();
  for (const p of ref.params) {
    given.add(p.name);
    if (declared.has(p.name)) continue;
    const names = [...declared.keys()].sort();
    add(
      p.pos,
      `task "${ref.taskId}" gives param "${p.name}", which job "${ref.jobId}" does not take ` +
        (names.length ? `(known params: ${names.join(", ")})` : "(it takes no params)"),
    );
  }
  for (const p of child.params) {
    if (p.required && !given.has(p.name)) {
      add(
        ref.pos,
        `task "${ref.taskId}" runs job "${ref.jobId}" without its required param "${p.name}" ` +
          `(add it under params)`,
      );
    }
  }
}
