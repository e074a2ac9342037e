/**
 * Runs one attempt of a command task as its own process group, with capped output capture,
 * a timeout / cancellation kill sequence (SIGTERM → grace → SIGKILL to the whole group) and
 * cleanup of processes the command leaves behind; plus the process-group, process-identity and
 * leftover-finding helpers that run ends and crash recovery use. Linux only (uses /proc when
 * Deno may read it, `ps` otherwise); needs --allow-run and --allow-read.
 *
 * - `spawn.ts`: `runProcess`, the attempt itself
 * - `capture.ts`: capped output capture, readable while it grows, and live lines
 * - `groups.ts`: `setsid`, group liveness, the kill sequence
 * - `identity.ts`: pid + start time tokens for recovery
 * - `leftovers.ts`: processes a run left behind (detached daemons), found by `PETIT_RUN_ID`
 * - `program.ts`: program lookup and start-error messages
 * - `proc.ts`: /proc access shared by the modules above
 *
 * @module
 */

export {
  type CapturedOutput,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_LOG_BYTES,
  type ProcessResult,
  type ProcessSpec,
  runProcess,
} from "./spawn.ts";
export { Capture, type KeptOutput, MAX_LINE_BYTES } from "./capture.ts";
export { isProcessGroupAlive, killProcessGroup } from "./groups.ts";
export { findRunProcessGroups, terminateLeftovers } from "./leftovers.ts";
export { isSameProcess, processStartEpoch, procStartTime, startToken } from "./identity.ts";
