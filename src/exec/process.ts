/**
 * Runs one attempt of a command task as its own process group, with capped output capture,
 * a timeout / cancellation kill sequence (SIGTERM → grace → SIGKILL to the whole group) and
 * cleanup of processes the command leaves behind. Linux only (uses /proc).
 *
 * @module
 */

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
  /** Delay between SIGTERM and SIGKILL to the group, default 5000 ms. */
  killGraceMs?: number;
  /** Bytes kept per stream (the first ones), default 1 MiB; the rest is counted and dropped. */
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

const DEFAULT_KILL_GRACE_MS = 5000;
const DEFAULT_MAX_LOG_BYTES = 1024 * 1024;
const MAX_LINE_BYTES = 64 * 1024;
/**
 * After the leader exits, how long background children may keep the pipes open before the
 * group is killed. A task like `sh -c "sleep 100 &"` would otherwise hang the reader (the
 * grandchild holds stdout) for as long as it lives. 150 ms lets a child that is just
 * finishing its last write get it out; processes that close their pipes on exit (the normal
 * case) never wait for it because the pipes' EOF wins the race.
 */
const DRAIN_AFTER_EXIT_MS = 150;
/** After the group is gone, how long to wait for EOF before dropping the pipes (setsid escapees). */
const PIPE_CLOSE_WAIT_MS = 200;
/** After SIGKILL, how long to wait for the group to disappear. */
const KILL_WAIT_MS = 2000;

const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * How a child gets its own session and process group. Deno's `detached: true` forks the
 * whole Deno process before exec, which blocks the event loop for ~4–7 ms per spawn (the
 * page tables of a V8 process are large); starting the program through util-linux's
 * `setsid` uses the fast posix_spawn path instead and costs one small extra exec
 * (measured: 4.0 vs 2.6 ms per `true` with 4 in parallel). `detached` stays the fallback
 * where no `setsid` binary exists.
 */
const SETSID: string | null = (() => {
  for (const path of ["/usr/bin/setsid", "/bin/setsid"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not here (or not readable): try the next one.
    }
  }
  return null;
})();

/** Resolved program paths by PATH and name: a stat per spawn only on the first use. */
const resolved = new Map<string, string>();

/**
 * Finds `program` the way execvp would (names without "/" are looked up in `PATH`), so a
 * missing program is reported before anything is spawned. Null when not found.
 */
function resolveProgram(program: string, env: Record<string, string>, cwd?: string): string | null {
  if (program.includes("/")) {
    const path = program.startsWith("/") ? program : `${cwd ?? Deno.cwd()}/${program}`;
    return isExecutableFile(path) ? path : null;
  }
  const pathVar = env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
  const key = `${pathVar}\0${program}`;
  const hit = resolved.get(key);
  if (hit !== undefined && isExecutableFile(hit)) return hit;
  for (const dir of pathVar.split(":")) {
    const path = `${dir || "."}/${program}`;
    if (isExecutableFile(path)) {
      if (dir.startsWith("/")) resolved.set(key, path);
      return path;
    }
  }
  return null;
}

function isExecutableFile(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && (st.mode === null || (st.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

/**
 * Deno 2 guards /proc behind full permissions: without --allow-all every read throws
 * NotCapable. Remembered so the helpers below degrade (null / kill(2)-only checks) cheaply.
 */
let procDenied = false;

/** Reads a /proc file; null if it is gone or Deno may not read /proc. */
function readProc(path: string): string | null {
  if (procDenied) return null;
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) procDenied = true;
    return null;
  }
}

/**
 * Returns field 22 (starttime, clock ticks since boot) of `/proc/<pid>/stat`, which together
 * with the pid identifies a process across pid reuse. Null if the process is gone, and also
 * when Deno may not read /proc (it requires --allow-all for that).
 */
export function procStartTime(pid: number): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const text = readProc(`/proc/${pid}/stat`);
  if (text === null) return null;
  // comm (field 2) may contain spaces and parentheses: fields resume after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return fields[19] ?? null; // fields[0] is field 3
}

/**
 * A start-time token for a process started at `epochMs`: with the pid it identifies the
 * process across pid reuse. Wall-clock based because Deno reads /proc only with
 * --allow-all; `isSameProcess` checks it against `ps`.
 */
