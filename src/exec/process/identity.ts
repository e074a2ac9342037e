/**
 * Process identity for crash recovery: a pid plus a start-time token recognises a process
 * across pid reuse. Tokens are wall-clock based (`startToken`) because Deno reads /proc
 * only with --allow-all; `isSameProcess` checks them against `ps`. Linux only.
 *
 * @module
 */

import { readProc, statFields } from "./proc.ts";

/**
 * How far a recorded start token may be from the start time `ps` reports and still be the
 * same process: `ps -o etimes` has one-second resolution, plus rounding on both sides.
 *
 * @default {2500}
 */
const SAME_PROCESS_TOLERANCE_MS = 2500;

/**
 * Returns field 22 (starttime, clock ticks since boot) of `/proc/<pid>/stat`, which together
 * with the pid identifies a process across pid reuse. Null if the process is gone, and also
 * when Deno may not read /proc (it requires --allow-all for that).
 */
export function procStartTime(pid: number): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const text = readProc(`/proc/${pid}/stat`);
  if (text === null) return null;
  return statFields(text)[19] ?? null; // fields[0] is field 3
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
    let secs = Number(new TextDecoder().decode(out.stdout).trim());
    if (!out.success || !Number.isFinite(secs)) return null;
    // Read in the instant after a fork, ps can print an elapsed time longer than the machine
    // has been up (seen under load: 4,123,168,608 s): the process has only just started.
    if (secs > uptimeSecs() + 1) secs = 0;
    return Date.now() - secs * 1000;
  } catch {
    return null;
  }
}

/** Seconds since boot, or Infinity when Deno may not ask (no --allow-sys). */
function uptimeSecs(): number {
  try {
    return Deno.osUptime();
  } catch {
    return Infinity;
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
  return Math.abs(started - recorded) <= SAME_PROCESS_TOLERANCE_MS;
}
