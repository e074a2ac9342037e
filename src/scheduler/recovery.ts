/**
 * Recovery at start: runs left `running` by a crashed Petit become `interrupted`, their
 * unfinished tasks `failed` ("interrupted"), and the process groups recorded for their
 * running tasks are terminated if they are still alive.
 *
 * @module
 */

import {
  isProcessGroupAlive,
  isSameProcess,
  killProcessGroup,
  processStartEpoch,
  startToken,
} from "../exec/process/mod.ts";
import type { RunRecord, RunStore, StoreLifecycle, TaskStore } from "../storage/types.ts";

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

/** Marks crashed runs interrupted and kills their leftover process groups. */
export async function recoverRuns(
  storage: RunStore & TaskStore & Pick<StoreLifecycle, "flush">,
  options: { killGraceMs?: number } = {},
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
  storage.flush();
  if (recovered.length > 0) {
    const ids = new Set(recovered.map((r) => r.id));
    // Process groups whose start had not reached the disk yet are found by their
    // PETIT_RUN_ID; the set removes groups found both ways.
    for (const g of findRunProcessGroups(ids)) if (!groups.includes(g)) groups.push(g);
    await removeRunDirs(ids);
  }
  await terminateGroups(groups, options.killGraceMs ?? 2000);
  return recovered;
}

/**
 * Process groups of processes whose environment says they belong to one of `runIds`
 * (every task gets PETIT_RUN_ID). Uses `ps` (procps), since Deno reads /proc only with
 * full permissions; without `ps` nothing is found and only recorded groups are killed.
 */
export function findRunProcessGroups(runIds: ReadonlySet<string>): number[] {
  let text: string;
  try {
    const out = new Deno.Command("ps", {
      args: ["axeww", "-o", "pid=,pgid=,args="],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    if (!out.success) return [];
    text = new TextDecoder().decode(out.stdout);
  } catch {
    return [];
  }
  const found = new Set<number>();
  let ownGroup = Deno.pid;
  for (const line of text.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s(.*)$/.exec(line);
    if (!match) continue;
    const [, pid, pgid, rest] = match;
    if (Number(pid) === Deno.pid) ownGroup = Number(pgid);
    const runId = /(?:^|\s)PETIT_RUN_ID=(\S+)/.exec(rest)?.[1];
    if (runId !== undefined && runIds.has(runId) && Number(pgid) > 1) found.add(Number(pgid));
  }
  // Never our own group (a pt started from inside a task inherits a PETIT_RUN_ID).
  found.delete(ownGroup);
  found.delete(Deno.pid);
  return [...found];
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