export function startToken(epochMs: number): string {
  return `epoch:${Math.round(epochMs)}`;
}

/**
 * When process `pid` started (epoch ms, to about a second), from `ps -o etimes=`; null if
 * it is gone or `ps` is unavailable. Spawns `ps`: for recovery, not for hot paths.
 */
export function processStartEpoch(pid: number): number | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const out = new Deno.Command("ps", { args: ["-o", "etimes=", "-p", String(pid)] }).outputSync();
    const secs = Number(new TextDecoder().decode(out.stdout).trim());
    if (!out.success || !Number.isFinite(secs)) return null;
    return Date.now() - secs * 1000;
  } catch {
    return null;
  }
}

/**
 * Whether `pid` is still the process that `token` (from `startToken`) describes. Tolerates
 * the one-second resolution of `ps`.
 */
export function isSameProcess(pid: number, token: string | null): boolean {
  const started = processStartEpoch(pid);
  if (started === null) return false;
  const recorded = token?.startsWith("epoch:") ? Number(token.slice(6)) : NaN;
  if (!Number.isFinite(recorded)) return true; // nothing to compare with: trust the pid
  return Math.abs(started - recorded) <= 2500;
}

/**
 * Sends `signal` to every process of group `pgid`. Returns false if the group no longer
 * exists (ESRCH). Throws a RangeError for pgid ≤ 1 (0 and -1 would hit our own group or
 * every process) and rethrows other errors (e.g. EPERM, missing --allow-run).
 */
export function killProcessGroup(pgid: number, signal: Deno.Signal): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new RangeError(`invalid process group: ${pgid}`);
  try {
    // Deno passes a negative pid straight to kill(2): the whole group is signalled.
    Deno.kill(-pgid, signal);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false; // ESRCH
    throw e;
  }
}

/**
 * Whether group `pgid` still has a live member. With /proc readable (--allow-all), zombies
 * are ignored: they hold nothing and, under an init that reaps slowly or never, would look
 * alive for long. Without it, an unreaped zombie still counts as alive.
 */
export function isProcessGroupAlive(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    // Signal 0 only checks existence: ESRCH is the cheap common answer.
    Deno.kill(-pgid, 0 as unknown as Deno.Signal);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    // Anything else (EPERM, a Deno that refuses signal 0): let /proc decide.
  }
  // Unknown counts as alive, so the kill sequence errs towards SIGKILL, never towards a hang.
  return groupHasLiveMember(pgid) ?? true;
}

/**
 * Scans /proc for a process whose pgrp (field 5) is `pgid` and whose state is not Z/X;
 * null when /proc cannot be read.
 */
function groupHasLiveMember(pgid: number): boolean | null {
  if (procDenied) return groupHasLiveMemberPs(pgid);
  const want = String(pgid);
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      const c = entry.name.charCodeAt(0);
      if (c < 48 || c > 57) continue; // not a pid directory
      const text = readProc(`/proc/${entry.name}/stat`);
      if (text === null) {
        if (procDenied) return null;
        continue; // exited meanwhile
      }
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      if (fields[2] === want && fields[0] !== "Z" && fields[0] !== "X") return true;
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) procDenied = true;
    return null;
  }
  return false;
}

/** `ps` fallback of groupHasLiveMember for when /proc is off limits; null if ps fails. */
function groupHasLiveMemberPs(pgid: number): boolean | null {
  try {
    const out = new Deno.Command("ps", { args: ["-A", "-o", "pgid=,stat="] }).outputSync();
    if (!out.success) return null;
    for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
      const [g, stat] = line.trim().split(/\s+/);
      if (g === String(pgid) && stat && stat[0] !== "Z" && stat[0] !== "X") return true;
    }
    return false;
  } catch {
    return null;
  }
}

/** Like killProcessGroup but never throws: runProcess must not fail while cleaning up. */
function signalGroup(pgid: number, signal: Deno.Signal): boolean {
  try {
    return killProcessGroup(pgid, signal);
  } catch {
    return false;
  }
}

