/**
 * Run routes: list, detail, tasks, task logs, cancel and retry. The logs of a running attempt
 * are its output so far, read from its capture in this process; `follow=true` streams them
 * (`log_stream.ts`).
 *
 * @module
 */

import { Hono } from "hono";
import {
  type AttemptLogView,
  attemptLogView,
  type CancelView,
  type RetryView,
  runDetailView,
  runListView,
  taskListView,
  type TaskLogsView,
} from "../../core/views.ts";
import { listRunPage } from "../../storage/run_page.ts";
import type { RunRecord } from "../../storage/types.ts";
import { honoPath } from "../contract.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { ROUTES } from "../route_table.ts";
import { params, query } from "../validation.ts";
import { followTaskLogs } from "./log_stream.ts";
import { runQuery } from "./shared.ts";

/** `==> task (attempt n) stdout <==` sections, as `pt logs` prints them. */
function logsText(log: AttemptLogView, running: boolean): string {
  const label = `${log.task_id} (attempt ${log.attempt}${running ? ", running" : ""})`;
  let out = "";
  for (const stream of ["stdout", "stderr"] as const) {
    const text = log[stream];
    const truncated = log[`${stream}_truncated`];
    out += `==> ${label} ${stream}${truncated ? " [truncated]" : ""} <==\n`;
    if (text) out += text.endsWith("\n") ? text : `${text}\n`;
    if (truncated) {
      const dropped = log[`${stream}_bytes`] - new TextEncoder().encode(text).length;
      out += `[... ${dropped} more bytes dropped]\n`;
    }
  }
  return out;
}

/** The run routes. */
export function runRoutes(deps: ApiDeps): Hono {
  const s = deps.scheduler;
  const storage = s.storage;
  const app = new Hono();

  const requireRun = (id: string): RunRecord => {
    const run = storage.getRun(id);
    if (!run) throw new ApiError("NOT_FOUND", `unknown run id "${id}"`);
    return run;
  };

  const R = ROUTES;
  app.get(honoPath(R.listRuns), query(R.listRuns.query), (c) => {
    const q = c.req.valid("query");
    return c.json(runListView(listRunPage(storage, runQuery(q, q.job_id))));
  });

  app.get(honoPath(R.getRun), params(R.getRun.params), (c) => {
    const run = requireRun(c.req.valid("param").id);
    return c.json(runDetailView(run, storage.listTaskRuns(run.id)));
  });

  app.get(honoPath(R.listRunTasks), params(R.listRunTasks.params), (c) => {
    const run = requireRun(c.req.valid("param").id);
    return c.json(taskListView(storage.listTaskRuns(run.id)));
  });

  app.get(honoPath(R.taskLogs), params(R.taskLogs.params), query(R.taskLogs.query), (c) => {
    const { id, task: taskId } = c.req.valid("param");
    const run = requireRun(id);
    const q = c.req.valid("query");
    const tasks = storage.listTaskRuns(run.id);
    const task = tasks.find((t) => t.task_id === taskId);
    if (!task) {
      const known = tasks.map((t) => t.task_id).join(", ") || "none";
      throw new ApiError("NOT_FOUND", `run ${run.id} has no task "${taskId}" (tasks: ${known})`);
    }
    if (q.follow === "true") return followTaskLogs(c, deps, run, task, q.attempt ?? 1);
    // The running attempt is served from its capture; it is in the store (without output)
    // from its start, and may be there only a moment later than here.
    const live = s.liveLogs(run.id, taskId);
    const attempts = storage.listAttempts(run.id, taskId);
    const count = Math.max(attempts.length, live?.attempt ?? 0);
    const wanted = q.attempt ?? count;
    const stored = attempts.find((a) => a.attempt === wanted);
    const isLive = live?.attempt === wanted;
    const view = isLive ? live!.logs() : stored && attemptLogView(stored);
    if (!view) {
      throw new ApiError(
        "NOT_FOUND",
        count === 0
          ? `task "${taskId}" of run ${run.id} has not started`
          : `task "${taskId}" of run ${run.id} has no attempt ${q.attempt} (it has ${count})`,
      );
    }
    // Not ended and not final: running here, or in another process (`pt trigger`).
    const running = isLive || (view.ended_at === null && task.status === "running");
    const wantsJson = q.format === "json" ||
      (q.format === undefined && (c.req.header("accept") ?? "").includes("application/json"));
    if (wantsJson) return c.json<TaskLogsView>({ ...view, attempts: count, running });
    return c.text(logsText(view, running));
  });

  app.post(honoPath(R.cancelRun), params(R.cancelRun.params), (c) => {
    const run = requireRun(c.req.valid("param").id);
    if (!s.cancel(run.id)) {
      throw new ApiError(
        "CONFLICT",
        run.status === "running"
          ? `run ${run.id} is not running in this process`
          : `run ${run.id} already finished (${run.status})`,
      );
    }
    return c.json<CancelView>({ run_id: run.id, cancelled: true });
  });

  app.post(honoPath(R.retryRun), params(R.retryRun.params), (c) => {
    if (s.stopping) throw new ApiError("CONFLICT", "the scheduler is shutting down");
    const old = c.req.valid("param").id;
    const run = s.retry(old);
    return c.json<RetryView>({
      run_id: run.runId,
      job_id: run.jobId,
      retry_of: old,
      message: `run ${run.runId} of job ${run.jobId} started, retrying ${old}`,
    });
  });
  return app;
}
