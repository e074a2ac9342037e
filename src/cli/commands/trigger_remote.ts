/**
 * `pt trigger --remote URL`: starts the run in a running scheduler through its API (and with
 * `--wait`, follows it to its end). Imported only for `--remote`, so that a local trigger
 * does not load the API client.
 *
 * @module
 */

import { ApiClient } from "../../api/client.ts";
import { formatDuration } from "../../schedule/duration.ts";
import { EXIT_FAILURE, EXIT_OK, ExitCode } from "../output.ts";
import { failRemote } from "./status.ts";

/** The flags of `pt trigger`. */
export interface TriggerFlags {
  db?: string;
  config?: string;
  maxTasks: string;
  force?: boolean;
  quiet?: boolean;
  remote?: string;
  caCert?: string;
  wait?: boolean;
  param: string[];
}

/**
 * How often `--wait` asks for the run's status, in ms.
 *
 * @default {500}
 */
const POLL_MS = 500;

/** `pt trigger --remote`: starts the run in a running scheduler through its API. */
export async function remoteTrigger(
  url: string,
  jobId: string,
  flags: TriggerFlags,
  params: Record<string, string>,
): Promise<never> {
  let client: ApiClient | null = null;
  try {
    client = new ApiClient(url, { caCertFile: flags.caCert });
    const started = await client.trigger(jobId, flags.force ?? false, params);
    if (!flags.quiet || !flags.wait) console.log(started.message);
    if (!flags.wait) throw new ExitCode(EXIT_OK);
    for (;;) {
      const run = await client.run(started.run_id);
      if (run.status !== "running") {
        const took = run.duration_ms === null ? "" : ` in ${formatDuration(run.duration_ms)}`;
        console.log(`run ${run.id} ${run.status}${took}${run.error ? `: ${run.error}` : ""}`);
        throw new ExitCode(run.status === "completed" ? EXIT_OK : EXIT_FAILURE);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } catch (err) {
    client?.close(); // Every way out of the try block is a throw.
    if (err instanceof ExitCode) throw err;
    failRemote(err);
  }
}