/** Signals one process; false when it is gone. Never throws. */
function signalPid(pid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

function existsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Resolves after `ms`. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true if `p` settles within `ms`, false otherwise; never leaves a timer behind. */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([p.then(() => true, () => true), timeout]).finally(() => clearTimeout(timer));
}

/** Polls until the group has no live member or `ms` elapsed; returns whether it is gone. */
async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  let delay = 5;
  while (isProcessGroupAlive(pgid)) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, 100);
  }
  return true;
}

/**
 * SIGTERM (+ SIGCONT so stopped members can act on it) to the group, then SIGKILL after
 * `graceMs` if any member is still alive. Returns once the group is gone (or given up on).
 */
async function terminateGroup(
  pgid: number,
  graceMs: number,
  leaderUnreaped = false,
): Promise<void> {
  // Right after a setsid spawn the group may not exist yet: signal the leader itself too
  // (only while it is not reaped, so a reused pid is never hit).
  const leader = leaderUnreaped && signalPid(pgid, "SIGTERM");
  if (!signalGroup(pgid, "SIGTERM") && !leader) return; // already gone: the common fast path
  signalGroup(pgid, "SIGCONT");
  if (await waitGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, "SIGKILL");
  await waitGroupGone(pgid, KILL_WAIT_MS);
}

/** Splits a byte stream into lines for onLine, holding at most MAX_LINE_BYTES per line. */
class LineSplitter {
  #parts: Uint8Array[] = [];
  #len = 0;
  #pending = false;
  readonly #emit: (line: string) => void;

