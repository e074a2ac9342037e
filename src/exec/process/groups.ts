/**
 * Process groups: how a child gets its own session and group (`setsid`), whether a group
 * still has live members, and the kill sequence for a whole tree (SIGTERM → grace →
 * SIGKILL). Needs --allow-run for signals; reads /proc when allowed (--allow-all), `ps`
 * otherwise. Linux only.
 *
 * @module
 */

import { installSetsidStub } from "./setsid_stub.ts";
import { delay } from "../../core/delay.ts";
import { isProcDenied, noteProcError, readProc, statFields } from "./proc.ts";

/**
 * After SIGKILL, how long to wait for the group to disappear.
 *
 * @default {2000}
 */
const KILL_WAIT_MS = 2000;

/**
 * First poll interval while waiting for a group to disappear; it doubles after each poll.
 *
 * @default {5}
 */
const GONE_POLL_MIN_MS = 5;

/**
 * Largest poll interval while waiting for a group to disappear.
 *
 * @default {100}
 */
const GONE_POLL_MAX_MS = 100;

/**
 * How a child gets its own session and process group. Deno's `detached: true` forks the
 * whole Deno process before exec, which blocks the event loop for ~4–7 ms per spawn (the
 * page tables of a V8 process are large); starting the program through util-linux's
 * `setsid` uses the fast posix_spawn path instead and costs one small extra exec
 * (measured: 4.0 vs 2.6 ms per `true` with 4 in parallel). Petit's own static stub
 * (`setsid_stub.ts`, {@link groupLeaderProgram}) saves that exec's dynamic start-up too; this
 * `setsid` is its fallback, and `detached` the last resort where neither can run.
 */
export const SETSID: string | null = ["/usr/bin/setsid", "/bin/setsid"].find(isFile) ?? null;

/** Set to `0` to start tasks through util-linux's `setsid` instead of Petit's stub. */
const STUB_ENV = "PETIT_SETSID_STUB";

let leaderProgram: string | null | undefined;

/**
 * The program that starts a task as the leader of a new session and group: Petit's static
 * stub (`setsid_stub.ts`, written on the first call; it saves a dynamic exec per task), else
 * util-linux's {@link SETSID}; null when there is neither (`detached` is used then).
 */
export function groupLeaderProgram(): string | null {
  if (leaderProgram && leaderProgram !== SETSID && !isFile(leaderProgram)) {
    // Removed from under us (a temporary-folder cleaner, another `pt` that took this one
    // for gone): write it again. One stat per spawn; without it a spawn through the missing
    // stub fails, or under qemu-user exits 127 like a task would.
    leaderProgram = undefined;
  }
  if (leaderProgram === undefined) {
    leaderProgram = Deno.env.get(STUB_ENV) === "0" ? SETSID : installSetsidStub() ?? SETSID;
  }
  return leaderProgram;
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
  if (isProcDenied()) return groupHasLiveMemberPs(pgid);
  const want = String(pgid);
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      const c = entry.name.charCodeAt(0);
      if (c < 48 || c > 57) continue; // not a pid directory
      const text = readProc(`/proc/${entry.name}/stat`);
      if (text === null) {
        if (isProcDenied()) return null;
        continue; // exited meanwhile
      }
      const fields = statFields(text);
      if (fields[2] === want && fields[0] !== "Z" && fields[0] !== "X") return true;
    }
  } catch (e) {
    noteProcError(e);
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

/** Polls until the group has no live member or `ms` elapsed; returns whether it is gone. */
async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  let poll = GONE_POLL_MIN_MS;
  while (isProcessGroupAlive(pgid)) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await delay(Math.min(poll, left));
    poll = Math.min(poll * 2, GONE_POLL_MAX_MS);
  }
  return true;
}

/**
 * SIGTERM (+ SIGCONT so stopped members can act on it) to the group, then SIGKILL after
 * `graceMs` if any member is still alive. Returns once the group is gone (or given up on).
 * With `leaderUnreaped`, the leader (pid = pgid) is signalled directly too: right after a
 * `setsid` spawn the group may not exist yet.
 */
export async function terminateGroup(
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

/** Whether `path` is a file (false when it is missing or cannot be read). */
function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
