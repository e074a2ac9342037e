/**
 * Loads a folder of job files: every `*.yaml`/`*.yml` (not recursive, sorted by name), one
 * job per file. All problems in all files are collected in one pass, each with file:line:col.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import type { z } from "zod";
import { parseDuration } from "../core/duration.ts";
import type {
  CommandKind,
  ConfigValue,
  JobDependency,
  JobSpec,
  RetryPolicy,
  TaskCondition,
  TaskSpec,
} from "../core/model.ts";
import { findCycle } from "../core/graph.ts";
import { scanTemplate } from "../core/template.ts";
import { parseSchedule, type Schedule, ScheduleError } from "../schedule/schedule.ts";
import {
  type ConfigError,
  JobConfigError,
  JobsDirError,
  nearest,
  sortConfigErrors,
} from "./errors.ts";
import { type JobText, readJobText, readJobTextSync } from "./read_job_file.ts";
import { type JobFile, JobSchema, keysAt, type TaskFile } from "./schema.ts";
import { type Position, YamlFile } from "./yaml_doc.ts";

/** The outcome of loading one file. */
export interface FileResult {
  /** The path as shown in messages (the folder as given, joined with the file name). */
  readonly file: string;
  /** The job id written in the file, if one could be read. */
  readonly jobId: string | null;
  /** The job, when the file is valid on its own and against the folder. */
  readonly job: JobSpec | null;
  readonly errors: readonly ConfigError[];
}

/** The outcome of loading a folder. */
export interface LoadResult {
  /** Valid jobs, in file order. */
  readonly jobs: JobSpec[];
  /** Every problem, sorted by file and position. */
  readonly errors: ConfigError[];
  /** Per-file outcome, in file order. */
  readonly files: FileResult[];
}

type Path = readonly PropertyKey[];

/** Lists the job files of a folder, sorted by name. Throws JobsDirError when unreadable. */
export async function listJobFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if ((entry.isFile || entry.isSymlink) && /\.ya?ml$/i.test(entry.name)) names.push(entry.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new JobsDirError(`jobs folder not found: ${dir}`);
    }
    if (err instanceof Deno.errors.NotADirectory) {
      throw new JobsDirError(`not a folder: ${dir} (give the folder that holds the job files)`);
    }
    if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
      throw new JobsDirError(`no permission to read the jobs folder: ${dir}`);
    }
    throw err;
  }
  names.sort();
  return names.map((name) => join(dir, name));
}

/** Loads and validates every job file in `dir`. Throws JobsDirError when the folder is unreadable. */
export async function loadJobsDir(dir: string): Promise<LoadResult> {
  return combine(await analyzeFiles(await listJobFiles(dir)));
}

/** Below this many files a worker costs more to start than it saves. */
const PARALLEL_FROM = 200;

/**
 * Reads and analyzes files. Big folders are shared with parse workers (one per extra core,
 * at most 3): every thread claims the next file from a shared counter, so a worker that
 * starts late simply takes fewer files. Falls back to this thread alone if workers fail.
 * A file that cannot be read is one error in the list (both ways), not a failed load.
 */
async function analyzeFiles(files: string[]): Promise<AnalyzedFile[]> {
  const cores = Math.min(navigator.hardwareConcurrency ?? 1, 4);
  if (files.length < PARALLEL_FROM || cores < 2) {
    const texts = await Promise.all(files.map(readJobText));
    return files.map((file, i) => analyzeRead(file, texts[i]));
  }
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const results: AnalyzedFile[] = new Array(files.length);
  const workers: Worker[] = [];
  try {
    const remote = Array.from({ length: cores - 1 }, () => {
      const worker = new Worker(new URL("./parse_worker.ts", import.meta.url).href, {
        type: "module",
      });
      workers.push(worker);
      return new Promise<void>((resolve, reject) => {
        worker.onmessage = (e: MessageEvent<[number, AnalyzedFile][]>) => {
          for (const [i, result] of e.data) results[i] = result;
          resolve();
        };
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(e.message));
        };
        worker.postMessage({ files, counter: counter.buffer });
      });
    });
    for (const [i, result] of analyzeClaimed(files, counter)) results[i] = result;
    await Promise.all(remote);
    return results;
  } catch {
    return files.map((file) => analyzeRead(file, readJobTextSync(file)));
  } finally {
    for (const w of workers) w.terminate();
  }
}

