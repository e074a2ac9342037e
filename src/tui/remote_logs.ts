/**
 * Following a task's output through the API. The follow stream (`GET …/logs?follow=true`:
 * `line` events, an `end` event per attempt, closed after the task's last attempt) gives
 * lines as the task prints them, from its first attempt on. When it cannot serve — a server
 * without it answers 400 (an unknown parameter) or something that is not an event stream, a
 * run in another process is a 409, a connection drops — the stored output is read every
 * {@link POLL_MS} ms while the task runs (the output so far, or, from an older server, each
 * attempt's once it ends), and the stream is tried again when it may serve.
 *
 * Needs `--allow-net`.
 *
 * @module
 */

import { type ApiClient, ApiRequestError } from "../api/client.ts";
import type { LogLine } from "./model.ts";
import {
  type LogFeed,
  type LogUpdate,
  pause,
  POLL_MS,
  QUIET_MS,
  reason,
  storedLines,
} from "./source.ts";
import { readSse } from "./sse.ts";
import { printable } from "./text.ts";

/** Whether the server offers the follow stream: unknown until it answered once. */
export interface FollowSupport {
  /** True once a stream was served, false once refused; null before. */
  offered: boolean | null;
}

/** Said while polling a server that has no follow stream. */
const NO_STREAM = "no live stream from this server: the output shows when an attempt ends";

/** Task statuses after which nothing more is written. */
const FINISHED = new Set(["completed", "failed", "skipped", "cancelled"]);

/** Follows `taskId` of `runId` through `client`, telling `update` as lines come. */
export function followRemoteLogs(
  client: ApiClient,
  support: FollowSupport,
  runId: string,
  taskId: string,
  update: (u: LogUpdate) => void,
): LogFeed {
  const abort = new AbortController();
  const signal = abort.signal;
  const tell = (u: LogUpdate) => {
    if (!signal.aborted) update(u);
  };

  /** Whether the task is over (or gone). */
  const final = async (): Promise<boolean> => {
    const run = await client.run(runId);
    const task = run.tasks.find((t) => t.task_id === taskId);
    return !task || FINISHED.has(task.status);
  };

  /** Reads the follow stream until the server closes it. */
  const stream = async (res: Response): Promise<void> => {
    let attempt: number | null = null;
    tell({ lines: [], mode: "live", note: null });
    await readSse(res.body!, (m) => {
      if (m.event === "end") {
        const end = parseEnd(m.data);
        if (end) tell({ append: [{ stream: "note", text: end }], mode: "live" });
        return;
      }
      if (m.event !== "line") return;
      const line = parseLine(m.data);
      if (!line) return;
      const add: LogLine[] = [];
      if (attempt !== null && line.attempt !== attempt) {
        add.push({ stream: "note", text: `── attempt ${line.attempt} ──` });
      }
      attempt = line.attempt;
      add.push({ stream: line.stream, text: printable(line.line) });
      tell({ append: add, mode: "live", attempt });
    }, QUIET_MS);
  };

  /**
   * Follows through the stream: `done` when the task is over, `poll` when the stored output
   * must do (no stream, the run is in another process, the connection dropped).
   */
  let streamable = true;
  const tryStream = async (): Promise<"done" | "poll"> => {
    try {
      const res = await client.followTaskLogs(runId, taskId, signal);
      if (!(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
        support.offered = false;
        await res.body?.cancel();
        return "poll";
      }
      support.offered = true;
      await stream(res);
    } catch (err) {
      if (signal.aborted) return "done";
      if (err instanceof ApiRequestError) {
        // 400: no `follow` parameter on this server; 409: the run is in another process.
        if (err.status === 400) support.offered = false;
        if (err.status === 409) streamable = false;
        return "poll";
      }
      // The connection dropped: the stored output until the stream is back.
      return "poll";
    }
    // The server closes the stream after the task's last attempt, or when it stops.
    if (await final()) {
      tell({ mode: "finished", note: null });
      return "done";
    }
    return "poll";
  };

  /** One read of the stored output: whether the task finished, or started at all. */
  const poll = async (): Promise<"finished" | "running" | "waiting"> => {
    let logs;
    try {
      logs = await client.taskLogs(runId, taskId);
    } catch (err) {
      if (!(err instanceof ApiRequestError && err.status === 404)) throw err;
      tell({ lines: [], mode: "waiting", note: "waiting for the task to start" });
      return "waiting";
    }
    const lines = storedLines(logs);
    // The attempt ended; the task may still retry.
    if (logs.ended_at !== null && await final()) {
      tell({ lines, mode: "finished", attempt: logs.attempt, note: null });
      return "finished";
    }
    const note = support.offered === false ? NO_STREAM : null;
    tell({ lines, mode: "polling", attempt: logs.attempt, note });
    return "running";
  };

  const follow = async () => {
    let useStream = support.offered !== false;
    while (!signal.aborted) {
      if (useStream && (await tryStream()) === "done") return;
      try {
        if ((await poll()) === "finished") return;
      } catch (err) {
        if (signal.aborted) return;
        tell({ mode: "polling", note: `cannot read the logs: ${reason(err)}; retrying` });
      }
      useStream = streamable && support.offered !== false;
      await pause(POLL_MS, signal);
    }
  };

  follow().catch((err) => {
    if (signal.aborted) return;
    tell({ mode: "finished", note: `cannot follow the logs: ${reason(err)} (l to try again)` });
  });
  return { close: () => abort.abort() };
}

/** A `line` event's data, or null when it is not `{stream, line, attempt}`. */
function parseLine(
  data: string,
): { stream: "stdout" | "stderr"; line: string; attempt: number } | null {
  try {
    const v = JSON.parse(data);
    if (typeof v?.line !== "string") return null;
    return {
      stream: v.stream === "stderr" ? "stderr" : "stdout",
      line: v.line,
      attempt: typeof v.attempt === "number" ? v.attempt : 1,
    };
  } catch {
    return null;
  }
}

/** An `end` event (`{attempt, status, exit_code, error, dropped_bytes}`) as a note line. */
function parseEnd(data: string): string | null {
  try {
    const v = JSON.parse(data);
    if (typeof v?.attempt !== "number") return null;
    const exit = typeof v.exit_code === "number" ? ` (exit ${v.exit_code})` : "";
    const error = typeof v.error === "string" && v.exit_code === null ? `: ${v.error}` : "";
    const dropped = typeof v.dropped_bytes === "number" && v.dropped_bytes > 0
      ? `, ${v.dropped_bytes} bytes not kept`
      : "";
    return printable(`── attempt ${v.attempt} ${v.status ?? "ended"}${exit}${error}${dropped} ──`);
  } catch {
    return null;
  }
}
