/**
 * Analysis of one job file on its own: its syntax, shape and per-job rules, with every
 * error positioned. The result is plain data (it crosses to and from parse workers), and
 * holds the positions the checks across files need. Whatever the file holds, analysis
 * returns: an exception inside it is an error of that file, not a failed load.
 *
 * @module
 */

import type { ConfigError } from "../errors.ts";
import type { JobText } from "../read_job_file.ts";
import { type JobFile, JobSchema } from "../schema.ts";
import { type Position, YamlDocument, type YamlFile } from "../yaml_doc.ts";
import { FastYamlFile } from "../yaml_fast.ts";
import { FileErrors, type Omitted } from "./error_list.ts";
import { collectHostRefs, type HostRef } from "./host_rules.ts";
import { flattenIssues, reportIssue } from "./issues.ts";
import { collectJobTasks, type JobTaskRef } from "./job_task_rules.ts";
import { checkParams, type DeclaredParam } from "./param_rules.ts";
import { isRecord } from "./raw.ts";
import { checkSchedule, checkTasks, collectJobDeps } from "./rules.ts";
import { checkSpawnLimits } from "./spawn_rules.ts";

/**
 * What one file says, as plain data (it crosses to and from parse workers): the checked
 * content, the positions the folder-wide checks need, and the file's own errors.
 */
export interface AnalyzedFile {
  /** The path as shown in messages. */
  file: string;
  /** The job id written in the file, if one could be read. */
  jobId: string | null;
  /** The shape-checked content, when the file has no errors of its own. */
  data: JobFile | null;
  /** The schedule as written, when valid. */
  schedule: { expression: string; timezone: string | undefined } | null;
  /**
   * The file's own problems, the first MAX_ERRORS_PER_FILE by position; the checks across
   * files add theirs here.
   */
  errors: ConfigError[];
  /** The file's own problems left out of `errors`, if any. */
  omitted: Omitted | null;
  /** Where the `id` value is. */
  idPos: Position;
  /** Where `depends_on` is. */
  dependsOnPos: Position;
  /** Job ids this file depends on, with where each is written. */
  deps: { jobId: string; pos: Position }[];
  /** The params the job takes (`params:`), for the sub-job tasks of other files. */
  params: DeclaredParam[];
  /** The file's sub-job tasks (`type: job`), for the checks across files. */
  jobTasks: JobTaskRef[];
  /** The `host:` values of the job and its tasks, checked against the config file's hosts. */
  hostRefs: HostRef[];
  /**
   * The file's text when it was read without positions (every position above is line 0):
   * if the checks across files find a problem, the load analyzes it again with positions
   * (`load.ts`). Null when the positions are known.
   */
  unplacedText: string | null;
}

/** How to read a file: fast first (no positions, `yaml_fast.ts`), or with positions only. */
export type ReadMode = "fast-first" | "positions";

/**
 * Checks one file on its own (everything but the rules across files). Never throws. A file
 * that js-yaml reads and that has no problem of its own is checked once, without positions;
 * any other is read with positions, which its errors carry.
 */
export function analyzeJobFile(
  file: string,
  text: string,
  mode: ReadMode = "fast-first",
): AnalyzedFile {
  try {
    const fast = mode === "fast-first" ? FastYamlFile.read(file, text) : null;
    if (fast) {
      const result = analyze(fast);
      if (result.errors.length === 0) return { ...result, unplacedText: text };
    }
    return analyze(new YamlDocument(file, text));
  } catch (err) {
    // A bug in a check, or a file no check foresaw: this file fails, the others load.
    const message = err instanceof Error ? err.message : String(err);
    return failed(file, {
      file,
      line: 1,
      col: 1,
      message: `cannot check this file: ${message.split("\n", 1)[0]} (please report this)`,
    });
  }
}

function analyze(yaml: YamlFile): AnalyzedFile {
  const file = yaml.file;
  const errors = new FileErrors(file);
  for (const e of yaml.syntaxErrors) errors.add(e, e.message);
  const at = errors.add.bind(errors);
  const result: AnalyzedFile = {
    file,
    jobId: null,
    data: null,
    schedule: null,
    errors: [],
    omitted: null,
    idPos: yaml.valueAt(["id"]),
    dependsOnPos: yaml.valueAt(["depends_on"]),
    deps: [],
    params: [],
    jobTasks: [],
    hostRefs: [],
    unplacedText: null,
  };
  const finish = () => {
    ({ errors: result.errors, omitted: result.omitted } = errors.list());
    return result;
  };
  if (errors.count > 0) return finish();
  const raw = yaml.data;
  if (raw === undefined || raw === null) {
    at({ line: 1, col: 1 }, "the file is empty; a job needs at least id and tasks");
    return finish();
  }
  if (isRecord(raw) && typeof raw.id === "string") result.jobId = raw.id;

  const parsed = JobSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of flattenIssues(parsed.error.issues)) reportIssue(yaml, issue, at);
  }
  // Rules across fields run on the raw data too, so one pass reports shape and logic errors.
  if (isRecord(raw)) {
    checkTasks(yaml, raw, at);
    checkSpawnLimits(yaml, raw, at);
    result.params = checkParams(yaml, raw, at);
    result.jobTasks = collectJobTasks(yaml, raw);
    result.hostRefs = collectHostRefs(yaml, raw);
    result.deps = collectJobDeps(yaml, raw, at).map((d) => ({
      jobId: d.jobId,
      pos: yaml.valueAt(d.path),
    }));
  }
  const schedule = checkSchedule(yaml, raw, at);
  if (errors.count === 0 && parsed.success) {
    result.data = parsed.data;
    result.schedule = schedule
      ? { expression: schedule.expression, timezone: scheduleZone(raw) }
      : null;
  }
  return finish();
}

/** Analyzes a file as read: one that could not be read has that error alone, and no job. */
export function analyzeRead(file: string, read: JobText): AnalyzedFile {
  if (read.error === undefined) return analyzeJobFile(file, read.text);
  return failed(file, read.error);
}

/** A file whose only error is `error`, with no job. */
function failed(file: string, error: ConfigError): AnalyzedFile {
  const start = { line: 1, col: 1 };
  return {
    file,
    jobId: null,
    data: null,
    schedule: null,
    errors: [error],
    omitted: null,
    idPos: start,
    dependsOnPos: start,
    deps: [],
    params: [],
    jobTasks: [],
    hostRefs: [],
    unplacedText: null,
  };
}

/** The time zone the schedule runs in, as written (in `schedule` or at the job level). */
function scheduleZone(raw: unknown): string | undefined {
  if (!isRecord(raw)) return undefined;
  const inline = isRecord(raw.schedule) ? raw.schedule.timezone : undefined;
  const zone = inline ?? raw.timezone;
  return typeof zone === "string" ? zone : undefined;
}