/** Claims files one by one from the shared counter and analyzes them. */
export function analyzeClaimed(files: string[], counter: Int32Array): [number, AnalyzedFile][] {
  const out: [number, AnalyzedFile][] = [];
  for (;;) {
    const i = Atomics.add(counter, 0, 1);
    if (i >= files.length) return out;
    out.push([i, analyzeRead(files[i], readJobTextSync(files[i]))]);
  }
}

/** Analyzes a file as read: one that could not be read has that error alone, and no job. */
function analyzeRead(file: string, read: JobText): AnalyzedFile {
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

/** Loads jobs from in-memory file texts (paths are used for messages and working_dir). */
export function loadJobTexts(sources: readonly { file: string; text: string }[]): LoadResult {
  return combine(sources.map(({ file, text }) => analyzeJobFile(file, text)));
}

/** Adds the checks across files and builds the jobs of the files without errors. */
export function combine(analyzed: AnalyzedFile[]): LoadResult {
  crossCheck(analyzed);
  const files: FileResult[] = analyzed.map((p) => ({
    file: p.file,
    jobId: p.jobId,
    job: p.errors.length === 0 && p.data
      ? buildJob(
        p.file,
        p.data,
        p.schedule ? parseSchedule(p.schedule.expression, p.schedule.timezone) : null,
        p.deps,
      )
      : null,
    errors: sortConfigErrors(p.errors),
  }));
  return {
    jobs: files.flatMap((f) => (f.job ? [f.job] : [])),
    errors: sortConfigErrors(files.flatMap((f) => [...f.errors])),
    files,
  };
}

/** Loads a folder and throws JobConfigError listing every problem if any file is invalid. */
export async function loadJobsOrThrow(dir: string): Promise<JobSpec[]> {
  const result = await loadJobsDir(dir);
  if (result.errors.length > 0) throw new JobConfigError(result.errors);
  return result.jobs;
}

/**
 * What one file says, as plain data (it crosses to and from parse workers): the checked
 * content, the positions the folder-wide checks need, and the file's own errors.
 */
export interface AnalyzedFile {
  file: string;
  jobId: string | null;
  /** The shape-checked content, when the file has no errors of its own. */
  data: JobFile | null;
  /** The schedule as written, when valid. */
  schedule: { expression: string; timezone: string | undefined } | null;
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

function scheduleZone(raw: unknown): string | undefined {
  if (!isRecord(raw)) return undefined;
  const inline = isRecord(raw.schedule) ? raw.schedule.timezone : undefined;
  const zone = inline ?? raw.timezone;
  return typeof zone === "string" ? zone : undefined;
}

// ---- zod issues → positioned messages ----

type Issue = z.core.$ZodIssue;

/** Unions report "no branch matched"; when one branch clearly applies, use its issues. */
function flattenIssues(issues: readonly Issue[], prefix: Path = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const relevant = issue.errors.filter((branch) =>
        !(branch.length === 1 && branch[0].path.length === 0 &&
          (branch[0].code === "invalid_type" || branch[0].code === "invalid_value"))
      );
      if (relevant.length === 1) {
        out.push(...flattenIssues(relevant[0], path));
        continue;
      }
    }
    out.push({ ...issue, path } as Issue);
  }
  return out;
}

function label(path: Path): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a map",
  record: "a map",
};

