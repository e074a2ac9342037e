/**
 * The command lines of a task run over SSH, as pure functions: the local `ssh` client's
 * options (batch mode, connection reuse), the remote wrapper that runs the task in its own
 * process group with its directory, environment and `$PETIT_OUTPUT`, and the remote commands
 * that kill that group and fetch the outputs. Remote side: a POSIX `sh`, `mktemp`-free (the
 * folder name is chosen here, so a kill can find it) and util-linux `setsid`. No I/O.
 *
 * @module
 */

import type { SshHost } from "../core/model.ts";

/**
 * Seconds `ssh` waits for the TCP connection and the handshake.
 *
 * @default {10}
 */
export const SSH_CONNECT_TIMEOUT_SECS = 10;

/**
 * Seconds an idle shared connection (ControlMaster) stays open after its last session.
 *
 * @default {60}
 */
export const SSH_CONTROL_PERSIST_SECS = 60;

/**
 * Exit code of the remote wrapper when it cannot set the task up (folder, working_dir).
 *
 * @default {125}
 */
export const REMOTE_SETUP_FAILED = 125;

/** The exit status `ssh` reports for its own failures (connection, authentication, host key). */
export const SSH_FAILED = 255;

/** `text` as one word for a POSIX shell: single-quoted, each `'` written as `'\''`. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The options of every `ssh` call to `host` (before the remote command): no prompts, a
 * connect timeout, one shared connection per host in `controlDir` (a private folder: the
 * socket gives a shell on the host to whoever can open it), and the host's key settings.
 */
export function sshArgs(host: SshHost, controlDir: string): string[] {
  const args = [
    "-T",
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${SSH_CONNECT_TIMEOUT_SECS}`,
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPath=${controlDir}/${settingsKey(host)}`,
    "-o",
    `ControlPersist=${SSH_CONTROL_PERSIST_SECS}`,
    "-o",
    "LogLevel=ERROR",
    "-o",
    `StrictHostKeyChecking=${host.strictHostKeyChecking ? "yes" : "no"}`,
    "-p",
    String(host.port),
  ];
  if (host.knownHosts !== null) args.push("-o", `UserKnownHostsFile=${host.knownHosts}`);
  if (host.identityFile !== null) {
    args.push("-i", host.identityFile, "-o", "IdentitiesOnly=yes");
  }
  if (host.user !== null) args.push("-l", host.user);
  // `--` so an address can never be read as an option.
  args.push("--", host.address);
  return args;
}

/**
 * A name for the shared connection of `host`'s settings (FNV-1a over all of them, 16 hex
 * digits): an edited known_hosts, key or user must not reuse a connection made with the old
 * ones, as ssh's own `%C` (address, port, user) would.
 */
export function settingsKey(host: SshHost): string {
  const text = JSON.stringify([
    host.address,
    host.port,
    host.user,
    host.identityFile,
    host.knownHosts,
    host.strictHostKeyChecking,
  ]);
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x811c9dc5 | 1) >>> 0;
  }
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
}

/** What the remote wrapper runs. */
export interface RemoteTask {
  /** The attempt's folder on the host (pid file and outputs), created by the wrapper. */
  readonly dir: string;
  /** The working directory as rendered, or null for the login folder. */
  readonly workingDir: string | null;
  /** Variables set for the task (`PETIT_OUTPUT` is set by the wrapper). */
  readonly env: Readonly<Record<string, string>>;
  /** The program and its arguments. */
  readonly argv: readonly string[];
}

/**
 * A remote folder as a shell word: `~/x` is the remote home's `x`; a relative path is relative
 * to the login folder (the home), as ssh starts there.
 */
function remoteDir(dir: string): string {
  if (dir === "~") return `"$HOME"`;
  return dir.startsWith("~/") ? `"$HOME"/${shellQuote(dir.slice(2))}` : shellQuote(dir);
}

/**
 * The remote command line (one argument for `ssh`, read by the login shell): a `sh -c`
 * wrapper that makes the attempt's folder, changes to the working directory, starts the
 * task with `setsid` (its own process group, so a kill reaches its children), writes that
 * group's id to `dir/pid` and exits with the task's status.
 */
export function remoteCommand(task: RemoteTask): string {
  const fail = (what: string) =>
    `{ echo ${shellQuote(`petit: ${what}`)} >&2; exit ${REMOTE_SETUP_FAILED}; }`;
  const env = Object.entries(task.env).map(([k, v]) => shellQuote(`${k}=${v}`));
  const lines = [
    `d=${shellQuote(task.dir)}`,
    `mkdir -m 700 "$d" || ${fail(`cannot create ${task.dir} on the host`)}`,
  ];
  if (task.workingDir !== null) {
    lines.push(
      `cd -- ${remoteDir(task.workingDir)} || ` +
        fail(
          `working_dir ${task.workingDir} does not exist on the host (create it, or fix the task's working_dir)`,
        ),
    );
  }
  lines.push(
    `setsid env ${[...env, `"PETIT_OUTPUT=$d/outputs"`].join(" ")} ` +
      `${task.argv.map(shellQuote).join(" ")} </dev/null &`,
    `echo $! > "$d/pid"`,
    `wait $!`,
  );
  return `sh -c ${shellQuote(lines.join("\n"))}`;
}

/**
 * The remote command that ends the task in `dir`: SIGTERM to its process group, then SIGKILL
 * when it is still there after `graceMs`. When the task's command has not reached the host
 * yet (a slow connection), this creates `dir` first, so that the task's own `mkdir` fails
 * and it never starts; else it waits up to 2 s for the pid file, for a kill that comes right
 * after the start.
 */
export function remoteKillCommand(dir: string, graceMs: number): string {
  const ticks = Math.max(0, Math.ceil(graceMs / 100));
  const script = [
    `d=${shellQuote(dir)}; i=0`,
    `mkdir -m 700 "$d" 2>/dev/null && exit 0`,
    `while [ ! -s "$d/pid" ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done`,
    `p=$(cat "$d/pid" 2>/dev/null) || exit 0`,
    `kill -TERM -- -"$p" 2>/dev/null || exit 0`,
    `i=0; while kill -0 -- -"$p" 2>/dev/null && [ $i -lt ${ticks} ]; do sleep 0.1; i=$((i+1)); done`,
    `kill -KILL -- -"$p" 2>/dev/null; exit 0`,
  ].join("\n");
  return `sh -c ${shellQuote(script)}`;
}

/** The remote command that prints the attempt's outputs file and removes its folder. */
export function remoteFinishCommand(dir: string): string {
  const d = shellQuote(dir);
  return `sh -c ${shellQuote(`cat ${d}/outputs 2>/dev/null; rm -rf ${d}`)}`;
}

/**
 * Whether a failed `ssh` call failed in ssh itself (exit 255 and one of its messages on
 * stderr) rather than in the remote command, which may exit 255 too.
 */
export function isSshFailure(exitCode: number | null, stderr: string): boolean {
  if (exitCode !== SSH_FAILED) return false;
  return SSH_MESSAGE.test(lastLine(stderr));
}

const SSH_MESSAGE =
  /^ssh: |Host key verification failed|Permission denied \(|Connection (refused|closed|reset|timed out)|kex_exchange_identification|No route to host|Could not resolve|mux_client|Control socket/;

/** The last non-empty line of `text`, trimmed. */
export function lastLine(text: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return lines.at(-1) ?? "";
}
