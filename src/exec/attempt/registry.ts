/**
 * Picks the {@linkcode RunAttempt} of a task by its type. Today: command tasks (`command`,
 * `shell`, `python`), TypeScript tasks (`custom`), HTTP requests (`http`), sub-job tasks
 * (`job`) and containers run as Kubernetes Jobs (`kubernetes`). Command tasks with a `host`
 * run there over SSH (`run_ssh.ts`). The map is keyed by every
 * {@linkcode TaskType}, so the compiler asks for an entry when a type is added.
 *
 * @module
 */

import type { CommandKind, TaskSpec } from "../../core/model.ts";
import type { AttemptContext, AttemptResult, RunAttempt } from "./contract.ts";
import { runCommandAttempt } from "./run_command.ts";
import { runCustomAttempt } from "./run_custom.ts";
import { runHttpAttempt } from "./run_http.ts";
import { runJobAttempt } from "./run_job.ts";
import { runKubernetesAttempt } from "./run_kubernetes.ts";
import { runSshAttempt } from "./run_ssh.ts";

/**
 * What kind of work a task does: a command kind, `custom` for TypeScript tasks, `http` for
 * an HTTP request, `job` for a run of another job or `kubernetes` for a container run as a
 * Kubernetes Job.
 */
export type TaskType = CommandKind | "custom" | "http" | "job" | "kubernetes";

/**
 * The type of `task`. A task with neither a command nor code counts as `command`, whose
 * attempt then fails with "task … has no command".
 */
export function taskType(task: TaskSpec): TaskType {
  return task.custom
    ? "custom"
    : task.http
    ? "http"
    : task.job
    ? "job"
    : task.kubernetes
    ? "kubernetes"
    : task.command?.kind ?? "command";
}

/** Command tasks: on their `host` over SSH when they have one, else here. */
export const runCommandTask: RunAttempt = (task, ctx) =>
  task.host ? runSshAttempt(task, ctx) : runCommandAttempt(task, ctx);

/** The attempt implementation of each task type. */
export const ATTEMPT_RUNNERS: Readonly<Record<TaskType, RunAttempt>> = Object.freeze({
  command: runCommandTask,
  shell: runCommandTask,
  python: runCommandTask,
  custom: runCustomAttempt,
  http: runHttpAttempt,
  job: runJobAttempt,
  kubernetes: runKubernetesAttempt,
});

/** The runner's default {@linkcode RunAttempt}: the implementation of the task's type. */
export function runAttemptByType(task: TaskSpec, ctx: AttemptContext): Promise<AttemptResult> {
  return ATTEMPT_RUNNERS[taskType(task)](task, ctx);
}