function reportIssue(yaml: YamlFile, issue: Issue, at: (p: Position, m: string) => void): void {
  const path = issue.path as PropertyKey[];
  const where = label(path);
  const value = valueAtPath(yaml.data, path);
  switch (issue.code) {
    case "unrecognized_keys":
      for (const key of issue.keys) {
        const hint = nearest(key, keysAt(path));
        at(
          yaml.keyAt([...path, key]),
          `unknown key "${key}"${where ? ` in ${where}` : ""}` +
            (hint ? ` (did you mean "${hint}"?)` : ""),
        );
      }
      return;
    case "invalid_type":
      if (value === undefined && !yaml.has(path)) {
        const parent = path.slice(0, -1);
        const key = String(path.at(-1));
        at(
          yaml.valueAt(parent),
          `${label(parent) ? `${label(parent)}: ` : ""}missing required field "${key}"`,
        );
        return;
      }
      if (path.length === 0) {
        at(yaml.valueAt(path), issue.message);
        return;
      }
      at(
        yaml.valueAt(path),
        `${where} must be ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(value)}`,
      );
      return;
    case "invalid_value":
      at(
        yaml.valueAt(path),
        `${where} must be one of ${issue.values.map(String).join(", ")}; got ${describe(value)}`,
      );
      return;
    case "too_small":
    case "too_big":
      at(yaml.valueAt(path), `${where} ${issue.message}, got ${describe(value)}`);
      return;
    case "invalid_format":
      // The message names the field itself ("job id may only contain …").
      at(yaml.valueAt(path), `${where}: ${issue.message}, got ${describe(value)}`);
      return;
    default:
      at(yaml.valueAt(path), where ? `${where}: ${issue.message}` : issue.message);
  }
}

// ---- rules across fields ----

function checkTasks(
  yaml: YamlFile,
  raw: Record<string, unknown>,
  at: (p: Position, m: string) => void,
) {
  if (!Array.isArray(raw.tasks)) return;
  const tasks = raw.tasks.map((t, i) => ({ i, t: isRecord(t) ? t : {} }));
  const firstIndex = new Map<string, number>();
  for (const { i, t } of tasks) {
    if (typeof t.id !== "string") continue;
    const first = firstIndex.get(t.id);
    if (first === undefined) firstIndex.set(t.id, i);
    else {
      const line = yaml.valueAt(["tasks", first, "id"]).line;
      at(
        yaml.valueAt(["tasks", i, "id"]),
        `duplicate task id "${t.id}" (first defined on line ${line})`,
      );
    }
  }
  const known = [...firstIndex.keys()].sort();
  const deps = new Map<string, string[]>();
  for (const { i, t } of tasks) {
    const id = typeof t.id === "string" ? t.id : `#${i + 1}`;
    // A task that is not a map was already reported as such; don't pile on.
    if (isRecord(raw.tasks[i])) checkTaskKind(yaml, i, t, at);
    if (!Array.isArray(t.depends_on)) continue;
    const seen = new Set<string>();
    const valid: string[] = [];
    t.depends_on.forEach((dep, j) => {
      if (typeof dep !== "string") return;
      const pos = yaml.valueAt(["tasks", i, "depends_on", j]);
      if (dep === id) at(pos, `task "${id}" depends on itself`);
      else if (seen.has(dep)) at(pos, `task "${id}" lists dependency "${dep}" twice`);
      else if (!firstIndex.has(dep)) {
        const hint = nearest(dep, known);
        at(
          pos,
          `task "${id}" depends on unknown task "${dep}"` +
            (hint ? ` (did you mean "${hint}"?)` : "") + ` (known tasks: ${listKnown(known)})`,
        );
      } else valid.push(dep);
      seen.add(dep);
    });
    if (typeof t.id === "string" && firstIndex.get(t.id) === i) deps.set(id, valid);
  }
  const cycle = findCycle(deps);
  if (cycle) {
    const i = firstIndex.get(cycle[0])!;
    at(yaml.valueAt(["tasks", i, "depends_on"]), `task dependency cycle: ${cycle.join(" -> ")}`);
  }
  checkTemplates(yaml, raw, tasks, deps, at);
}

