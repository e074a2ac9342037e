/**
 * The {@linkcode RunAttempt} of TypeScript tasks (library users' `execute` functions), with
 * the same timeout and cancellation rules as processes: the task's signal aborts and the
 * attempt ends without waiting for the code to notice. No permissions of its own.
 *
 * @module
 */

import { longTimeout } from "../../core/delay.ts";
import type { TaskInput, TaskSpec } from "../../core/model.ts";
import type { AttemptContext, AttemptResult, RunAttempt } from "./contract.ts";

/** Runs one attempt of a TypeScript task with the same timeout and cancellation rules. */
export const runCustomAttempt: RunAttempt = async (
  task: TaskSpec,
  ctx: AttemptContext,
): Promise<AttemptResult> => {
  const startedAt = Date.now();
  ctx.started({ pgid: null, procStart: null });
  const controller = new AbortController();
  const onAbort = () => controller.abort(new Error("cancelled"));
  ctx.signal?.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  const timer = ctx.timeoutMs !== null
    ? longTimeout(() => {
      timedOut = true;
      controller.abort(new Error("timeout"));
    }, ctx.timeoutMs)
    : null;
  const outputs: Record<string, string> = {};
  const lines: string[] = [];
  let error: string | null = null;
  try {
    const work = Promise.resolve(task.custom!.execute({
      jobId: ctx.job.id,
      runId: ctx.runId,
      taskId: task.id,
      attempt: ctx.attempt,
      config: ctx.job.config,
      inputs: ctx.templates.tasks as ReadonlyMap<string, TaskInput>,
      outputs: {
        set: (k, v) => void (outputs[k] = String(v)),
        get: (k) => outputs[k],
      },
      signal: controller.signal,
      log: (line) => {
        lines.push(line);
        ctx.onLine?.("stdout", line);
      },
    }));
    const aborted = new Promise<never>((_, reject) => {
      if (controller.signal.aborted) reject(controller.signal.reason);
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), {
        once: true,
      });
    });
    await Promise.race([work, aborted]);
  } catch (err) {
    error = timedOut
      ? `timed out after ${ctx.timeoutMs} ms`
      : controller.signal.aborted
      ? "cancelled"
      : err instanceof Error
      ? err.message
      : String(err);
  } finally {
    timer?.clear();
    ctx.signal?.removeEventListener("abort", onAbort);
  }
  const stdout = lines.length ? lines.join("\n") + "\n" : "";
  return {
    ok: error === null,
    cancelled: error === "cancelled",
    transient: timedOut,
    exitCode: null,
    error: error ?? "",
    logs: {
      started_at: startedAt,
      ended_at: Date.now(),
      stdout,
      stderr: error && !timedOut && error !== "cancelled" ? `${error}\n` : "",
      stdout_truncated: false,
      stderr_truncated: false,
      stdout_bytes: stdout.length,
      stderr_bytes: 0,
      outputs,
    },
  };
};
