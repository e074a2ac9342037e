/**
 * `GET /api/runs/{id}/tasks/{task}/logs?follow=true`: a task's output as server-sent events,
 * `event: line` per line and `event: end` per attempt, from its first attempt to the end of
 * its last; then the stream closes.
 *
 * Finished attempts are replayed from the store. The running one is read from its capture
 * in this process (`exec/live`) by a reader whose two cursors are all this stream keeps: a
 * client that reads slowly holds the capture (at most 1 MiB a stream), never a queue of
 * lines; bytes past the capture are counted in the `end` event (`dropped_bytes`), not
 * streamed. The bus says when the next attempt starts and when the task is final.
 *
 * @module
 */

import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import {
  type LogEndEvent,
  type LogLineEvent,
  storedAttemptEnd,
  type TaskRunView,
} from "../../core/views.ts";
import type { PetitEvent } from "../../events/types.ts";
import { type AttemptReader, type LiveAttempt, newCursor, takeLines } from "../../exec/live/mod.ts";
import type { AttemptRecord, RunRecord } from "../../storage/types.ts";
import { type ApiDeps, DEFAULT_HEARTBEAT_MS } from "../deps.ts";
import { ApiError } from "../errors.ts";

/**
 * Lines sent in one write: a replay of 1 MiB of short lines takes thousands of writes rather
 * than hundreds of thousands.
 *
 * @default {256}
 */
const BATCH_LINES = 256;

/**
 * How long a stream that is ending waits for its last write before cutting a client that
 * stopped reading.
 *
 * @default {1000}
 */
const LAST_WRITE_MS = 1000;

/** Task statuses after which no attempt starts. */
const FINAL = new Set<TaskRunView["status"]>(["completed", "failed", "skipped", "cancelled"]);

const lineEvents = (lines: readonly LogLineEvent[]): string =>
  lines.map((l) => `event: line\ndata: ${JSON.stringify(l)}\n\n`).join("");
const endEvent = (end: LogEndEvent): string => `event: end\ndata: ${JSON.stringify(end)}\n\n`;

/** The lines of a stored attempt, stdout's then stderr's, in batches. */
function* storedLines(a: AttemptRecord): Generator<LogLineEvent[]> {
  for (const stream of ["stdout", "stderr"] as const) {
    const bytes = new TextEncoder().encode(a[stream]);
    const cursor = newCursor();
    for (;;) {
      const lines = takeLines(bytes, cursor, true, BATCH_LINES);
      if (lines.length === 0) break;
      yield lines.map((line) => ({ stream, line, attempt: a.attempt }));
    }
  }
}

/**
 * The event stream of `task`'s output from attempt `from` on. Throws a 409 `ApiError` when
 * the run runs in another process, whose output this one cannot read.
 */
export function followTaskLogs(
  c: Context,
  deps: ApiDeps,
  run: RunRecord,
  task: TaskRunView,
  from: number,
): Response {
  const s = deps.scheduler;
  const here = s.activeRunIds().includes(run.id);
  if (run.status === "running" && !here) {
    throw new ApiError(
      "CONFLICT",
      `run ${run.id} runs in another process (pt trigger), whose output is stored as each ` +
        "attempt ends: read the logs without follow",
    );
  }
  // One synchronous picture: the stored attempts, the running one and the bus subscription
  // are taken together, so no line and no attempt falls between them.
  let final = !here || FINAL.has(task.status);
  const running = final ? null : s.liveLogs(run.id, task.task_id);
  const stored = s.storage.listAttempts(run.id, task.task_id)
    .filter((a) => a.attempt >= from && (running === null || a.attempt < running.attempt));
  const readers: AttemptReader[] = [];
  const unlisten = new Map<LiveAttempt, () => void>();
  let wake = () => {};
  const follow = (live: LiveAttempt) => {
    if (live.attempt < from || unlisten.has(live)) return;
    readers.push(live.reader());
    unlisten.set(live, live.listen(() => wake()));
  };
  if (running) follow(running);
  const onEvent = (e: PetitEvent) => {
    if (!("run_id" in e) || e.run_id !== run.id) return;
    if (e.type === "job_completed") final = true;
    else if (!("task_id" in e) || e.task_id !== task.task_id) return;
    else if (e.type === "task_started") {
      const live = s.liveLogs(run.id, task.task_id);
      if (live) follow(live);
    } else if (e.type !== "task_retrying") final = true;
    wake();
  };
  const unsubscribe = final ? () => {} : s.bus.subscribe(onEvent);

  return streamSSE(c, async (stream) => {
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let replayed = false;

    // Writes what is ready: the stored attempts once, then the running attempts' lines, each
    // attempt's `end` once all its lines are out. Returns when it must wait for more.
    const drain = async (): Promise<void> => {
      if (!replayed) {
        replayed = true;
        for (const a of stored.splice(0)) {
          for (const lines of storedLines(a)) {
            if (stream.aborted) return;
            await stream.write(lineEvents(lines));
          }
          await stream.write(endEvent(storedAttemptEnd(a, task)));
        }
      }
      while (readers.length > 0 && !stream.aborted) {
        const reader = readers[0];
        const lines = reader.read(BATCH_LINES);
        if (lines.length > 0) {
          await stream.write(lineEvents(lines));
          continue;
        }
        if (!reader.done) return;
        await stream.write(endEvent(reader.attempt.end!));
        readers.shift();
        unlisten.get(reader.attempt)?.();
        unlisten.delete(reader.attempt);
      }
      // The ending events reach the live logs first (the scheduler subscribed them earlier),
      // so when the task is final, its last attempt has ended and was drained above.
      if (final) finish();
    };

    // One drain at a time; a wake during one runs it again when it returns.
    let draining: Promise<void> | null = null;
    let again = false;
    wake = () => {
      if (draining) {
        again = true;
        return;
      }
      draining = (async () => {
        try {
          do {
            again = false;
            await drain();
          } while (again && !stream.aborted);
        } catch (err) {
          console.error(`petit: log stream stopped: ${String(err)}`);
          finish();
        } finally {
          draining = null;
        }
      })();
    };

    const heartbeat = setInterval(
      () => void stream.write(": heartbeat\n\n"),
      deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    );
    // A client that goes away cancels the response body, which aborts the stream.
    stream.onAbort(finish);
    deps.closing?.addEventListener("abort", finish);
    if (deps.closing?.aborted) finish();
    try {
      await stream.write(": connected\n\n");
      wake();
      await finished;
    } finally {
      unsubscribe();
      for (const off of unlisten.values()) off();
      unlisten.clear();
      clearInterval(heartbeat);
      deps.closing?.removeEventListener("abort", finish);
      await lastWrite(stream, draining);
    }
  });
}

/** Waits for a drain still writing; a client that stopped reading is cut off instead. */
async function lastWrite(stream: SSEStreamingApi, draining: Promise<void> | null): Promise<void> {
  if (draining === null) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    draining.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), LAST_WRITE_MS))),
  ]);
  clearTimeout(timer);
  if (!settled) stream.abort();
}