function checkTaskKind(
  yaml: YamlFile,
  i: number,
  t: Record<string, unknown>,
  at: (p: Position, m: string) => void,
) {
  const where = (key: string) => yaml.keyAt(["tasks", i, key]);
  const type = t.type ?? "command";
  if (type === "command") {
    // A misspelt `command:` is already reported as an unknown key with the right name.
    const misspelt = Object.keys(t).some((k) => k !== "command" && nearest(k, ["command"]));
    if (t.command === undefined && !misspelt) {
      at(
        yaml.valueAt(["tasks", i]),
        `tasks[${i}]: a command task needs "command" (or use type: shell with script)`,
      );
    }
    if (t.script !== undefined) {
      at(where("script"), `tasks[${i}]: "script" needs type: shell or type: python`);
    }
  } else if (type === "shell" || type === "python") {
    if (t.script === undefined) {
      at(yaml.valueAt(["tasks", i]), `tasks[${i}]: type ${type} needs "script"`);
    }
    if (t.command !== undefined) {
      at(
        where("command"),
        `tasks[${i}]: "command" is for type: command; type ${type} runs "script"`,
      );
    }
    if (t.args !== undefined) at(where("args"), `tasks[${i}]: "args" is for type: command`);
  }
  if (t.inline !== undefined && type !== "python") {
    at(where("inline"), `tasks[${i}]: "inline" is for type: python`);
  }
  if (t.timeout !== undefined && t.timeout_secs !== undefined) {
    at(where("timeout"), `tasks[${i}]: give either timeout or timeout_secs, not both`);
  }
  if (isRecord(t.retry) && t.retry.delay !== undefined && t.retry.delay_secs !== undefined) {
    at(
      yaml.keyAt(["tasks", i, "retry", "delay"]),
      `tasks[${i}].retry: give either delay or delay_secs, not both`,
    );
  }
}

/** Template references must resolve: known config keys, upstream tasks only. */
function checkTemplates(
  yaml: YamlFile,
  raw: Record<string, unknown>,
  tasks: { i: number; t: Record<string, unknown> }[],
  deps: ReadonlyMap<string, readonly string[]>,
  at: (p: Position, m: string) => void,
) {
  const config = isRecord(raw.config) ? raw.config : {};
  const configKeys = Object.keys(config).sort();
  const check = (
    path: Path,
    text: unknown,
    upstream: ReadonlySet<string> | null,
    taskId: string | null,
  ) => {
    if (typeof text !== "string") return;
    for (const part of scanTemplate(text)) {
      const pos = yaml.insideString(path, part.start);
      const ref = part.ref;
      if (!ref) at(pos, part.error!);
      else if (ref.kind === "config" && !(ref.key in config)) {
        at(
          pos,
          `unknown config key "${ref.key}" in {{ ${part.expression} }}` +
            (configKeys.length
              ? ` (known keys: ${configKeys.join(", ")})`
              : " (the job has no config)"),
        );
      } else if (ref.kind === "stdout" || ref.kind === "exit_code" || ref.kind === "output") {
        if (upstream === null) {
          at(
            pos,
            `{{ ${part.expression} }} can only be used in a task, not in the job's environment`,
          );
        } else if (!upstream.has(ref.taskId)) {
          at(
            pos,
            `{{ ${part.expression} }} refers to task "${ref.taskId}", which is not upstream of ` +
              `"${taskId}" (add it to depends_on)`,
          );
        }
      }
    }
  };
  if (isRecord(raw.environment)) {
    for (const [key, value] of Object.entries(raw.environment)) {
      check(["environment", key], value, null, null);
    }
  }
  for (const { i, t } of tasks) {
    const taskId = typeof t.id === "string" ? t.id : `#${i + 1}`;
    const upstream = ancestors(taskId, deps);
    check(["tasks", i, "command"], t.command, upstream, taskId);
    check(["tasks", i, "script"], t.script, upstream, taskId);
    check(["tasks", i, "working_dir"], t.working_dir, upstream, taskId);
    if (Array.isArray(t.args)) {
      t.args.forEach((a, j) => check(["tasks", i, "args", j], a, upstream, taskId));
    }
    if (isRecord(t.environment)) {
      for (const [key, value] of Object.entries(t.environment)) {
        check(["tasks", i, "environment", key], value, upstream, taskId);
      }
    }
  }
}

