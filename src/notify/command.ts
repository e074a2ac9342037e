/**
 * The `command` channel: a local program (no shell), run like a task's process (its own
 * process group, killed with it on timeout) with the run in its environment:
 * `PETIT_JOB_ID`, `PETIT_RUN_ID`, `PETIT_RUN_STATUS`, `PETIT_RUN_TRIGGER`, `PETIT_RUN_ERROR`,
 * `PETIT_NOTIFY_TITLE` and `PETIT_NOTIFY_MESSAGE` (the text ntfy gets). Mail goes out this
 * way through `msmtp` or `sendmail` in a small `sh -c` script. Needs --allow-run. Linux only
 * (process groups).
 *
 * @module
 */

import { runProcess } from "../exec/process/mod.ts";
import { formatDuration } from "../schedule/duration.ts";
import type { AttemptLimits } from "./http_post.ts";
import { type NotificationPayload, notificationText } from "./payload.ts";

/**
 * SIGTERM → SIGKILL delay when a notification command times out.
 *
 * @default {1000}
 */
export const COMMAND_KILL_GRACE_MS = 1000;

/**
 * Bytes of a notification command's output kept (its stderr tail goes into the error).
 *
 * @default {16384}
 */
const COMMAND_OUTPUT_BYTES = 16 * 1024;

/**
 * Characters of stderr an error message quotes (the end, where the reason usually is).
 *
 * @default {300}
 */
const QUOTED_STDERR_CHARS = 300;

/** Where and with what a notification command runs. */
export interface CommandContext extends AttemptLimits {
  /** Working directory (absolute): the job file's folder; the current one when absent. */
  readonly cwd?: string;
  /** The environment it starts from (Petit's own); the run's variables are added. */
  readonly env: Readonly<Record<string, string>>;
}

/** The run's variables of a notification command. */
export function commandEnv(payload: NotificationPayload): Record<string, string> {
  const text = notificationText(payload);
  // No process can be given a NUL in its environment; a run's error text could hold one.
  const clean = (value: string | null) => (value ?? "").replaceAll("\0", "");
  return {
    PETIT_JOB_ID: payload.job_id,
    PETIT_RUN_ID: clean(payload.run_id),
    PETIT_RUN_STATUS: payload.status,
    PETIT_RUN_TRIGGER: clean(payload.trigger),
    PETIT_RUN_ERROR: clean(payload.error ?? payload.reason),
    PETIT_NOTIFY_TITLE: clean(text.title),
    PETIT_NOTIFY_MESSAGE: clean(text.message),
  };
}

/** Runs `argv`; resolves when it exits 0, rejects with why otherwise. */
export async function runNotifyCommand(
  argv: readonly string[],
  payload: NotificationPayload,
  context: CommandContext,
): Promise<void> {
  const result = await runProcess({
    program: argv[0],
    args: argv.slice(1),
    cwd: context.cwd,
    env: { ...context.env, ...commandEnv(payload) },
    timeoutMs: context.timeoutMs,
    killGraceMs: COMMAND_KILL_GRACE_MS,
    maxLogBytes: COMMAND_OUTPUT_BYTES,
    signal: context.signal,
  });
  if (result.cancelled) throw context.signal.reason;
  if (result.startError !== null) throw new Error(result.startError);
  if (result.timedOut) throw new Error(`timed out after ${formatDuration(context.timeoutMs)}`);
  if (result.exitCode === 0) return;
  const how = result.exitCode !== null
    ? `exit code ${result.exitCode}`
    : `killed by ${result.signal}`;
  const stderr = result.stderr.trim().slice(-QUOTED_STDERR_CHARS);
  throw new Error(stderr ? `${how}: ${stderr}` : how);
}
