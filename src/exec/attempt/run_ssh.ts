/**
 * The {@linkcode RunAttempt} of command tasks with a `host`: the task runs on that machine
 * through the OpenSSH client `ssh`, which runs locally through the process machinery
 * (`exec/process/`), so capture, live logs, secret masking and log limits work as for local
 * tasks. On the host, the task runs in its own process group (`ssh_command.ts`); a timeout, a
 * cancellation or a shutdown kills that group with a second `ssh` call, since killing the
 * local client alone would leave the remote command running. Outputs (`$PETIT_OUTPUT`) are
 * written to a file on the host and fetched afterwards. Needs --allow-run (`ssh`),
 * --allow-read/--allow-write (the private folder of the shared connections) and --allow-env.
 *
 * @module
 */

import { renderTemplate } from "../../core/template.ts";
import type { SshHost, TaskSpec } from "../../core/model.ts";
import type { AttemptLogs } from "../../events/types.ts";
import { parseOutputs, prepareCommand } from "../command.ts";
import { DEFAULT_KILL_GRACE_MS, runProcess } from "../process/mod.ts";
import {
  isSshFailure,
  lastLine,
  remoteCommand,
  remoteFinishCommand,
  remoteKillCommand,
  SSH_CONNECT_TIMEOUT_SECS,
  sshArgs,
} from "../ssh_command.ts";
import { privateTempDir } from "../temp_dir.ts";
import { type AttemptContext, type AttemptResult, emptyLogs, type RunAttempt } from "./contract.ts";

/** The private folder of the shared connections' sockets, made on first use (mode 0700). */
let controlDir: string | null = null;

function sockets(): string {
  controlDir ??= privateTempDir("petit-ssh-");
  return controlDir;
}

/** `user@address:port` of a host, for messages. */
function where(host: SshHost): string {
  return `${host.user !== null ? `${host.user}@` : ""}${host.address}:${host.port}`;
}

/** Why an ssh call to `host` failed, from ssh's last line of stderr. */
function sshError(host: SshHost, stderr: string): string {
  const line = lastLine(stderr).replace(/\.$/, "");
  const hint = /Host key verification failed|REMOTE HOST IDENTIFICATION/.test(stderr)
    ? " (the host's key is not in known_hosts: add it, or set known_hosts for the host)"
    : /Permission denied/.test(stderr)
    ? " (the host refused the key: check user and identity_file)"
    : "";
  return `ssh to host "${host.name}" (${where(host)}) failed: ${line || "exit 255"}${hint}`;
}

