/**
 * Memory of another process from `/proc/<pid>/status`, and two ways the benchmarks sample it:
 * at fixed times while a process idles, and its peak while a process runs to its end. Shared by
 * `memory.ts` and `issue11.ts`.
 *
 * Deno asks for all access (-A) to read another process's `/proc/<pid>/status` (with only
 * --allow-read it waits on a permission prompt), so the harnesses run with -A. Linux only.
 *
 * @module
 */

/** Memory figures of a process, in KiB. */
export interface Mem {
  /** VmRSS: resident set. */
  rssKb: number;
  /** RssAnon: its anonymous part (heaps, stacks; not file-backed pages). */
  anonKb: number;
  /** VmHWM: the kernel's high-water mark of VmRSS. */
  hwmKb: number;
}

/** VmRSS, RssAnon and VmHWM of `pid`, or null once it is gone. */
export function readMem(pid: number): Mem | null {
  let status: string;
  try {
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return null;
  }
  const kb = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1]);
  return { rssKb: kb("VmRSS"), anonKb: kb("RssAnon"), hwmKb: kb("VmHWM") };
}

/** KiB as MiB with one decimal. */
export const mib = (kb: number): string => (kb / 1024).toFixed(1);

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> =>
  new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** `min–max` of KiB figures as MiB, or the one value when they are equal. */
export function range(xs: number[]): string {
  if (xs.length === 0) return "-";
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? mib(lo) : `${mib(lo)}–${mib(hi)}`;
}

/** SIGTERM (a graceful stop), then SIGKILL if `child` has not ended 5 s later. */
export async function stop(child: Deno.ChildProcess): Promise<Deno.CommandStatus> {
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), 5000);
  try {
    return await child.status;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Spawns `deno run <args>`, samples its memory `atS` seconds after the spawn, stops it.
 * Throws (with its stderr) if it exits before the last sample.
 */
export async function sampleIdle(
  args: string[],
  atS: readonly number[],
  env?: Record<string, string>,
): Promise<Mem[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...args],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const t0 = performance.now();
  const samples: Mem[] = [];
  try {
    for (const s of atS) {
      await sleep(t0 + s * 1000 - performance.now());
      const m = readMem(child.pid);
      if (m === null) throw new Error(`exited before ${s} s: ${await stderr}`);
      samples.push(m);
    }
  } finally {
    await stop(child);
    await stderr;
  }
  return samples;
}

/** What {@link runToEnd} measured. */
export interface Ended {
  /** Wall time from spawn to exit, ms. */
  wallMs: number;
  /** Largest VmRSS seen (every `pollMs`) or VmHWM at the last sample, KiB. */
  peakKb: number;
  /**
   * Largest VmRSS of the process plus its child processes that are Deno (a loader process
   * of `pt`; not the tasks' programs), summed at each poll, KiB.
   */
  treePeakKb: number;
  /** Exit code. */
  code: number;
  /** Its stderr. */
  stderr: string;
}

/**
 * Runs `program args` to its end, timing it, and polls its memory every `pollMs` (VmRSS, and
 * the kernel's VmHWM, which also catches a peak between two polls while the process lives).
 */
export async function runToEnd(
  program: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; pollMs?: number } = {},
): Promise<Ended> {
  const pollMs = options.pollMs ?? 20;
  const t0 = performance.now();
  const child = new Deno.Command(program, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let done = false;
  let peakKb = 0;
  let treePeakKb = 0;
  const poll = (async () => {
    while (!done) {
      const m = readMem(child.pid);
      if (m) {
        peakKb = Math.max(peakKb, m.rssKb || 0, m.hwmKb || 0);
        let tree = m.rssKb || 0;
        for (const pid of denoChildren(child.pid)) tree += readMem(pid)?.rssKb || 0;
        treePeakKb = Math.max(treePeakKb, tree);
      }
      await sleep(pollMs);
    }
  })();
  const { code } = await child.status;
  const wallMs = performance.now() - t0;
  done = true;
  await poll;
  return { wallMs, peakKb, treePeakKb: Math.max(treePeakKb, peakKb), code, stderr: await stderr };
}

/**
 * The child processes of `pid` that run Deno (by their command name), other than those
 * still sharing its memory: a child between its fork and its `exec` (every task's program
 * starts so) has the parent's command line and VmRSS, and would count the parent twice.
 */
function denoChildren(pid: number): number[] {
  let text: string;
  let own: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`);
    own = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
  } catch {
    return [];
  }
  return text.split(" ").filter((p) => p !== "").map(Number).filter((child) => {
    try {
      return Deno.readTextFileSync(`/proc/${child}/comm`).trim() === "deno" &&
        Deno.readTextFileSync(`/proc/${child}/cmdline`) !== own;
    } catch {
      return false;
    }
  });
}
