/**
 * Turns a command task into the program, arguments, directory and environment of one
 * attempt: templates rendered, environment layered, scripts placed.
 *
 * @module
 */

import { isAbsolute, join, resolve } from "node:path";
import type { JobSpec, TaskSpec } from "../core/model.ts";
import { paramEnvName } from "../core/params.ts";
import { renderTemplate, type TemplateContext } from "../core/template.ts";

/** What an attempt runs. */
export interface PreparedCommand {
  program: string;
  args: string[];
  cwd: string | undefined;
  env: Record<string, string>;
}

/** Inputs to prepare one attempt. */
export interface PrepareInput {
  job: JobSpec;
  task: TaskSpec;
  runId: string;
  attempt: number;
  /** `pt`'s own environment, the bottom layer. */
  baseEnv: Readonly<Record<string, string>>;
  /** Finished upstream tasks (templates and PETIT_OUT_* variables). */
  templates: TemplateContext;
  /** Where this attempt writes its outputs (`PETIT_OUTPUT`). */
  outputFile: string;
  /** Scratch folder of the run, for python scripts. */
  runDir: string;
  /** The schedule slot of the run, exported as PETIT_SCHEDULED_FOR (ISO-8601). */
  scheduledFor: number | null;
  /** The values of the job's and the task's `env_file`; none when absent. */
  fileEnv?: {
    readonly job: Readonly<Record<string, string>>;
    readonly task: Readonly<Record<string, string>>;
  };
}

/**
 * Environment layers, lowest first: pt's environment, the job's `env_file`, the job's
 * `environment`, the task's `env_file`, the task's `environment`, upstream outputs as
 * `PETIT_OUT_<TASK>_<KEY>`, the run's params as `PETIT_PARAM_<NAME>`, then Petit's own
 * variables. Values from env files are taken as written (no templates).
 */
export async function prepareCommand(input: PrepareInput): Promise<PreparedCommand> {
  const { job, task, templates } = input;
  const spec = task.command;
  if (spec === null) throw new Error(`task "${task.id}" has no command`);
  const render = (text: string) => renderTemplate(text, templates);
  const env = taskEnvironment(input, spec.environment);
  env.PETIT_OUTPUT = input.outputFile;

  const base = job.file ? resolve(job.file, "..") : Deno.cwd();
  const rawDir = spec.workingDir;
  const cwd = rawDir === null ? base : resolveDir(base, render(rawDir));

  switch (spec.kind) {
    case "command":
      return { program: render(spec.command ?? ""), args: spec.args.map(render), cwd, env };
    case "shell":
      return { program: "/bin/sh", args: ["-c", render(spec.script ?? "")], cwd, env };
    case "python": {
      const script = render(spec.script ?? "");
      if (spec.inline) return { program: "python3", args: ["-c", script], cwd, env };
      // A file keeps tracebacks readable (line numbers) and has no argv length limit.
      const file = join(input.runDir, `${task.id}.py`);
      await Deno.writeTextFile(file, script);
      return { program: "python3", args: [file], cwd, env };
    }
  }
}

/** What {@linkcode taskEnvironment} reads of an attempt. */
export type EnvironmentInput = Pick<
  PrepareInput,
  "job" | "task" | "runId" | "attempt" | "baseEnv" | "templates" | "scheduledFor" | "fileEnv"
>;

/**
 * The layered environment of a task whose own `environment` is `own` (templates rendered),
 * without `PETIT_OUTPUT`: what a process gets here, over SSH, or in a container.
 */
export function taskEnvironment(
  input: EnvironmentInput,
  own: Readonly<Record<string, string>>,
): Record<string, string> {
  const { job, task, templates } = input;
  const render = (text: string) => renderTemplate(text, templates);
  const env: Record<string, string> = { ...input.baseEnv, ...input.fileEnv?.job };
  for (const [k, v] of Object.entries(job.environment)) env[k] = render(v);
  Object.assign(env, input.fileEnv?.task);
  for (const [k, v] of Object.entries(own)) env[k] = render(v);
  for (const [upstream, result] of templates.upstreamOutputs?.() ?? templates.tasks) {
    for (const [key, value] of Object.entries(result.outputs)) {
      env[outputEnvName(upstream, key)] = value;
    }
  }
  for (const [name, value] of Object.entries(templates.params ?? {})) {
    env[paramEnvName(name)] = value;
  }
  env.PETIT_JOB_ID = job.id;
  env.PETIT_RUN_ID = input.runId;
  env.PETIT_TASK_ID = task.id;
  env.PETIT_ATTEMPT = String(input.attempt);
  if (input.scheduledFor !== null) {
    env.PETIT_SCHEDULED_FOR = new Date(input.scheduledFor).toISOString();
  }
  return env;
}

function resolveDir(base: string, dir: string): string {
  if (dir.startsWith("~/")) return join(Deno.env.get("HOME") ?? "/", dir.slice(2));
  return isAbsolute(dir) ? dir : resolve(base, dir);
}

/** `PETIT_OUT_<TASK>_<KEY>`: upper-cased, anything but letters, digits and `_` becomes `_`. */
export function outputEnvName(taskId: string, key: string): string {
  const clean = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
  return `PETIT_OUT_${clean(taskId)}_${clean(key)}`;
}

/** Most bytes of an outputs file that are read; the rest is ignored. */
export const MAX_OUTPUT_FILE_BYTES = 1024 * 1024;

/**
 * Reads `key=value` lines written to `$PETIT_OUTPUT`; missing file means no outputs.
 * Synchronous on purpose: the file is small and local, and most tasks write none, so the
 * common case is one failed open(2) — ~25 µs, against ~150 µs of thread-pool round trip
 * for the async call (measured here; it showed in profiles of 1,000-task runs).
 */
export function readOutputs(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    using f = Deno.openSync(file);
    const buf = new Uint8Array(MAX_OUTPUT_FILE_BYTES);
    let n = 0;
    while (n < buf.length) {
      const read = f.readSync(buf.subarray(n));
      if (read === null) break;
      n += read;
    }
    text = new TextDecoder().decode(buf.subarray(0, n));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return Promise.resolve({});
    return Promise.reject(err);
  }
  return Promise.resolve(parseOutputs(text));
}

/** Parses `key=value` lines; blank lines and `#` comments are ignored, later keys win. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq <= 0 || line.trimStart().startsWith("#")) continue;
    const key = line.slice(0, eq).trim();
    if (key) out[key] = line.slice(eq + 1).replace(/\r$/, "");
  }
  return out;
}
