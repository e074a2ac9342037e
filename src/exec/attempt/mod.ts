/**
 * One attempt of one task: the {@linkcode RunAttempt} seam the DAG runner calls, its
 * implementations and the registry that picks one by task type.
 *
 * - `contract.ts`: `RunAttempt`, `AttemptContext`, `AttemptResult`
 * - `registry.ts`: `taskType`, `ATTEMPT_RUNNERS`, `runAttemptByType`
 * - `run_command.ts`: command, shell and python tasks (processes)
 * - `run_ssh.ts`: command tasks with a `host`, over SSH
 * - `run_custom.ts`: TypeScript tasks
 * - `run_http.ts`: HTTP requests (`type: http`)
 * - `run_job.ts`: sub-job tasks (`type: job`), through `child_runs.ts`'s `ChildRuns`
 * - `run_kubernetes.ts`: containers run as Kubernetes Jobs (`type: kubernetes`), with
 *   `kube_output.ts` for their logs and outputs
 *
 * @module
 */

export {
  type AttemptContext,
  type AttemptResult,
  type AttemptStart,
  emptyLogs,
  type RunAttempt,
} from "./contract.ts";
export {
  ATTEMPT_RUNNERS,
  runAttemptByType,
  runCommandTask,
  type TaskType,
  taskType,
} from "./registry.ts";
export { runCommandAttempt } from "./run_command.ts";
export { runCustomAttempt } from "./run_custom.ts";
export { runSshAttempt } from "./run_ssh.ts";
export { runHttpAttempt, statusExpected } from "./run_http.ts";
export { runJobAttempt } from "./run_job.ts";
export {
  kubernetesAttempt,
  type KubernetesAttemptOptions,
  runKubernetesAttempt,
} from "./run_kubernetes.ts";
export { OUTPUT_LINE_PREFIX } from "./kube_output.ts";
export type { ChildRun, ChildRunEnd, ChildRunRequest, ChildRuns } from "./child_runs.ts";
