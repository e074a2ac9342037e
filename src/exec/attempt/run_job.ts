/**
 * The {@linkcode RunAttempt} of sub-job tasks (`type: job`): renders the params, asks the
 * attempt context's {@linkcode ChildRuns} (the scheduler) to start a run of the other job,
 * and waits for it. The attempt completes when the child completes and fails when it fails or
 * is refused (a limit, params it does not take); cancelling the attempt (its run was
 * cancelled, or its timeout fired) cancels the child. The child's run id is the task's
 * output `run_id`, and its log says which run it was and how it ended. No I/O of its own.
 *
 * @module
 */

import { longTimeout } from "../../core/delay.ts";
import type { TaskSpec } from "../../core/model.ts";
import { renderTemplate } from "../../core/template.ts";
import { Capture, DEFAULT_MAX_LOG_BYTES } from "../process/mod.ts";
import type { ChildRun } from "./child_runs.ts";
import type { AttemptContext, AttemptResult, RunAttempt } from "./contract.ts";

const encoder = new TextEncoder();

/** Runs one attempt of a sub-job task: one child run, awaited. */
export const runJobAttempt: RunAttempt = async (
  task: TaskSpec,
  ctx: AttemptContext,
): Promise<AttemptResult> => {
  const startedAt = Date.now();
  const lines: string[] = [];
  const max = ctx.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
  const live = ctx.onCapture
    ? { stdout: new Capture(max, null), stderr: new Capture(max, null) }
    : null;
  const say = (line: string) => {
    lines.push(line);
    live?.stdout.push(encoder.encode(`${line}\n`));
    ctx.onLine?.("stdout", line);
  };
  const result = (
    end: { ok: boolean; cancelled?: boolean; transient?: boolean; error?: string },
    outputs: Record<string, string> = {},
  ): AttemptResult => {
    const stdout = lines.length ? lines.join("\n") + "\n" : "";
    return {
      ok: end.ok,
      cancelled: end.cancelled ?? false,
      transient: end.transient ?? false,
      exitCode: null,
      error: end.error ?? "",
      logs: {
        started_at: startedAt,
        ended_at: Date.now(),
        stdout,
        stderr: "",
        stdout_truncated: false,
        stderr_truncated: false,
        stdout_bytes: encoder.encode(stdout).length,
        stderr_bytes: 0,
        outputs,
      },
    };
  };

  const spec = task.job;
  const starter = ctx.childRuns;
  let child: ChildRun | null = null;
  let refusal: string | null = null;
  if (!spec) refusal = `task "${task.id}" has no job to run`;
  else if (!starter) refusal = "sub-job tasks need a scheduler to start the child run";
  else if (!ctx.signal?.aborted) {
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(spec.params)) {
      params[name] = renderTemplate(value, ctx.templates);
    }
    try {
      child = starter.start({ jobId: spec.jobId, params, parentRunId: ctx.runId });
    } catch (err) {
      refusal = `job "${spec.jobId}" was not started: ${err instanceof Error ? err.message : err}`;
    }
  }
  if (live) ctx.onCapture!(live);
  ctx.started({ pgid: null, procStart: null });
  if (child === null) {
    // A refusal (a limit reached) may pass; `transient_only` retries it like a start failure.
    return refusal === null
      ? result({ ok: false, cancelled: true, error: "cancelled" })
      : result({ ok: false, transient: true, error: refusal });
  }

  const run = child;
  say(`run ${run.runId} of job ${spec!.jobId} started`);
  let timedOut = false;
  let cancelled = false;
  const onAbort = () => {
    cancelled = true;
    run.cancel();
  };
  ctx.signal?.addEventListener("abort", onAbort, { once: true });
  const timer = ctx.timeoutMs !== null
    ? longTimeout(() => {
      timedOut = true;
      run.cancel();
    }, ctx.timeoutMs)
    : null;
  let end;
  try {
    end = await run.done;
  } finally {
    timer?.clear();
    ctx.signal?.removeEventListener("abort", onAbort);
  }
  say(`run ${run.runId} ${end.status}${end.error ? `: ${end.error}` : ""}`);
  const outputs = { run_id: run.runId };
  if (end.status === "completed") return result({ ok: true }, outputs);
  if (timedOut) {
    return result({
      ok: false,
      transient: true,
      error: `timed out after ${ctx.timeoutMs} ms (child run ${run.runId} cancelled)`,
    }, outputs);
  }
  if (cancelled) return result({ ok: false, cancelled: true, error: "cancelled" }, outputs);
  return result({
    ok: false,
    error: `child run ${run.runId} of job "${spec!.jobId}" ${end.status}` +
      (end.error ? `: ${end.error}` : ""),
  }, outputs);
};