function ancestors(taskId: string, deps: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>();
  const todo = [...(deps.get(taskId) ?? [])];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(deps.get(next) ?? []));
  }
  return seen;
}

function collectJobDeps(
  yaml: YamlFile,
  raw: Record<string, unknown>,
  at: (p: Position, m: string) => void,
): { jobId: string; path: Path }[] {
  if (!Array.isArray(raw.depends_on)) return [];
  const out: { jobId: string; path: Path }[] = [];
  raw.depends_on.forEach((dep, j) => {
    const path = ["depends_on", j];
    if (typeof dep === "string") {
      out.push({ jobId: dep, path });
      return;
    }
    if (!isRecord(dep)) return;
    if (dep.job !== undefined && dep.job_id !== undefined) {
      at(yaml.keyAt([...path, "job_id"]), `depends_on[${j}]: give either job or job_id, not both`);
    }
    const jobId = dep.job ?? dep.job_id;
    if (jobId === undefined) {
      at(yaml.valueAt(path), `depends_on[${j}]: missing required field "job"`);
    }
    if (typeof jobId === "string") {
      out.push({ jobId, path: [...path, dep.job !== undefined ? "job" : "job_id"] });
    }
    if (dep.condition === "within_window" && dep.window === undefined) {
      at(
        yaml.valueAt([...path, "condition"]),
        `depends_on[${j}]: within_window needs "window" (e.g. window: 1h)`,
      );
    }
    if (dep.window !== undefined && dep.condition !== "within_window") {
      at(
        yaml.keyAt([...path, "window"]),
        `depends_on[${j}]: "window" is only used with condition: within_window`,
      );
    }
  });
  return out;
}

function checkSchedule(
  yaml: YamlFile,
  raw: unknown,
  at: (p: Position, m: string) => void,
): Schedule | null {
  if (!isRecord(raw) || raw.schedule === undefined) {
    if (isRecord(raw) && raw.timezone !== undefined) {
      at(yaml.keyAt(["timezone"]), "timezone is set but the job has no schedule");
    }
    return null;
  }
  const inline = isRecord(raw.schedule);
  const expression = inline ? (raw.schedule as Record<string, unknown>).cron : raw.schedule;
  const tz = inline ? (raw.schedule as Record<string, unknown>).timezone : undefined;
  if (tz !== undefined && raw.timezone !== undefined) {
    at(
      yaml.keyAt(["timezone"]),
      "timezone is given twice (in schedule and at the job level); keep one",
    );
    return null;
  }
  const timezone = tz ?? raw.timezone;
  if (typeof expression !== "string" || (timezone !== undefined && typeof timezone !== "string")) {
    return null;
  }
  try {
    return parseSchedule(expression, timezone as string | undefined);
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    const exprPath = inline ? ["schedule", "cron"] : ["schedule"];
    const tzPath = tz !== undefined ? ["schedule", "timezone"] : ["timezone"];
    if (err.field === "timezone") {
      at(yaml.valueAt(tzPath), `${label(tzPath)}: ${err.message}`);
      // The expression may be wrong too: report it in the same pass.
      try {
        parseSchedule(expression);
      } catch (exprErr) {
        if (!(exprErr instanceof ScheduleError)) throw exprErr;
        at(yaml.valueAt(exprPath), exprErr.message);
      }
    } else {
      at(yaml.valueAt(exprPath), err.message);
    }
    return null;
  }
}

