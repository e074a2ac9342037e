/**
 * The scheduler under load, measured on real `pt run` processes (`--no-api`, a fresh SQLite
 * file per scenario, started with the project's permissions) and their databases:
 *
 * - (a) firing lateness of one every-second job over 60 s: `started_at - scheduled_for` of
 *   each stored run; bar p99 < 10 ms.
 * - (b) idle cost with 1,000 scheduled jobs, none due while measuring (each fires once an
 *   hour, at a minute at least 20 minutes away): CPU% from `/proc/<pid>/stat` utime+stime
 *   over 60 s, from 5 s after the start, and VmRSS at the end of that window (settled: V8
 *   gives back the heap grown while loading the files about 30 s after the start; the peak
 *   is shown too); bars CPU < 1%, settled RSS < 100 MB.
 * - (c) 200 jobs all firing every second for 60 s: runs per job, no slot missed (each job's
 *   consecutive slots exactly 1,000 ms apart, none skipped), p99 lateness < 50 ms.
 *
 * Run: `deno run -A bench/scheduler.ts` (`--quick`: 10 s instead of 60 s per scenario,
 * `--only a,c` to pick scenarios). Prints a Markdown table; exit 1 if a bar is missed.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { PT_FLAGS, PT_MAIN } from "./pt_flags.ts";

const quick = Deno.args.includes("--quick");
const onlyIdx = Deno.args.indexOf("--only");
const only = new Set(onlyIdx >= 0 ? Deno.args[onlyIdx + 1].split(",") : ["a", "b", "c"]);
const SECONDS = quick ? 10 : 60;
/** Time for startup (module loading, JIT, first GCs) to settle before measuring (b). */
const SETTLE_MS = 5_000;

const MAIN = PT_MAIN;
/** The flags `deno task pt` uses (permissions and V8 flags). */
const PERMS = PT_FLAGS;
const CLK_TCK = Number(
  new TextDecoder().decode(new Deno.Command("getconf", { args: ["CLK_TCK"] }).outputSync().stdout),
) || 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Row {
  scenario: string;
  metric: string;
  value: string;
  bar: string;
  ok: boolean | null;
}
const rows: Row[] = [];

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

/** A `pt run` process with its log collected. */
class PtRun {
  readonly child: Deno.ChildProcess;
  log = "";
  readonly spawnedAt = Date.now();
  readonly exited: Promise<Deno.CommandStatus>;

  constructor(dir: string, db: string) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(Deno.env.toObject())) {
      if (!k.startsWith("PETIT_")) env[k] = v;
    }
    env.XDG_CONFIG_HOME = `${dir}/xdg`; // no stray config file
    const child = this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMS, MAIN, "run", `${dir}/jobs`, "--db", db, "--no-api"],
      env,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const read = (async () => {
      for await (const t of child.stderr.pipeThrough(new TextDecoderStream())) this.log += t;
    })();
    this.exited = Promise.all([child.status, read]).then(([s]) => s);
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Waits for the "petit started" line; returns ms since spawn. */
  async ready(): Promise<number> {
    const deadline = Date.now() + 120_000;
    while (!/INFO {2}petit started/.test(this.log)) {
      if (Date.now() > deadline) throw new Error(`pt run did not start:\n${this.log}`);
      await sleep(20);
    }
    return Date.now() - this.spawnedAt;
  }

  async stop(): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // gone
    }
    const status = await this.exited;
    if (status.code !== 0) throw new Error(`pt run exited ${status.code}:\n${this.log}`);
  }
}

async function makeDir(jobs: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "petit-bench-sched-" });
  await Deno.mkdir(`${dir}/jobs`);
  await Promise.all(
    Object.entries(jobs).map(([id, yaml]) => Deno.writeTextFile(`${dir}/jobs/${id}.yaml`, yaml)),
  );
  return dir;
}

const job = (id: string, schedule: string) =>
  `id: ${id}\nschedule: "${schedule}"\ntasks:\n  - id: t\n    command: "true"\n`;

