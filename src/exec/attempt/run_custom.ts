/**
 * The {@linkcode RunAttempt} of TypeScript tasks (library users' `execute` functions), with
 * the same timeout and cancellation rules as processes: the task's signal aborts and the
 * attempt ends without waiting for the code to notice. No permissions of its own.
 *
 * @module
 */

import { longTimeout } from "../../core/delay.ts";
import type { TaskInput, TaskSpec } from "../../core/model.ts";
import { Capture, DEFAULT_MAX_LOG_BYTES } from "../process/mod.ts";
import type { AttemptContext, AttemptResult, RunAttempt } from "./contract.ts";

const encoder = new TextEncoder();

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
  // Only read by live logs (the stored stdout is `lines`): what was logged so far, capped
  // like a process's output.
  const max = ctx.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
  const live = ctx.onCapture
    ? { stdout: new Capture(max, null), stderr: new Capture(max, null) }
    : null;
  if (live) ctx.onCapture!(live);
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
      log: (text) => {
        // Masked before it is kept anywhere: the live logs read it as it is logged.
        const line = ctx.mask ? ctx.mask.text(text) : text;
        lines.push(line);
        live?.stdout.push(encoder.encode(`${line}\n`));
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
  if (error !== null && ctx.mask) error = ctx.mask.text(error);
  const stderr = error && !timedOut && error !== "cancelled" ? `${error}\n` : "";
  if (stderr) live?.stderr.push(encoder.encode(stderr));
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
      stderr,
      stdout_truncated: false,
      stderr_truncated: false,
      stdout_bytes: stdout.length,
      stderr_bytes: 0,
      outputs,
    },
  };
};
