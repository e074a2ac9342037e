/**
 * Recovery at start: runs left `running` by a crashed Petit become `interrupted`, their
 * unfinished tasks `failed` ("interrupted"), and the process groups recorded for their
 * running tasks are terminated if they are still alive. What they left elsewhere (Jobs on
 * a Kubernetes cluster) is cleaned up by a function the caller gives, so this module needs
 * no cluster.
 *
 * @module
 */

import {
  findRunProcessGroups,
  isProcessGroupAlive,
  isSameProcess,
  killProcessGroup,
  processStartEpoch,
  startToken,
} from "../exec/process/mod.ts";
import {
  type RunRecord,
  type RunStore,
  type StoreLifecycle,
  type TaskStore,
  WritesNotCommittedError,
} from "../storage/types.ts";

/**
 * SIGTERM → SIGKILL delay for the leftover process groups of crashed runs, unless
 * `killGraceMs` is given to {@link recoverRuns}.
 *
 * @default {2000}
 */
export const RECOVERY_KILL_GRACE_MS = 2000;

/** This process as a run owner: `pid:start token`, unique even when pids are reused. */
export function ownerToken(): string {
  // From ps, not performance.timeOrigin: in a worker that is the worker's start.
  return `${Deno.pid}:${startToken(processStartEpoch(Deno.pid) ?? performance.timeOrigin)}`;
}

/** Whether the owner recorded on a run is a live process other than this one. */
export function ownerAlive(owner: string | null | undefined): boolean {
  if (!owner) return false;
  const colon = owner.indexOf(":");
  const pid = Number(owner.slice(0, colon));
  if (!Number.isInteger(pid) || pid <= 1 || pid === Deno.pid) return false;
  return isSameProcess(pid, owner.slice(colon + 1));
}

/**
 * How long start-up waits for {@linkcode RecoveryOptions.cleanupRemote} before it goes on
 * (the clean-up goes on too, in the background).
 *
 * @default {10000}
 */
export const REMOTE_CLEANUP_WAIT_MS = 10_000;

/** Options of {@linkcode recoverRuns}. */
export interface RecoveryOptions {
  /** SIGTERM → SIGKILL delay for leftover process groups ({@link RECOVERY_KILL_GRACE_MS}). */
  readonly killGraceMs?: number;
  /**
   * Cleans up what the crashed runs left elsewhere (their Kubernetes Jobs), given their ids;
   * called only when there are some. It reports its own failures: a rejection is ignored,
   * and start-up waits for it at most {@linkcode REMOTE_CLEANUP_WAIT_MS}.
   */
  readonly cleanupRemote?: (runIds: ReadonlySet<string>) => Promise<void>;
  /** How long to wait for `cleanupRemote` ({@linkcode REMOTE_CLEANUP_WAIT_MS}). */
  readonly remoteWaitMs?: number;
}

/**
 * Marks crashed runs interrupted and kills their leftover process groups, giving them
 * `options.killGraceMs` ({@link RECOVERY_KILL_GRACE_MS} when absent) between SIGTERM and
 * SIGKILL; then has `options.cleanupRemote` clean up what they left on other machines.
 */
export async function recoverRuns(
  storage: RunStore & TaskStore & Pick<StoreLifecycle, "flush">,
  options: RecoveryOptions = {},
): Promise<RunRecord[]> {
  const recovered: RunRecord[] = [];
  const groups: number[] = [];
  const now = Date.now();
  for (const run of storage.runningRuns()) {
    // Another live scheduler's run (two processes on one database): not ours to touch.
    if (ownerAlive(run.owner)) continue;
    for (const task of storage.listTaskRuns(run.id)) {
      if (task.status !== "running" && task.status !== "pending") continue;
      if (task.pgid !== null && sameProcessGroup(task.pgid, task.proc_start)) {
        groups.push(task.pgid);
      }
      storage.updateTaskRun(run.id, task.task_id, {
        status: "failed",
        error: "interrupted",
        ended_at: now,
        pgid: null,
        proc_start: null,
      });
    }
    storage.updateRun(run.id, {
      status: "interrupted",
      ended_at: now,
      duration_ms: now - run.started_at,
      error: "interrupted: Petit stopped while the run was running",
    });
    recovered.push({ ...run, status: "interrupted" });
  }
  try {
    storage.flush();
  } catch (err) {
    // A full disk: the writes are kept and committed once it takes them (the scheduler logs
    // it); the processes are still ours to stop.
    if (!(err instanceof WritesNotCommittedError)) throw err;
  }
  if (recovered.length > 0) {
    const ids = new Set(recovered.map((r) => r.id));
    // Process groups whose start had not reached the disk yet, and daemons that left their
    // task's group, are found by their PETIT_RUN_ID.
    for (const found of (await findRunProcessGroups(ids)).values()) {
      for (const g of found) if (!groups.includes(g)) groups.push(g);
    }
    await removeRunDirs(ids);
  }
  const remote = recovered.length > 0 && options.cleanupRemote
    ? options.cleanupRemote(new Set(recovered.map((r) => r.id))).catch(() => {})
    : null;
  await terminateGroups(groups, options.killGraceMs ?? RECOVERY_KILL_GRACE_MS);
  if (remote) await within(remote, options.remoteWaitMs ?? REMOTE_CLEANUP_WAIT_MS);
  return recovered;
}

/** Waits for `work` at most `ms` (a cluster that does not answer must not hold start-up). */
async function within(work: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([work, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** Removes the scratch folders (`petit-<run-id>-*` in the temp dir) of crashed runs. */
async function removeRunDirs(runIds: ReadonlySet<string>): Promise<void> {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  try {
    for await (const entry of Deno.readDir(tmp)) {
      if (!entry.isDirectory || !entry.name.startsWith("petit-")) continue;
      const runId = [...runIds].find((id) => entry.name.startsWith(`petit-${id}-`));
      if (runId) await Deno.remove(`${tmp}/${entry.name}`, { recursive: true }).catch(() => {});
    }
  } catch {
    // An unreadable temp folder only means leftovers stay; recovery goes on.
  }
}

/**
 * Whether `pgid` is still the group we started. While any member lives the kernel does
 * not reuse the id as a new group; if a process with the leader's pid lives, its start
 * time must match the record (else the pid was reused and nothing of ours is left there).
 */
function sameProcessGroup(pgid: number, procStart: string | null): boolean {
  if (!isProcessGroupAlive(pgid)) return false;
  let leaderAlive = true;
  try {
    Deno.kill(pgid, "SIGCONT"); // harmless existence probe of the leader pid
  } catch {
    leaderAlive = false;
  }
  return !leaderAlive || isSameProcess(pgid, procStart);
}

async function terminateGroups(groups: number[], graceMs: number): Promise<void> {
  if (groups.length === 0) return;
  for (const g of groups) killProcessGroup(g, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && groups.some(isProcessGroupAlive)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const g of groups) if (isProcessGroupAlive(g)) killProcessGroup(g, "SIGKILL");
}
