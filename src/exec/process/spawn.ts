/**
 * Runs one attempt of a program as its own process group: spawn (through `setsid` where
 * available), capped output capture, the timeout / cancellation kill sequence and cleanup
 * of processes the program leaves behind. Needs --allow-run and --allow-read. Linux only.
 *
 * @module
 */

import { longTimeout } from "../../core/delay.ts";
import type { SecretMask } from "../secrets.ts";
import { byteReader, Capture, type KeptOutput, LineSplitter, pump } from "./capture.ts";
import { groupLeaderProgram, terminateGroup } from "./groups.ts";
import { startToken } from "./identity.ts";
import { describeStartError, resolveProgram, unresolvedError } from "./program.ts";

/**
 * Delay between SIGTERM and SIGKILL to the group on timeout or cancellation.
 *
 * @default {5000}
 */
export const DEFAULT_KILL_GRACE_MS = 5000;

/**
 * Bytes kept per stream per attempt (the first ones); the rest is counted and dropped.
 *
 * @default {1048576}
 */
export const DEFAULT_MAX_LOG_BYTES = 1024 * 1024;

/**
 * After the leader exits, how long background children may keep the pipes open before the
 * group is killed. A task like `sh -c "sleep 100 &"` would otherwise hang the reader (the
 * grandchild holds stdout) for as long as it lives. 150 ms lets a child that is just
 * finishing its last write get it out; processes that close their pipes on exit (the normal
 * case) never wait for it because the pipes' EOF wins the race.
 *
 * @default {150}
 */
const DRAIN_AFTER_EXIT_MS = 150;

/**
 * After the group is gone, how long to wait for EOF before dropping the pipes (setsid escapees).
 *
 * @default {200}
 */
const PIPE_CLOSE_WAIT_MS = 200;

/** What to run for one attempt. */
export interface ProcessSpec {
  /** Program name (looked up in `env.PATH`) or path; a relative path is taken from `cwd`. */
  program: string;
  /** Arguments, passed as-is (no shell). */
  args: string[];
  /** Absolute working directory; the current one when absent. */
  cwd?: string;
  /** The complete environment of the child (nothing is inherited). */
  env: Record<string, string>;
  /** Attempt timeout in milliseconds; null, undefined or a non-positive value means none. */
  timeoutMs?: number | null;
  /** Delay between SIGTERM and SIGKILL to the group; {@linkcode DEFAULT_KILL_GRACE_MS}. */
  killGraceMs?: number;
  /**
   * Bytes kept per stream (the first ones), {@linkcode DEFAULT_MAX_LOG_BYTES}; the rest is
   * counted and dropped.
   */
  maxLogBytes?: number;
  /** Cancellation: runs the same kill sequence as a timeout. */
  signal?: AbortSignal;
  /**
   * Called synchronously right after the spawn, for crash-recovery records. `pgid` equals
   * `pid`; `procStart` is null when the process was already reaped. Exceptions are ignored.
   */
  onStart?: (info: { pid: number; pgid: number; procStart: string | null }) => void;
  /**
   * Complete lines as they arrive (split on "\n", without it; a final partial line is flushed
   * at the end; lines are cut at 64 KiB). Sees all output, not only the kept part.
   * Exceptions are ignored.
   */
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
  /**
   * Receives the two captures right after the spawn, so what the process printed so far can
   * be read while it runs (live logs). Not called when the program could not start.
   * Exceptions are ignored.
   */
  onCapture?: (output: CapturedOutput) => void;
  /**
   * Secret values to show as `***`: both streams are masked as they are read, before their
   * bytes are kept, counted or passed to `onLine`. None when absent.
   */
  mask?: SecretMask | null;
}

/** The captures of a running attempt, one per stream. */
export interface CapturedOutput {
  /** Standard output so far. */
  readonly stdout: KeptOutput;
  /** Standard error so far. */
  readonly stderr: KeptOutput;
}

/** How an attempt ended. */
export interface ProcessResult {
  /** Exit code of the group leader; null when killed by a signal or never started. */
  exitCode: number | null;
  /** Signal that ended the leader, e.g. "SIGTERM", "SIGKILL"; null otherwise. */
  signal: string | null;
  /** The attempt timeout fired and the kill sequence ran. */
  timedOut: boolean;
  /** The abort signal fired (before or during the run) and the kill sequence ran. */
  cancelled: boolean;
  /** Why the process could not be started, or null when it was. */
  startError: string | null;
  /** Kept stdout bytes decoded as UTF-8 (lossy). */
  stdout: string;
  /** Kept stderr bytes decoded as UTF-8 (lossy). */
  stderr: string;
  /** stdout produced more than `maxLogBytes`. */
  stdoutTruncated: boolean;
  /** stderr produced more than `maxLogBytes`. */
  stderrTruncated: boolean;
  /** Total stdout bytes produced. */
  stdoutBytes: number;
  /** Total stderr bytes produced. */
  stderrBytes: number;
  /** Wall time from spawn to result, in milliseconds. */
  durationMs: number;
}

/** Resolves true if `p` settles within `ms`, false otherwise; never leaves a timer behind. */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([p.then(() => true, () => true), timeout]).finally(() => clearTimeout(timer));
}

