/**
 * Processes a run leaves behind: daemons a task detached from its process group (`setsid`,
 * a double fork) outlive the group's kill sequence, but keep the `PETIT_RUN_ID` every task
 * gets in their environment. {@link findRunProcessGroups} finds their process groups by it;
 * {@link terminateLeftovers} runs the usual SIGTERM → grace → SIGKILL on them at run end.
 * A process that cleared or changed that variable is not found. Linux only; needs
 * --allow-run (and reads /proc directly only under --allow-all).
 *
 * Finding them costs one scan of the process table per run end (runs that end together
 * share one). Measured on a laptop with ~90 processes (50 scans each, median): `grep` over
 * `/proc/[0-9]*\/environ` 4.5 ms wall and 3.8 ms CPU; `ps axeww` 13.5 ms and 10 ms; reading
 * /proc from Deno (only allowed with --allow-all) 3.8 ms, a few dozen reads per turn of the
 * event loop. So: /proc when Deno may read it, else grep, else ps.
 *
 * @module
 */

import { terminateGroup } from "./groups.ts";
import { isProcDenied, noteProcError, readProc, statFields } from "./proc.ts";

/** The environment variable that ties a process to its run. */
const RUN_ID_VAR = "PETIT_RUN_ID";

/**
 * Process groups of processes whose environment holds `PETIT_RUN_ID=<id>` for one of
 * `runIds`, by run id. Never our own group or pid (a `pt` started from a task inherits a
 * PETIT_RUN_ID). Never rejects: a scan that cannot run finds nothing.
 */
export async function findRunProcessGroups(
  runIds: ReadonlySet<string>,
): Promise<Map<string, number[]>> {
  const found = new Map<string, number[]>();
  if (runIds.size === 0) return found;
  const byPid = (await scanProc(runIds)) ?? (await scanGrep(runIds)) ?? (await scanPs(runIds));
  if (byPid === null || byPid.size === 0) return found;
  const groups = await groupsOf([...byPid.keys(), Deno.pid]);
  const own = groups.get(Deno.pid) ?? Deno.pid;
  for (const [pid, runId] of byPid) {
    const pgid = groups.get(pid);
    if (pgid === undefined || pgid <= 1 || pgid === own || pgid === Deno.pid) continue;
    const list = found.get(runId) ?? [];
    if (!list.includes(pgid)) list.push(pgid);
    found.set(runId, list);
  }
  return found;
}

/** The batch of run ids the next scan looks for, and the promise of its result. */
interface Batch {
  readonly ids: Set<string>;
  readonly result: Promise<Map<string, number[]>>;
}

let nextBatch: Batch | null = null;
let scanning: Promise<void> = Promise.resolve();

/**
 * The process groups of `runId`'s leftovers. Runs that end while a scan is under way (or in
 * the same tick) share the next one: one scan a burst, not one a run.
 */
function leftoverGroups(runId: string): Promise<number[]> {
  let batch = nextBatch;
  if (batch === null) {
    const ids = new Set<string>();
    const { promise, resolve } = Promise.withResolvers<Map<string, number[]>>();
    const created: Batch = { ids, result: promise };
    batch = nextBatch = created;
    const previous = scanning;
    scanning = (async () => {
      await previous; // one scan at a time; also lets callers of this tick join
      if (nextBatch === created) nextBatch = null;
      resolve(await findRunProcessGroups(ids));
    })();
  }
  batch.ids.add(runId);
  return batch.result.then((found) => found.get(runId) ?? []);
}

/**
 * Finds the processes left behind by the finished run `runId` and terminates their groups
 * (SIGTERM, SIGKILL after `graceMs`). Resolves with how many groups there were.
 */
export async function terminateLeftovers(runId: string, graceMs: number): Promise<number> {
  const groups = await leftoverGroups(runId);
  await Promise.all(groups.map((g) => terminateGroup(g, graceMs)));
  return groups.length;
}

/** Whether an environment entry (`NAME=value`) names one of `runIds`; that id, or null. */
function runIdOf(entry: string, runIds: ReadonlySet<string>): string | null {
  if (!entry.startsWith(`${RUN_ID_VAR}=`)) return null;
  const id = entry.slice(RUN_ID_VAR.length + 1);
  return runIds.has(id) ? id : null;
}

/**
 * Processes whose /proc reads are made between two turns of the event loop.
 *
 * @default {32}
 */
const PROC_READS_PER_TURN = 32;

