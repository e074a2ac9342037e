/**
 * The {@linkcode RunAttempt} of command tasks (`command`, `shell` and `python`): renders the
 * command, runs it as its own process group and reads the outputs file. Needs --allow-run,
 * --allow-read, --allow-write (python scripts) and --allow-env (`pt`'s environment).
 *
 * @module
 */

import type { TaskSpec } from "../../core/model.ts";
import type { AttemptLogs } from "../../events/types.ts";
import { prepareCommand, readOutputs } from "../command.ts";
import { type ProcessResult, runProcess } from "../process/mod.ts";
import type { AttemptContext, AttemptResult, RunAttempt } from "./contract.ts";

/** Runs one attempt of a command task: prepare, spawn, capture, read `$PETIT_OUTPUT`. */
export const runCommandAttempt: RunAttempt = async (
  task: TaskSpec,
  ctx: AttemptContext,
): Promise<AttemptResult> => {
  const startedAt = Date.now();
  const prepared = await prepareCommand({
    job: ctx.job,
    task,
    runId: ctx.runId,
    attempt: ctx.attempt,
    baseEnv: ctx.baseEnv(),
    templates: ctx.templates,
    outputFile: ctx.outputFile,
    runDir: ctx.runDir,
    scheduledFor: ctx.scheduledFor,
    fileEnv: ctx.fileEnv,
  });
  const badDir = workingDirProblem(prepared.cwd);
  if (badDir !== null) {
    ctx.started({ pgid: null, procStart: null });
    return {
      ok: false,
      cancelled: false,
      // A setting to fix, not a hiccup: `transient_only` does not retry it.
      transient: false,
      exitCode: null,
      error: badDir,
      logs: noOutput(startedAt),
    };
  }
  let started = false;
  const onLine = ctx.onLine;
  const result = await runProcess({
    program: prepared.program,
    args: prepared.args,
    cwd: prepared.cwd,
    env: prepared.env,
    timeoutMs: ctx.timeoutMs,
    killGraceMs: ctx.killGraceMs,
    maxLogBytes: ctx.maxLogBytes,
    signal: ctx.signal,
    onStart: ({ pgid, procStart }) => {
      started = true;
      ctx.started({ pgid, procStart });
    },
    onLine,
    onCapture: ctx.onCapture,
    mask: ctx.mask,
  });
  if (!started) ctx.started({ pgid: null, procStart: null });
  const outputs = result.startError ? {} : await readOutputs(ctx.outputFile);
  const logs: AttemptLogs = {
    started_at: startedAt,
    ended_at: Date.now(),
    stdout: result.stdout,
    stderr: result.stderr,
    stdout_truncated: result.stdoutTruncated,
    stderr_truncated: result.stderrTruncated,
    stdout_bytes: result.stdoutBytes,
    stderr_bytes: result.stderrBytes,
    outputs,
  };
  const error = processError(result, ctx.timeoutMs);
  return {
    ok: error === null,
    cancelled: result.cancelled,
    transient: result.timedOut || result.startError !== null,
    exitCode: result.exitCode,
    error: error ?? "",
    logs,
  };
};

/**
 * Why `cwd` cannot be a task's working folder (missing, or not a folder), or null. Checked
 * before spawning, so the error names the folder rather than a "not found" that reads like a
 * missing program. One stat per attempt (tens of microseconds; a spawn takes ~3 ms), made
 * synchronously: an async stat is a trip through Deno's blocking-thread pool, whose threads
 * come and go under steady load and keep memory (bench/README.md, issue 11). A folder that
 * vanishes between this check and the spawn is still reported, as a start failure.
 */
function workingDirProblem(cwd: string | undefined): string | null {
  if (cwd === undefined) return null;
  try {
    const info = Deno.statSync(cwd);
    return info.isDirectory
      ? null
      : `working_dir ${cwd} is not a directory (fix the task's working_dir)`;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return `working_dir ${cwd} does not exist (create it, or fix the task's working_dir)`;
    }
    return null; // Unreadable, say: let the spawn report what it finds.
  }
}

/** The logs of an attempt that never started a process. */
function noOutput(startedAt: number): AttemptLogs {
  return {
    started_at: startedAt,
    ended_at: Date.now(),
    stdout: "",
    stderr: "",
    stdout_truncated: false,
    stderr_truncated: false,
    stdout_bytes: 0,
    stderr_bytes: 0,
    outputs: {},
  };
}

/** Why a process attempt failed, or null when it succeeded. */
function processError(result: ProcessResult, timeoutMs: number | null): string | null {
  if (result.startError !== null) return result.startError;
  if (result.cancelled) return "cancelled";
  if (result.timedOut) return `timed out after ${timeoutMs} ms`;
  if (result.exitCode === 0) return null;
  return result.exitCode === null
    ? `killed by ${result.signal ?? "a signal"}`
    : `exit code ${result.exitCode}`;
}