  constructor(emit: (line: string) => void) {
    this.#emit = emit;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.#hold(chunk.subarray(start));
        return;
      }
      this.#hold(chunk.subarray(start, nl));
      this.#pending = true;
      this.flush();
      start = nl + 1;
    }
  }

  /** Emits the held line, if any. */
  flush(): void {
    if (!this.#pending) return;
    let bytes: Uint8Array;
    if (this.#parts.length === 1) bytes = this.#parts[0];
    else {
      bytes = new Uint8Array(this.#len);
      let off = 0;
      for (const p of this.#parts) {
        bytes.set(p, off);
        off += p.length;
      }
    }
    this.#parts = [];
    this.#len = 0;
    this.#pending = false;
    try {
      this.#emit(decoder.decode(bytes));
    } catch {
      // A failing live-log consumer must not break capture.
    }
  }

  #hold(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#pending = true;
    const room = MAX_LINE_BYTES - this.#len;
    if (room <= 0) return;
    // Copy: the chunk may be large and we only want the line's bytes.
    const piece = bytes.length > room ? bytes.slice(0, room) : bytes.slice();
    this.#parts.push(piece);
    this.#len += piece.length;
  }
}

/**
 * Keeps the first `max` bytes of a stream and counts the rest. Bytes are copied into one
 * growing buffer: Deno hands out small reads as views of a 64 KiB buffer, so keeping the
 * chunks themselves would pin 64 KiB per short line of a chatty, slow task.
 */
class Capture {
  kept = 0;
  total = 0;
  #buf = new Uint8Array(0);
  readonly #max: number;
  readonly #lines: LineSplitter | null;

  constructor(max: number, lines: LineSplitter | null) {
    this.#max = Math.max(0, max);
    this.#lines = lines;
  }

  push(chunk: Uint8Array): void {
    this.total += chunk.length;
    const n = Math.min(this.#max - this.kept, chunk.length);
    if (n > 0) {
      const need = this.kept + n;
      if (need > this.#buf.length) {
        const grown = new Uint8Array(
          Math.min(this.#max, Math.max(need, this.#buf.length * 2, 4096)),
        );
        grown.set(this.#buf.subarray(0, this.kept));
        this.#buf = grown;
      }
      this.#buf.set(n === chunk.length ? chunk : chunk.subarray(0, n), this.kept);
      this.kept = need;
    }
    this.#lines?.push(chunk);
  }

  /** Flushes the last partial line and decodes the kept bytes once. */
  text(): string {
    this.#lines?.flush();
    return this.kept === 0 ? "" : decoder.decode(this.#buf.subarray(0, this.kept));
  }
}

/**
 * Read buffer of a BYOB reader: it starts small, since most tasks print little and a run
 * of 1,000 such tasks would otherwise allocate 128 MiB of buffers the GC collects late,
 * and doubles while reads fill it, up to the 64 KiB a pipe holds.
 */
const READ_BUFFER_MIN = 1024;
const READ_BUFFER_MAX = 64 * 1024;

type ByteReader = ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array>;

/**
 * A "bring your own buffer" reader where the stream supports it (Deno's pipes do): reads
 * then reuse one buffer instead of allocating a fresh 64 KiB chunk each, which the GC
 * collects late (measured: +62 MB RSS while a task printed 100 MB, +19 MB with BYOB).
 */
function byteReader(stream: ReadableStream<Uint8Array>): ByteReader {
  try {
    return stream.getReader({ mode: "byob" });
  } catch {
    return stream.getReader();
  }
}

/** Reads a stream into `cap` until EOF, error or cancel. `cap` copies what it keeps. */
async function pump(reader: ByteReader, cap: Capture): Promise<void> {
  try {
    if (reader instanceof ReadableStreamBYOBReader) {
      let buffer = new ArrayBuffer(READ_BUFFER_MIN);
      for (;;) {
        const { done, value } = await reader.read(new Uint8Array(buffer));
        if (done || value === undefined) return;
        cap.push(value);
        buffer = value.length === value.buffer.byteLength && value.length < READ_BUFFER_MAX
          ? new ArrayBuffer(value.length * 2)
          : value.buffer;
      }
    }
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      cap.push(value);
    }
  } catch {
    // Read errors end capture; what was read is kept.
  }
}

/** Maps a spawn error to a startError message. */
async function describeStartError(e: unknown, spec: ProcessSpec): Promise<string> {
  if (e instanceof Deno.errors.NotFound) {
    // Deno reports a missing cwd as NotFound too: look at the cwd only now, off the hot path.
    if (spec.cwd !== undefined) {
      try {
        const st = await Deno.stat(spec.cwd);
        if (!st.isDirectory) return `working directory is not a directory: ${spec.cwd}`;
      } catch {
        return `working directory not found: ${spec.cwd}`;
      }
    }
    return `program not found: ${spec.program}`;
  }
  if (e instanceof Deno.errors.PermissionDenied) return `permission denied: ${spec.program}`;
  if (e instanceof Deno.errors.NotCapable) {
    return "Deno has no permission to run programs (grant --allow-run)";
  }
  return `cannot start ${spec.program}: ${e instanceof Error ? e.message : String(e)}`;
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
    let program = spec.program;
    let args = spec.args;
    if (SETSID !== null) {
      const path = resolveProgram(spec.program, spec.env, spec.cwd);
      if (path === null) {
        const direct = spec.program.includes("/")
          ? (spec.program.startsWith("/")
            ? spec.program
            : `${spec.cwd ?? Deno.cwd()}/${spec.program}`)
          : null;
        throw direct !== null && existsFile(direct)
          ? new Deno.errors.PermissionDenied("program")
          : new Deno.errors.NotFound("program");
      }
      // setsid() then exec in the same pid: the child leads a new session and group.
      program = SETSID;
      args = [path, ...spec.args];
    }
    child = new Deno.Command(program, {
      args,
      cwd: spec.cwd,
      env: spec.env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: SETSID === null,
    }).spawn();
  } catch (e) {
    return notStarted(t0, await describeStartError(e, spec), false);
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
  );
  const err = new Capture(
    maxLogBytes,
    onLine ? new LineSplitter((l) => onLine("stderr", l)) : null,
  );
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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeoutMs = spec.timeoutMs;
  if (timeoutMs != null && timeoutMs > 0) {
    timer = setTimeout(() => startKill("timeout"), timeoutMs);
  }
  const onAbort = (): void => startKill("cancel");
  spec.signal?.addEventListener("abort", onAbort, { once: true });

  let status: Deno.CommandStatus;
  try {
    status = await child.status;
  } finally {
    clearTimeout(timer);
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
    stdoutTruncated: out.total > out.kept,
    stderrTruncated: err.total > err.kept,
    stdoutBytes: out.total,
    stderrBytes: err.total,
    durationMs: performance.now() - t0,
  };
}