/**
 * Reads /proc/<pid>/environ of every process; null when Deno may not read /proc. The reads
 * are synchronous, a few dozen per turn of the event loop (each takes microseconds): one
 * async read per process put a hundred reads at once on Deno's blocking-thread pool at
 * every run end, which grew to ~25 threads (and their memory) under a steady load
 * (bench/README.md, issue 11).
 */
async function scanProc(runIds: ReadonlySet<string>): Promise<Map<number, string> | null> {
  if (isProcDenied()) return null;
  const found = new Map<number, string>();
  const decoder = new TextDecoder();
  let pids: number[];
  try {
    pids = [...Deno.readDirSync("/proc")]
      .filter((entry) => {
        const c = entry.name.charCodeAt(0);
        return c >= 48 && c <= 57; // a pid directory
      })
      .map((entry) => Number(entry.name));
  } catch (e) {
    noteProcError(e);
    return null;
  }
  for (let i = 0; i < pids.length; i++) {
    if (i > 0 && i % PROC_READS_PER_TURN === 0) await new Promise((r) => setTimeout(r, 0));
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(`/proc/${pids[i]}/environ`);
    } catch {
      continue; // gone meanwhile, or another user's
    }
    for (const item of decoder.decode(bytes).split("\0")) {
      const id = runIdOf(item, runIds);
      if (id !== null) found.set(pids[i], id);
    }
  }
  return found;
}

/**
 * `grep` over /proc/[0-9]*\/environ (NUL-separated entries, whole entries only); null when
 * it cannot run or does not know the options (busybox without -z), so `ps` is asked.
 */
async function scanGrep(runIds: ReadonlySet<string>): Promise<Map<number, string> | null> {
  const patterns = [...runIds].flatMap((id) => ["-e", `${RUN_ID_VAR}=${id}`]);
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("sh", {
      // Exit status 2 is normal here (another user's environ is unreadable): read stdout.
      args: ["-c", 'exec grep -lsxzF "$@" /proc/[0-9]*/environ', "sh", ...patterns],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch {
    return null;
  }
  if (out.stderr.length > 0) return null;
  const pids = new TextDecoder().decode(out.stdout).split("\n")
    .map((line) => /^\/proc\/(\d+)\/environ$/.exec(line)?.[1])
    .filter((pid) => pid !== undefined).map(Number);
  if (pids.length === 0) return new Map();
  if (runIds.size === 1) return new Map(pids.map((pid) => [pid, [...runIds][0]]));
  // Several runs: which one each process belongs to, from ps (rare: found ones only).
  return await scanPs(runIds, pids);
}

/** `ps axeww` (args and environment of every process of ours); null when ps fails. */
async function scanPs(
  runIds: ReadonlySet<string>,
  only?: readonly number[],
): Promise<Map<number, string> | null> {
  const text = await psText(
    only ? ["eww", "-o", "pid=,args=", "-p", only.join(",")] : ["axeww", "-o", "pid=,args="],
  );
  if (text === null) return null;
  const found = new Map<number, string>();
  for (const line of text.split("\n")) {
    const match = /^\s*(\d+)\s(.*)$/.exec(line);
    if (!match) continue;
    for (const word of match[2].split(/\s+/)) {
      const id = runIdOf(word, runIds);
      if (id !== null) found.set(Number(match[1]), id);
    }
  }
  return found;
}

/** Process group of each of `pids` that is still there (/proc, else `ps`). */
async function groupsOf(pids: readonly number[]): Promise<Map<number, number>> {
  const groups = new Map<number, number>();
  if (!isProcDenied()) {
    for (const pid of pids) {
      const stat = readProc(`/proc/${pid}/stat`);
      if (stat !== null) groups.set(pid, Number(statFields(stat)[2]));
    }
    if (!isProcDenied()) return groups;
  }
  const text = await psText(["-o", "pid=,pgid=", "-p", pids.join(",")]);
  for (const line of (text ?? "").split("\n")) {
    const [pid, pgid] = line.trim().split(/\s+/).map(Number);
    if (Number.isInteger(pid) && Number.isInteger(pgid)) groups.set(pid, pgid);
  }
  return groups;
}

/** Runs `ps` with `args`; its stdout, or null when it cannot run. */
async function psText(args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command("ps", { args, stdout: "piped", stderr: "null" }).output();
    // Exit status 1 with -p only means some pids are gone.
    return new TextDecoder().decode(out.stdout);
  } catch {
    return null;
  }
}