function notStarted(
  t0: number,
  startError: string | null,
  cancelled: boolean,
): ProcessResult {
  return {
    exitCode: null,
    signal: null,
    timedOut: false,
    cancelled,
    startError,
    stdout: "",
    stderr: "",
    stdoutTruncated: false,
    stderrTruncated: false,
    stdoutBytes: 0,
    stderrBytes: 0,
    durationMs: performance.now() - t0,
  };
}

/** Spawns `spec` as the leader of a new session and process group. Throws spawn errors. */
function spawnGroupLeader(spec: ProcessSpec): Deno.ChildProcess {
  let program = spec.program;
  let args = spec.args;
  const leader = groupLeaderProgram();
  if (leader !== null) {
    const path = resolveProgram(spec.program, spec.env, spec.cwd);
    if (path === null) throw unresolvedError(spec.program, spec.cwd);
    // setsid() then exec in the same pid: the child leads a new session and group.
    program = leader;
    args = [path, ...spec.args];
  }
  return new Deno.Command(program, {
    args,
    cwd: spec.cwd,
    env: spec.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: leader === null,
  }).spawn();
}

/**
 * Runs one attempt of `spec` in a new session / process group and resolves when the leader
 * has exited, leftovers of its group are gone and both pipes are drained. Never throws for
 * start failures (see `startError`).
 *
 * Leftovers: when the leader exits on its own, any process still in its group (e.g. a
 * `cmd &` the script did not wait for) gets the kill sequence too, so nothing outlives the
 * attempt; the leader's exit code is reported unchanged. Processes that leave the group
 * (setsid, double-fork daemons) escape this; their pipes are dropped after a short wait.
 */
export async function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  const t0 = performance.now();
  if (spec.signal?.aborted) return notStarted(t0, null, true);
  const graceMs = spec.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const maxLogBytes = spec.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;

  let child: Deno.ChildProcess;
  try {
    child = spawnGroupLeader(spec);
  } catch (e) {
    return notStarted(t0, await describeStartError(e, spec.program, spec.cwd), false);
  }
  const pgid = child.pid;

  if (spec.onStart) {
    try {
      spec.onStart({ pid: child.pid, pgid, procStart: startToken(Date.now()) });
    } catch {
      // The process runs regardless; a failing recorder must not orphan it.
    }
  }

  const onLine = spec.onLine;
  const out = new Capture(
    maxLogBytes,
    onLine ? new LineSplitter((l) => onLine("stdout", l)) : null,
    spec.mask?.stream() ?? null,
  );
  const err = new Capture(
    maxLogBytes,
    onLine ? new LineSplitter((l) => onLine("stderr", l)) : null,
    spec.mask?.stream() ?? null,
  );
  if (spec.onCapture) {
    try {
      spec.onCapture({ stdout: out, stderr: err });
    } catch {
      // Live reading is optional; the attempt runs regardless.
    }
  }
  const outReader = byteReader(child.stdout);
  const errReader = byteReader(child.stderr);
  let pipesClosed = false;
  const pipesDone = Promise.all([pump(outReader, out), pump(errReader, err)]).then(() => {
    pipesClosed = true;
  });

  let timedOut = false;
  let cancelled = false;
  let killing: Promise<void> | null = null;
  const startKill = (reason: "timeout" | "cancel"): void => {
    if (killing) return;
    if (reason === "timeout") timedOut = true;
    else cancelled = true;
    killing = terminateGroup(pgid, graceMs, true);
  };
  const timeoutMs = spec.timeoutMs;
  // longTimeout: a plain setTimeout of 2^31 ms or more (`timeout: 25d`) fires at once.
  const timer = timeoutMs != null && timeoutMs > 0
    ? longTimeout(() => startKill("timeout"), timeoutMs)
    : null;
  const onAbort = (): void => startKill("cancel");
  spec.signal?.addEventListener("abort", onAbort, { once: true });

  let status: Deno.CommandStatus;
  try {
    status = await child.status;
  } finally {
    timer?.clear();
    spec.signal?.removeEventListener("abort", onAbort);
  }

  if (killing) {
    await killing;
  } else {
    // Fast path: pipes hit EOF together with the exit, so the race resolves at once.
    if (!pipesClosed) await settlesWithin(pipesDone, DRAIN_AFTER_EXIT_MS);
    // Usually ESRCH immediately; otherwise background leftovers get the kill sequence.
    await terminateGroup(pgid, graceMs);
  }

  if (!pipesClosed && !(await settlesWithin(pipesDone, PIPE_CLOSE_WAIT_MS))) {
    // Someone outside the group still holds a pipe: stop reading rather than hang.
    await Promise.all([outReader.cancel().catch(() => {}), errReader.cancel().catch(() => {})]);
    await pipesDone;
  }

  const stdout = out.text();
  const stderr = err.text();
  return {
    exitCode: status.signal ? null : status.code,
    signal: status.signal,
    timedOut,
    cancelled,
    startError: null,
    stdout,
    stderr,
    stdoutTruncated: out.truncated,
    stderrTruncated: err.truncated,
    stdoutBytes: out.total,
    stderrBytes: err.total,
    durationMs: performance.now() - t0,
  };
}