/** Checks across files: duplicate ids, unknown upstream jobs, job cycles. */
function crossCheck(files: AnalyzedFile[]): void {
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

// ---- building the model ----

function buildJob(
  file: string,
  data: JobFile,
  schedule: Schedule | null,
  deps: { jobId: string }[],
): JobSpec {
  const environment = stringMap(data.environment);
  const dependsOn: JobDependency[] = (data.depends_on ?? []).map((dep, j) => {
    const jobId = deps[j]?.jobId ?? (typeof dep === "string" ? dep : (dep.job ?? dep.job_id)!);
    if (
      typeof dep === "string" || dep.condition === undefined || dep.condition === "last_success"
    ) {
      return { jobId, condition: { kind: "last_success" } };
    }
    if (dep.condition === "last_complete") return { jobId, condition: { kind: "last_complete" } };
    const windowMs = typeof dep.condition === "object"
      ? dep.condition.within_window.seconds * 1000
      : toMs(dep.window!);
    return { jobId, condition: { kind: "within_window", windowMs } };
  });
  return {
    id: data.id,
    name: data.name ?? data.id,
    description: data.description ?? null,
    schedule,
    enabled: data.enabled ?? true,
    maxConcurrency: data.max_concurrency ?? null,
    config: (data.config ?? {}) as Record<string, ConfigValue>,
    environment,
    dependsOn,
    catchup: data.catchup ?? "none",
    catchupLimit: data.catchup_limit ?? 10,
    tasks: data.tasks.map((t) => buildTask(t)),
    file: resolve(file),
  };
}

function buildTask(t: TaskFile): TaskSpec {
  const kind: CommandKind = t.type ?? "command";
  const condition: TaskCondition = t.condition === "always"
    ? "all_done"
    : (t.condition ?? "all_success");
  return {
    id: t.id,
    name: t.name ?? t.id,
    dependsOn: t.depends_on ?? [],
    condition,
    retry: buildRetry(t.retry),
    timeoutMs: t.timeout_secs !== undefined
      ? Math.round(t.timeout_secs * 1000)
      : t.timeout !== undefined
      ? parseDuration(t.timeout)
      : null,
    command: {
      kind,
      command: t.command ?? null,
      args: (t.args ?? []).map(String),
      script: t.script ?? null,
      inline: t.inline ?? false,
      workingDir: t.working_dir ?? null,
      environment: stringMap(t.environment),
    },
    custom: null,
  };
}

function buildRetry(r: TaskFile["retry"]): RetryPolicy {
  return {
    maxAttempts: r?.max_attempts ?? 0,
    delayMs: r?.delay !== undefined
      ? parseDuration(r.delay)
      : Math.round((r?.delay_secs ?? 0) * 1000),
    backoff: r?.backoff ?? "fixed",
    maxDelayMs: r?.max_delay !== undefined ? toMs(r.max_delay) : null,
    condition: r?.condition ?? "always",
  };
}

function toMs(value: string | number): number {
  return typeof value === "number" ? Math.round(value * 1000) : parseDuration(value);
}

function stringMap(
  map: Record<string, string | number | boolean> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) out[k] = String(v);
  return out;
}

/** A sorted id list for hints, cut short in big folders. */
function listKnown(ids: readonly string[], max = 20): string {
  if (ids.length <= max) return ids.join(", ");
  return `${ids.slice(0, max).join(", ")}, … and ${ids.length - max} more`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function valueAtPath(data: unknown, path: Path): unknown {
  let node = data;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === "number") node = node[segment];
    else if (isRecord(node)) node = node[segment as string];
    else return undefined;
  }
  return node;
}

/** The folder a job's relative `working_dir` resolves against. */
export function jobDir(job: JobSpec): string {
  return job.file ? dirname(job.file) : Deno.cwd();
}

/** A short name for a job file in messages. */
export function fileLabel(job: JobSpec): string {
  return job.file ? basename(job.file) : job.id;
}