/** Runs `ssh host remote` to the end (stdout and stderr as text); kills it after `ms`. */
async function sshCall(
  host: SshHost,
  remote: string,
  env: Record<string, string>,
  ms: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("ssh", {
    args: [...sshArgs(host, sockets()), remote],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(ms),
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** The longest a short ssh call (check, kill, fetch) may take beyond its own work. */
const CALL_MS = (SSH_CONNECT_TIMEOUT_SECS + 5) * 1000;

/** Runs one attempt of a command task on its host over SSH. */
export const runSshAttempt: RunAttempt = async (
  task: TaskSpec,
  ctx: AttemptContext,
): Promise<AttemptResult> => {
  const startedAt = Date.now();
  const host = task.host!;
  const spec = task.command!;
  const fail = (error: string, transient: boolean, exitCode: number | null = null) => {
    ctx.started({ pgid: null, procStart: null });
    return {
      ok: false,
      cancelled: false,
      transient,
      exitCode,
      error,
      logs: emptyLogs(startedAt, Date.now()),
    };
  };
  const cancelled = () => {
    ctx.started({ pgid: null, procStart: null });
    return {
      ok: false,
      cancelled: true,
      transient: false,
      exitCode: null,
      error: "cancelled",
      logs: emptyLogs(startedAt, Date.now()),
    };
  };
  if (ctx.signal?.aborted) return cancelled();
  // Python runs with -c: a script file in the local run folder would not exist on the host.
  const remoteTask = spec.kind === "python"
    ? { ...task, command: { ...spec, inline: true } }
    : task;
  const prepared = await prepareCommand({
    job: ctx.job,
    task: remoteTask,
    runId: ctx.runId,
    attempt: ctx.attempt,
    // The host's own environment is the bottom layer there, not `pt`'s.
    baseEnv: {},
    templates: ctx.templates,
    outputFile: ctx.outputFile,
    runDir: ctx.runDir,
    scheduledFor: ctx.scheduledFor,
    fileEnv: ctx.fileEnv,
  });
  const { PETIT_OUTPUT: _local, ...env } = prepared.env;
  const localEnv = { ...ctx.baseEnv() };
  const dir = `/tmp/petit-${ctx.runId}-${task.id}-${ctx.attempt}-${
    crypto.randomUUID().slice(0, 8)
  }`;

  // Connects (or reuses the shared connection) outside the task's process group: the
  // connection's master process outlives the attempt, and a failure here is clearly ssh's.
  let check;
  try {
    check = await sshCall(host, "true", localEnv, CALL_MS);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      return fail("ssh not found: install the OpenSSH client to run tasks on hosts", false);
    }
    return fail(
      `ssh to host "${host.name}" (${where(host)}) failed: ${(err as Error).message}`,
      true,
    );
  }
  if (check.code !== 0) return fail(sshError(host, check.stderr), true, check.code);
  // A cancel while connecting: the abort event has passed, so nothing below would see it.
  if (ctx.signal?.aborted) return cancelled();

  const graceMs = ctx.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const local = new AbortController();
  let reason: "timeout" | "cancel" | null = null;
  let killing: Promise<void> | null = null;
  const stop = (why: "timeout" | "cancel") => {
    if (reason !== null) return;
    reason = why;
    killing = sshCall(host, remoteKillCommand(dir, graceMs), localEnv, graceMs + CALL_MS)
      .then(() => {}, () => {})
      // The remote group is gone (or unreachable): now the local client, if still there.
      .finally(() => local.abort());
  };
  const timer = ctx.timeoutMs !== null && ctx.timeoutMs > 0
    ? setTimeout(() => stop("timeout"), ctx.timeoutMs)
    : null;
  const onAbort = () => stop("cancel");
  ctx.signal?.addEventListener("abort", onAbort, { once: true });

  let started = false;
  let result;
  try {
    result = await runProcess({
      program: "ssh",
      args: [
        ...sshArgs(host, sockets()),
        remoteCommand({
          dir,
          workingDir: spec.workingDir === null
            ? null
            : renderTemplate(spec.workingDir, ctx.templates),
          env,
          argv: [prepared.program, ...prepared.args],
        }),
      ],
      env: localEnv,
      timeoutMs: null,
      killGraceMs: graceMs,
      maxLogBytes: ctx.maxLogBytes,
      signal: local.signal,
      onStart: ({ pgid, procStart }) => {
        started = true;
        ctx.started({ pgid, procStart });
      },
      onLine: ctx.onLine,
      onCapture: ctx.onCapture,
      mask: ctx.mask,
    });
  } finally {
    if (timer !== null) clearTimeout(timer);
    ctx.signal?.removeEventListener("abort", onAbort);
  }
  if (!started) ctx.started({ pgid: null, procStart: null });
  if (killing) await killing;

  let outputs: Record<string, string> = {};
  if (result.startError === null) {
    try {
      const done = await sshCall(host, remoteFinishCommand(dir), localEnv, CALL_MS);
      if (done.code === 0) outputs = parseOutputs(done.stdout);
    } catch {
      // Outputs are lost with the connection; the attempt's own result stands.
    }
  }
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
  const sshFailed = reason === null && isSshFailure(result.exitCode, result.stderr);
  const error = result.startError ??
    (reason === "cancel"
      ? "cancelled"
      : reason === "timeout"
      ? `timed out after ${ctx.timeoutMs} ms`
      : sshFailed
      ? sshError(host, result.stderr)
      : result.exitCode === 0
      ? null
      : result.exitCode === null
      ? `killed by ${result.signal ?? "a signal"}`
      : `exit code ${result.exitCode}`);
  return {
    ok: error === null,
    cancelled: reason === "cancel",
    transient: reason === "timeout" || sshFailed || result.startError !== null,
    exitCode: reason !== null ? null : result.exitCode,
    error: error ?? "",
    logs,
  };
};
