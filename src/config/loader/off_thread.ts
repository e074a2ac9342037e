/**
 * Loading a folder in a worker, for the scheduler's reloads: the files are read and checked,
 * the checks across files run and the jobs are built in a parse worker (which shares a big
 * folder with workers of its own), so that the scheduler's thread stays free to fire jobs
 * and answer the API. Only what cannot cross between threads is done here: parsing each
 * job's schedule (checked already) into its object.
 *
 * The answer comes in slices, one message each, and the next is asked for only after a
 * turn of this thread's event loop, so timers run between them: decoding a 20,000-task
 * file in one message stalled this thread 40–80 ms (checking it here: 24 s before the checks
 * were made linear, 1.5 s after). Now the longest stall of that reload is about 20 ms, most
 * of it starting the worker (bench/validate_big.ts).
 *
 * Needs `--allow-read` for the jobs folder; `deno compile` must `--include` the worker.
 *
 * @module
 */

import { JobsDirError } from "../errors.ts";
import { analyzeFiles, listJobFiles, parseWorkerUrl } from "./files.ts";
import type { HostTable } from "./host_rules.ts";
import { loadJobsDir, settle } from "./load.ts";
import { type LoadMessage, SettledAssembler, toMessages } from "./messages.ts";
import { type LoadResult, type SettledFile, withSchedules } from "./settled.ts";

export { type LoadMessage, TASKS_PER_MESSAGE } from "./messages.ts";

/** Loads `dir` (no schedules parsed) as the messages of the answer, in order. */
export async function loadMessages(dir: string, hosts: HostTable = {}): Promise<LoadMessage[]> {
  let settled: SettledFile[];
  try {
    settled = settle(await analyzeFiles(await listJobFiles(dir)), hosts);
  } catch (err) {
    if (!(err instanceof JobsDirError)) throw err;
    return [{ kind: "dirError", message: err.message }];
  }
  return toMessages(settled);
}

/**
 * {@link loadJobsDir} in a parse worker, so that this thread's event loop stays free.
 * Throws JobsDirError as loadJobsDir does; where a worker cannot start or fails, loads here.
 */
export async function loadJobsDirOffThread(
  dir: string,
  hosts: HostTable = {},
): Promise<LoadResult> {
  let worker: Worker | null = null;
  let settled: SettledFile[];
  try {
    worker = new Worker(parseWorkerUrl().href, { type: "module" });
    settled = await receive(worker, dir, hosts);
  } catch (err) {
    if (err instanceof JobsDirError) throw err;
    return await loadJobsDir(dir, hosts);
  } finally {
    worker?.terminate();
  }
  return withSchedules(settled);
}

/** Asks `worker` to load `dir` and puts the slices of its answer back together. */
function receive(worker: Worker, dir: string, hosts: HostTable): Promise<SettledFile[]> {
  const assembler = new SettledAssembler();
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<LoadMessage>) => {
      let files: SettledFile[] | null;
      try {
        files = assembler.add(e.data);
      } catch (err) {
        reject(err);
        return;
      }
      if (files !== null) {
        resolve(files);
        return;
      }
      // The next slice after a turn of the event loop: due timers run first.
      setTimeout(() => worker.postMessage({ next: true }), 0);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
    worker.postMessage({ dir, hosts });
  });
}
