/**
 * `pt logs <run-id> <task-id> --follow --remote URL`: a task's output as it comes, through
 * the follow stream of the `pt run` API that runs it (the output of a running attempt lives
 * in that process until the attempt ends). Lines go as the task printed them, stdout to
 * stdout and stderr to stderr, without prefix; each attempt's end is one `==> … <==` line
 * on stderr. Exits when the task is final: 0 if it completed, 1 otherwise (failed,
 * cancelled, skipped) or if the stream broke first. Needs `--allow-net`.
 *
 * @module
 */

import { ApiClient } from "../../api/client.ts";
import { DEFAULT_HEARTBEAT_MS } from "../../api/deps.ts";
import type { LogEndEvent, LogLineEvent, TaskRunView } from "../../core/views.ts";
import { readSse } from "../../tui/sse.ts";
import { EXIT_FAILURE, EXIT_OK, ExitCode } from "../output.ts";
import { failRemote } from "./status.ts";

/**
 * A stream quiet for this long (three missed heartbeats) is taken for a dead connection.
 *
 * @default {45_000}
 */
const QUIET_MS = 3 * DEFAULT_HEARTBEAT_MS;

/** Task statuses after which no attempt starts. */
const FINAL = new Set<TaskRunView["status"]>(["completed", "failed", "skipped", "cancelled"]);

const encoder = new TextEncoder();

/** Writes all of `text` (a pipe may take it in parts). */
function writeAll(out: typeof Deno.stdout | typeof Deno.stderr, text: string): void {
  const bytes = encoder.encode(text);
  for (let at = 0; at < bytes.length;) at += out.writeSync(bytes.subarray(at));
}

/** `==> task (attempt n) failed: exit code 3 <==`, with the bytes dropped if any. */
export function endLine(taskId: string, end: LogEndEvent): string {
  const error = end.status !== "completed" && end.error ? `: ${end.error}` : "";
  const dropped = end.dropped_bytes > 0
    ? ` (${end.dropped_bytes} more bytes of output were dropped: 1 MiB per stream is kept)`
    : "";
  return `==> ${taskId} (attempt ${end.attempt}) ${end.status}${error}${dropped} <==`;
}

/** Follows the task through the API at `url` until it is final; exits with its outcome. */
export async function followRemote(
  url: string,
  runId: string,
  taskId: string,
  options: { attempt: number | null; caCert?: string },
): Promise<never> {
  let client: ApiClient | null = null;
  const abort = new AbortController();
  try {
    client = new ApiClient(url, { caCertFile: options.caCert });
    const query = new URLSearchParams({ follow: "true" });
    if (options.attempt !== null) query.set("attempt", String(options.attempt));
    const path = `/api/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(taskId)}` +
      `/logs?${query}`;
    const res = await client.stream(path, abort.signal);
    let last: LogEndEvent | null = null;
    try {
      await readSse(res.body!, (m) => {
        if (m.event === "line") {
          const l = JSON.parse(m.data) as LogLineEvent;
          writeAll(l.stream === "stdout" ? Deno.stdout : Deno.stderr, `${l.line}\n`);
        } else if (m.event === "end") {
          last = JSON.parse(m.data) as LogEndEvent;
          writeAll(Deno.stderr, `${endLine(taskId, last)}\n`);
        }
      }, QUIET_MS);
    } catch (err) {
      // The reader of our output went away (`pt logs … | head`): nothing left to do.
      if (err instanceof Deno.errors.BrokenPipe) throw new ExitCode(EXIT_OK);
      const reason = err instanceof Error ? err.message : String(err);
      console.error(`error: the log stream of task "${taskId}" broke: ${reason}`);
      throw new ExitCode(EXIT_FAILURE);
    }
    // The stream closes when the task is final, or when the server stops: ask which.
    const task = (await client.run(runId)).tasks.find((t) => t.task_id === taskId);
    if (!task || !FINAL.has(task.status)) {
      console.error(`error: the log stream of task "${taskId}" ended before the task did`);
      throw new ExitCode(EXIT_FAILURE);
    }
    const shown = last as LogEndEvent | null;
    if (shown?.status !== task.status) {
      const why = task.error && task.error !== task.status ? `: ${task.error}` : "";
      console.error(`==> ${taskId} ${task.status}${why} <==`);
    }
    throw new ExitCode(task.status === "completed" ? EXIT_OK : EXIT_FAILURE);
  } catch (err) {
    abort.abort();
    client?.close(); // Every way out of the try block is a throw.
    if (err instanceof ExitCode) throw err;
    failRemote(err);
  }
}