interface Fired {
  job_id: string;
  status: string;
  scheduled_for: number;
  started_at: number;
  /** When the run's first task process started, or null. */
  task_started_at: number | null;
}

function readRuns(db: string): Fired[] {
  const conn = new DatabaseSync(db, { readOnly: true });
  try {
    return conn.prepare(
      `SELECT job_id, status, scheduled_for, started_at,
          (SELECT min(a.started_at) FROM attempts a WHERE a.rk = runs.rk) AS task_started_at
        FROM runs WHERE scheduled_for IS NOT NULL ORDER BY job_id, scheduled_for`,
    ).all().map((r) => ({
      job_id: String(r.job_id),
      status: String(r.status),
      scheduled_for: Number(r.scheduled_for),
      started_at: Number(r.started_at),
      task_started_at: r.task_started_at === null ? null : Number(r.task_started_at),
    }));
  } finally {
    conn.close();
  }
}

function latenessRows(scenario: string, runs: readonly Fired[], barP99: number): void {
  const late = runs.filter((r) => r.status !== "skipped").map((r) => r.started_at - r.scheduled_for)
    .sort((a, b) => a - b);
  const p99 = percentile(late, 99);
  rows.push({
    scenario,
    metric: "lateness p50",
    value: `${percentile(late, 50)} ms`,
    bar: "",
    ok: null,
  });
  rows.push({
    scenario,
    metric: "lateness p99",
    value: `${p99} ms`,
    bar: `< ${barP99} ms`,
    ok: p99 < barP99,
  });
  rows.push({ scenario, metric: "lateness max", value: `${late.at(-1)} ms`, bar: "", ok: null });
  // For information: when the first task process of each run started (spawn throughput).
  const task = runs.filter((r) => r.task_started_at !== null)
    .map((r) => r.task_started_at! - r.scheduled_for).sort((a, b) => a - b);
  rows.push({
    scenario,
    metric: "task process start p50 / p99 (info)",
    value: `${percentile(task, 50)} / ${percentile(task, 99)} ms`,
    bar: "",
    ok: null,
  });
}

/** Runs `pt run` over `jobs` for `SECONDS` after its start, then reads its runs. */
async function fireFor(jobs: Record<string, string>): Promise<{ runs: Fired[]; startup: number }> {
  const dir = await makeDir(jobs);
  try {
    const pt = new PtRun(dir, `${dir}/petit.db`);
    let startup: number;
    try {
      startup = await pt.ready();
      await sleep(SECONDS * 1000);
    } finally {
      await pt.stop();
    }
    return { runs: readRuns(`${dir}/petit.db`), startup };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function scenarioA(): Promise<void> {
  const name = "(a) 1 job, every second";
  const { runs } = await fireFor({ tick: job("tick", "* * * * * *") });
  rows.push({ scenario: name, metric: "runs", value: String(runs.length), bar: "", ok: null });
  latenessRows(name, runs, 10);
}

function procStat(pid: number): { ticks: number; rssKb: number; peakKb: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1]);
  return { ticks, rssKb: kb("VmRSS"), peakKb: kb("VmHWM") };
}

