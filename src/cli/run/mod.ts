/**
 * `pt run` in two processes: a short-lived loader that checks the options, reads the config
 * file and loads the jobs, and the long-lived scheduler that gets them as plain data, so its
 * heap holds none of the parsers (issue 11).
 *
 * - `plan.ts`: the settings the loader resolves, as plain data
 * - `loader_process.ts`: starting `pt` again as the loader, and reading its answer
 * - `child.ts`: the loader's side (`pt __run-prepare`, `pt __run-load`)
 * - `serve.ts`: the scheduler, the API and reloads, until a signal
 * - `lean.ts`: `pt run` from `main.ts`: the loader, then the scheduler
 *
 * @module
 */

export type { ApiPlan, RunPlan } from "./plan.ts";
export {
  ChildLoader,
  LOAD_COMMAND,
  type LoadRequest,
  PREPARE_COMMAND,
  prepareInChild,
} from "./loader_process.ts";
export { REPEAT_SIGNAL_WINDOW_MS, serveRun, type StartJobs } from "./serve.ts";
export { runLean } from "./lean.ts";
