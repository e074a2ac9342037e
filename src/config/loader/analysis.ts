/**
 * Analysis of one job file on its own: its syntax, shape and per-job rules, with every
 * error positioned. The result is plain data (it crosses to and from parse workers), and
 * holds the positions the checks across files need.
 *
 * @module
 */

import type { ConfigError } from "../errors.ts";
import type { JobText } from "../read_job_file.ts";
import { type JobFile, JobSchema } from "../schema.ts";
import { type Position, YamlFile } from "../yaml_doc.ts";
import { flattenIssues, reportIssue } from "./issues.ts";
import { isRecord } from "./raw.ts";
import { checkSchedule, checkTasks, collectJobDeps } from "./rules.ts";

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
  /** The file's own problems; the checks across files add theirs here. */
  errors: ConfigError[];
  /** Where the `id` value is. */
  idPos: Position;
  /** Where `depends_on` is. */
  dependsOnPos: Position;
  /** Job ids this file depends on, with where each is written. */
  deps: { jobId: string; pos: Position }[];
}

/** Checks one file on its own (everything but the rules across files). */
export function analyzeJobFile(file: string, text: string): AnalyzedFile {
  const yaml = new YamlFile(file, text);
  const errors: ConfigError[] = [...yaml.syntaxErrors];
  const at = (pos: Position, message: string) => errors.push({ file, ...pos, message });
  const result: AnalyzedFile = {
    file,
    jobId: null,
    data: null,
    schedule: null,
    errors,
    idPos: yaml.valueAt(["id"]),
    dependsOnPos: yaml.valueAt(["depends_on"]),
    deps: [],
  };
  if (errors.length > 0) return result;
  const raw = yaml.data;
  if (raw === undefined || raw === null) {
    at({ line: 1, col: 1 }, "the file is empty; a job needs at least id and tasks");
    return result;
  }
  if (isRecord(raw) && typeof raw.id === "string") result.jobId = raw.id;

  const parsed = JobSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of flattenIssues(parsed.error.issues)) reportIssue(yaml, issue, at);
  }
  // Rules across fields run on the raw data too, so one pass reports shape and logic errors.
  if (isRecord(raw)) {
    checkTasks(yaml, raw, at);
    result.deps = collectJobDeps(yaml, raw, at).map((d) => ({
      jobId: d.jobId,
      pos: yaml.valueAt(d.path),
    }));
  }
  const schedule = checkSchedule(yaml, raw, at);
  if (errors.length === 0 && parsed.success) {
    result.data = parsed.data;
    result.schedule = schedule
      ? { expression: schedule.expression, timezone: scheduleZone(raw) }
      : null;
  }
  return result;
}

/** Analyzes a file as read: one that could not be read has that error alone, and no job. */
export function analyzeRead(file: string, read: JobText): AnalyzedFile {
  if (read.error === undefined) return analyzeJobFile(file, read.text);
  const start = { line: 1, col: 1 };
  return {
    file,
    jobId: null,
    data: null,
    schedule: null,
    errors: [read.error],
    idPos: start,
    dependsOnPos: start,
    deps: [],
  };
}

/** The time zone the schedule runs in, as written (in `schedule` or at the job level). */
function scheduleZone(raw: unknown): string | undefined {
  if (!isRecord(raw)) return undefined;
  const inline = isRecord(raw.schedule) ? raw.schedule.timezone : undefined;
  const zone = inline ?? raw.timezone;
  return typeof zone === "string" ? zone : undefined;
}