async function scenarioB(): Promise<void> {
  const name = "(b) 1,000 jobs, idle";
  // Each job fires once an hour at minute M, at least 20 minutes from now (and from the end).
  const minute = (new Date().getUTCMinutes() + 30) % 60; // 30 min away, measuring ≤ 2 min
  const jobs: Record<string, string> = {};
  for (let i = 0; i < 1000; i++) {
    const id = `idle-${String(i).padStart(4, "0")}`;
    jobs[id] = job(id, `${i % 60} ${minute} * * * *`);
  }
  const dir = await makeDir(jobs);
  try {
    const pt = new PtRun(dir, `${dir}/petit.db`);
    try {
      const startup = await pt.ready();
      await sleep(SETTLE_MS);
      const t0 = performance.now();
      const s0 = procStat(pt.pid);
      await sleep(SECONDS * 1000);
      const s1 = procStat(pt.pid);
      const secs = (performance.now() - t0) / 1000;
      const cpu = ((s1.ticks - s0.ticks) / CLK_TCK / secs) * 100;
      const fired = readRuns(`${dir}/petit.db`).length;
      rows.push({ scenario: name, metric: "startup", value: `${startup} ms`, bar: "", ok: null });
      rows.push({
        scenario: name,
        metric: `CPU over ${Math.round(secs)} s`,
        value: `${cpu.toFixed(2)}% (${s1.ticks - s0.ticks} ticks)`,
        bar: "< 1%",
        ok: cpu < 1,
      });
      rows.push({
        scenario: name,
        metric: `RSS settled (at ${Math.round((SETTLE_MS + secs * 1000) / 1000)} s) / peak`,
        value: `${(s1.rssKb / 1024).toFixed(1)} / ${(s1.peakKb / 1024).toFixed(1)} MB` +
          (quick ? " (--quick: not settled yet, not judged)" : ""),
        bar: "< 100 MB",
        ok: quick ? null : s1.rssKb < 100 * 1024,
      });
      rows.push({
        scenario: name,
        metric: "runs fired (expect 0)",
        value: String(fired),
        bar: "0",
        ok: fired === 0,
      });
    } finally {
      await pt.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function scenarioC(): Promise<void> {
  const name = "(c) 200 jobs, every second";
  const jobs: Record<string, string> = {};
  for (let i = 0; i < 200; i++) {
    const id = `busy-${String(i).padStart(3, "0")}`;
    jobs[id] = job(id, "* * * * * *");
  }
  const { runs } = await fireFor(jobs);
  const byJob = new Map<string, Fired[]>();
  for (const r of runs) byJob.set(r.job_id, [...(byJob.get(r.job_id) ?? []), r]);
  const counts = [...byJob.values()].map((rs) => rs.length).sort((a, b) => a - b);
  let gaps = 0;
  let skipped = 0;
  for (const rs of byJob.values()) {
    for (let i = 1; i < rs.length; i++) {
      if (rs[i].scheduled_for - rs[i - 1].scheduled_for !== 1000) gaps++;
    }
    skipped += rs.filter((r) => r.status === "skipped").length;
  }
  // Every job has the same slots: the first and last slot of all jobs agree.
  const firsts = new Set([...byJob.values()].map((rs) => rs[0].scheduled_for));
  const lasts = new Set([...byJob.values()].map((rs) => rs.at(-1)!.scheduled_for));
  const allRan = byJob.size === 200 && firsts.size === 1 && lasts.size === 1;
  rows.push({
    scenario: name,
    metric: "runs per job (min / max)",
    value: `${counts[0]} / ${counts.at(-1)} (${runs.length} in all)`,
    bar: `≈ ${SECONDS}`,
    ok: counts[0] >= SECONDS - 1,
  });
  rows.push({
    scenario: name,
    metric: "missed slots (gaps, skipped)",
    value: `${gaps}, ${skipped}${
      allRan ? "" : ` — jobs ${byJob.size}, first slots ${firsts.size}, last slots ${lasts.size}`
    }`,
    bar: "0, 0",
    ok: gaps === 0 && skipped === 0 && allRan,
  });
  latenessRows(name, runs, 50);
}

const scenarios: [string, () => Promise<void>][] = [
  ["a", scenarioA],
  ["b", scenarioB],
  ["c", scenarioC],
];
for (const [key, fn] of scenarios) {
  if (!only.has(key)) continue;
  console.error(`running scenario ${key} (${SECONDS} s)…`);
  await fn();
}

console.log(
  `\nScheduler bench, ${SECONDS} s per scenario${quick ? " (--quick)" : ""}, ` +
    `${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}\n`,
);
console.log("| scenario | metric | value | bar | ok |");
console.log("| --- | --- | --- | --- | --- |");
for (const r of rows) {
  console.log(
    `| ${r.scenario} | ${r.metric} | ${r.value} | ${r.bar} | ${
      r.ok === null ? "" : r.ok ? "yes" : "**NO**"
    } |`,
  );
}
if (rows.some((r) => r.ok === false)) Deno.exitCode = 1;
