/**
 * Issue 11's table in one run: every row measured side by side with its floor or peer.
 *
 * 1. Idle `pt run jobs/` (the example jobs, API on at port 0, a SQLite file): VmRSS and
 *    RssAnon 15 s after the spawn, alternating with the floor (`memory_floor.ts`: Deno +
 *    node:sqlite + Hono + `Deno.serve` + a 1 s timer). Bars ≤ 55 MiB / ≤ 20 MiB. Then, for
 *    information, the same process 15 s after one request to each of four routes (the API's
 *    routes load on the first request).
 * 2. `pt trigger` of a fan-out/fan-in of `true` (root → N−2 middle tasks → sink), `-t 4`:
 *    peak RSS (VmRSS polled every 20 ms, and VmHWM) for 1,000 and 5,000 tasks. Bars ≤ 80 and
 *    ≤ 100 MiB.
 * 3. The 1,000-task fan and a 1,000-task chain against `ninja -j4` on the same graph (the
 *    Debian `ninja-build` package; `rule t` / `command = true`, order-only edges), ninja
 *    right before Petit on each graph, median wall time over median wall time. Bars ≤ 2.5×
 *    and ≤ 2.8×.
 * 4. Per-task wall cost, 5,000 against 1,000 tasks, chain and fan: the marginal cost
 *    (wall(N) − wall(1 task)) / (N − 1), medians; bar within 10%.
 *    Rows 2–4 share their runs, interleaved: each round runs every graph once, so a load
 *    that comes and goes on this shared machine falls on all sizes alike.
 * 5. Steady load: 10 jobs firing every second, 2 tasks each (20 tasks/s), under `pt run`
 *    (API on): VmRSS/RssAnon every 5 s; the figure from minute 2 to the end (max, and the
 *    growth: a least-squares slope over those samples), and the fires missed (slots not one
 *    second apart, skipped runs). Bar ≤ 80 MiB, no growth, none missed. `--minutes`
 *    (default 4) sets the length; the issue's 20-minute figure is a run with `--minutes 20`.
 *
 * Petit always runs with the flags of deno.json's `pt` / `run` tasks (`pt_flags.ts`), so
 * what is measured is what users run. The harness needs -A to read `/proc/<pid>/status`.
 * Run from another checkout (a copy of this file, `proc_mem.ts` and `graphs.ts` in its `bench/`), it
 * measures that checkout: how bench/README.md's "before" figures were taken side by side.
 *
 * Usage: deno run -A bench/issue11.ts [--quick] [--runs N] [--minutes M] [--only 1,2,3,4,5]
 *        [--util-setsid] (Petit starts tasks through util-linux `setsid`, not its stub)
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Ended,
  type Mem,
  mib,
  readMem,
  runToEnd,
  sampleIdle,
  sleep,
  stop,
} from "./proc_mem.ts";
import { ensureTool, type Graph, graph, jobYaml, ninjaFile } from "./graphs.ts";
import { PT_FLAGS, PT_MAIN, RUN_FLAGS } from "./pt_flags.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const MAIN = PT_MAIN;
const FLOOR = here("memory_floor.ts");
const JOBS = here("../jobs");

function flag(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const QUICK = Deno.args.includes("--quick");
const RUNS = flag("--runs", QUICK ? 1 : 3);
const MINUTES = flag("--minutes", QUICK ? 2.5 : 4);
const onlyAt = Deno.args.indexOf("--only");
const ONLY = new Set(onlyAt >= 0 ? Deno.args[onlyAt + 1].split(",") : ["1", "2", "3", "4", "5"]);
const MAX_TASKS = 4;
const IDLE_AT_S = 15;
/** Where the steady-load figure starts (minute 2, or half the run when shorter). */
const STEADY_FROM_S = Math.min(120, (MINUTES * 60) / 2);
const STEADY_SAMPLE_S = 5;

/** A clean environment for Petit: no PETIT_* from the caller, no stray config file. */
function ptEnv(root: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("PETIT_")) env[k] = v;
  }
  env.XDG_CONFIG_HOME = join(root, "xdg");
  // `--util-setsid`: tasks through util-linux setsid instead of Petit's stub (to compare).
  if (Deno.args.includes("--util-setsid")) env.PETIT_SETSID_STUB = "0";
  return env;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const verdict = (ok: boolean) => (ok ? "ok" : "**missed**");

// ---- graphs ----

/** Writes the job file of `g` into its own folder under `root`; returns the folder. */
async function jobDir(root: string, g: Graph): Promise<string> {
  const dir = join(root, `${g.name}-jobs`);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, `${g.name}.yaml`), jobYaml(g));
  return dir;
}

let runCounter = 0;

/** One `pt trigger` of `g` with a fresh database, `-t 4 -q`. */
async function trigger(root: string, g: Graph): Promise<Ended> {
  const dir = await jobDir(root, g);
  const db = join(root, `run-${runCounter++}.db`);
  const args = ["run", ...PT_FLAGS, MAIN, "trigger", dir, g.name, "--db", db];
  args.push("-t", String(MAX_TASKS), "-q");
  const r = await runToEnd(Deno.execPath(), args, { env: ptEnv(root) });
  if (r.code !== 0) throw new Error(`pt trigger ${g.name} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** One `ninja -j4` of `g` from a clean folder. */
async function ninja(root: string, bin: string, g: Graph): Promise<Ended> {
  const dir = join(root, `${g.name}-ninja`);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "build.ninja"), ninjaFile(g));
  for (const f of [".ninja_log", ".ninja_deps"]) await Deno.remove(join(dir, f)).catch(() => {});
  const r = await runToEnd(bin, [`-j${MAX_TASKS}`], { cwd: dir });
  if (r.code !== 0) throw new Error(`ninja ${g.name} exited ${r.code}: ${r.stderr}`);
  return r;
}

// ---- rows ----

interface Row {
  measure: string;
  petit: string;
  peer: string;
  bar: string;
  ok: boolean | null;
}
const rows: Row[] = [];

/**
 * `pt run jobs/` idle: memory `IDLE_AT_S` after the spawn; then one request to each of a few
 * read routes (the API's routes load on the first request), and memory `IDLE_AT_S` later.
 */
async function idlePt(root: string, i: number): Promise<[Mem, Mem]> {
  const db = join(root, `idle-${i}.db`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...RUN_FLAGS, MAIN, "run", JOBS, "--db", db, "--api-port", "0", "-q"],
    env: ptEnv(root),
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const t0 = performance.now();
  let url = "";
  const read = (async () => {
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) url += text;
  })();
  try {
    await sleep(t0 + IDLE_AT_S * 1000 - performance.now());
    const before = readMem(child.pid);
    if (before === null || !url.startsWith("http")) throw new Error("pt run did not start");
    for (const path of ["/api/health", "/api/jobs", "/api/scheduler/state", "/"]) {
      await (await fetch(url.trim() + path)).arrayBuffer();
    }
    await sleep(IDLE_AT_S * 1000);
    const after = readMem(child.pid);
    if (after === null) throw new Error("pt run exited");
    return [before, after];
  } finally {
    await stop(child);
    await read;
  }
}

async function idleRow(root: string): Promise<void> {
  const pt: Mem[] = [];
  const served: Mem[] = [];
  const floor: Mem[] = [];
  for (let i = 0; i < RUNS; i++) {
    console.error(`idle ${i + 1}/${RUNS}: pt run jobs/, then the floor`);
    const [before, after] = await idlePt(root, i);
    pt.push(before);
    served.push(after);
    floor.push(
      (await sampleIdle([...RUN_FLAGS, FLOOR, join(root, `floor-${i}.db`)], [IDLE_AT_S]))[0],
    );
  }
  const rss = pt.map((m) => m.rssKb);
  const anon = pt.map((m) => m.anonKb);
  const span = (xs: number[]) => rangeOf(xs);
  rows.push({
    measure: `idle \`pt run jobs/\` (API on, SQLite), VmRSS / RssAnon at ${IDLE_AT_S} s`,
    petit: `${span(rss)} / ${span(anon)} MiB`,
    peer: `floor ${span(floor.map((m) => m.rssKb))} / ${span(floor.map((m) => m.anonKb))} MiB`,
    bar: "≤ 55 / ≤ 20 MiB",
    ok: Math.max(...rss) <= 55 * 1024 && Math.max(...anon) <= 20 * 1024,
  });
  rows.push({
    measure: `same, ${IDLE_AT_S} s after one request to each of 4 routes (the routes load then)`,
    petit: `${span(served.map((m) => m.rssKb))} / ${span(served.map((m) => m.anonKb))} MiB`,
    peer: "",
    bar: "(information)",
    ok: null,
  });
}

function rangeOf(kbs: number[]): string {
  const lo = Math.min(...kbs);
  const hi = Math.max(...kbs);
  return lo === hi ? mib(lo) : `${mib(lo)}–${mib(hi)}`;
}

/** Wall time (and peak) of every `pt trigger` and `ninja` run, by graph name. */
const pt = new Map<string, Ended[]>();
const nj = new Map<string, Ended[]>();

const push = (into: Map<string, Ended[]>, name: string, r: Ended) =>
  into.set(name, [...(into.get(name) ?? []), r]);

/**
 * The DAG runs of rows 2–4, interleaved: each round runs every graph once (ninja right
 * before Petit on the same graph), so a load that comes and goes on this shared machine
 * falls on all sizes alike instead of on whichever ran during it.
 */
async function dagRuns(root: string, bin: string | null): Promise<void> {
  const graphs: [Graph, boolean][] = [];
  if (ONLY.has("3") || ONLY.has("4")) {
    graphs.push([graph("chain", 1), false], [graph("chain", 1000), true]);
  }
  graphs.push([graph("fan", 1000), ONLY.has("3")]);
  if (ONLY.has("2") || ONLY.has("4")) graphs.push([graph("fan", 5000), false]);
  if (ONLY.has("4")) graphs.push([graph("chain", 5000), false]);
  for (let i = 0; i < RUNS; i++) {
    for (const [g, withNinja] of graphs) {
      console.error(
        `round ${i + 1}/${RUNS}: ${g.name}${withNinja && bin ? " (ninja, then pt)" : ""}`,
      );
      if (withNinja && bin !== null) push(nj, g.name, await ninja(root, bin, g));
      push(pt, g.name, await trigger(root, g));
    }
  }
}

const wall = (runs: Ended[] | undefined) => median((runs ?? []).map((r) => r.wallMs));

function peakRows(): void {
  for (const [n, bar] of [[1000, 80], [5000, 100]] as const) {
    const runs = pt.get(`fan${n}`);
    if (!runs) continue;
    const peaks = runs.map((r) => r.peakKb);
    rows.push({
      measure: `\`pt trigger\` of a ${n.toLocaleString("en")}-task fan, \`-t 4\`, peak RSS`,
      petit: `${rangeOf(peaks)} MiB`,
      peer: `with its loader process: ${rangeOf(runs.map((r) => r.treePeakKb))} MiB`,
      bar: `≤ ${bar} MiB`,
      ok: Math.max(...peaks) <= bar * 1024,
    });
  }
}

function ninjaRows(bin: string | null): void {
  for (const [shape, bar] of [["fan", 2.5], ["chain", 2.8]] as const) {
    const name = `${shape}1000`;
    if (bin === null || !nj.has(name)) {
      rows.push({
        measure: `1,000-task ${shape} vs ninja`,
        petit: "-",
        peer: "no ninja",
        bar: "",
        ok: null,
      });
      continue;
    }
    const ratio = wall(pt.get(name)) / wall(nj.get(name));
    rows.push({
      measure: `1,000-task ${shape}, wall time against \`ninja -j4\` (medians)`,
      petit: `${fmtS(wall(pt.get(name)))} (${ratio.toFixed(2)}×)`,
      peer: `ninja ${fmtS(wall(nj.get(name)))}`,
      bar: `≤ ${bar}×`,
      ok: ratio <= bar,
    });
  }
}

function perTaskRows(): void {
  const base = wall(pt.get("chain1"));
  for (const shape of ["chain", "fan"] as const) {
    const small = pt.get(`${shape}1000`);
    const big = pt.get(`${shape}5000`);
    if (!small || !big) continue;
    const per1 = (wall(small) - base) / 999;
    const per5 = (wall(big) - base) / 4999;
    const change = per5 / per1 - 1;
    rows.push({
      measure: `per-task wall cost, 5,000 vs 1,000 tasks, ${shape}`,
      petit: `${per5.toFixed(2)} vs ${per1.toFixed(2)} ms (${change >= 0 ? "+" : ""}${
        (change * 100).toFixed(0)
      }%)`,
      peer: `1-task run ${fmtS(base)}`,
      bar: "within 10%",
      ok: Math.abs(change) <= 0.1,
    });
  }
}

/** 10 jobs firing every second, 2 tasks each. */
function steadyJobs(): Record<string, string> {
  const jobs: Record<string, string> = {};
  for (let i = 0; i < 10; i++) {
    jobs[`s${i}`] = `id: s${i}\nschedule: "* * * * * *"\ntasks:\n` +
      `  - id: a\n    command: "true"\n  - id: b\n    command: "true"\n    depends_on: [a]\n`;
  }
  return jobs;
}

/** Least-squares slope of `ys` (KiB) over `xs` (s), in MiB per minute. */
function slopeMibPerMin(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60 / 1024;
}

async function steadyRow(root: string): Promise<void> {
  const dir = join(root, "steady");
  await Deno.mkdir(dir, { recursive: true });
  for (const [id, yaml] of Object.entries(steadyJobs())) {
    await Deno.writeTextFile(join(dir, `${id}.yaml`), yaml);
  }
  const db = join(root, "steady.db");
  console.error(`steady load: ${MINUTES} min`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...RUN_FLAGS, MAIN, "run", dir, "--db", db, "--api-port", "0", "-q"],
    env: ptEnv(root),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const t0 = performance.now();
  const at: number[] = [];
  const samples: Mem[] = [];
  try {
    for (let s = STEADY_SAMPLE_S; s <= MINUTES * 60; s += STEADY_SAMPLE_S) {
      await sleep(t0 + s * 1000 - performance.now());
      const m = readMem(child.pid);
      if (m === null) throw new Error(`pt run exited: ${await stderr}`);
      at.push(s);
      samples.push(m);
    }
  } finally {
    await stop(child);
    await stderr;
  }
  const from = at.findIndex((s) => s >= STEADY_FROM_S);
  const xs = at.slice(from);
  const window = samples.slice(from);
  const rss = window.map((m) => m.rssKb);
  const anon = window.map((m) => m.anonKb);
  const growth = slopeMibPerMin(xs, rss);
  const { gaps, skipped, runs } = missedFires(db);
  const fromLabel = `${(STEADY_FROM_S / 60).toFixed(STEADY_FROM_S % 60 ? 1 : 0)}`;
  rows.push({
    measure: `steady load, 10 every-second jobs × 2 tasks, minute ${fromLabel} → ${MINUTES}: ` +
      "VmRSS (RssAnon), growth, fires missed",
    petit: `${mib(window[0].rssKb)} → ${mib(window.at(-1)!.rssKb)} MiB, max ${
      mib(Math.max(...rss))
    } (${mib(Math.max(...anon))}); ${growth >= 0 ? "+" : ""}${
      growth.toFixed(2)
    } MiB/min; ${runs} runs, ${gaps} gaps, ${skipped} skipped`,
    peer: "",
    bar: "≤ 80 MiB, no growth, none missed",
    ok: Math.max(...rss) <= 80 * 1024 && growth < 0.1 && gaps === 0 && skipped === 0,
  });
}

/** Gaps between consecutive slots of a job (not 1 s apart) and skipped runs, from the store. */
function missedFires(db: string): { gaps: number; skipped: number; runs: number } {
  const conn = new DatabaseSync(db, { readOnly: true });
  try {
    const rs = conn.prepare(
      "SELECT job_id, status, scheduled_for FROM runs WHERE scheduled_for IS NOT NULL " +
        "ORDER BY job_id, scheduled_for",
    ).all();
    let gaps = 0;
    let skipped = 0;
    for (let i = 0; i < rs.length; i++) {
      if (rs[i].status === "skipped") skipped++;
      const prev = rs[i - 1];
      if (prev && prev.job_id === rs[i].job_id) {
        if (Number(rs[i].scheduled_for) - Number(prev.scheduled_for) !== 1000) gaps++;
      }
    }
    return { gaps, skipped, runs: rs.length };
  } finally {
    conn.close();
  }
}

// ---- main ----

async function main(): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "petit-issue11-" });
  try {
    const bin = ONLY.has("3") ? await ensureTool("ninja", "ninja-build") : null;
    // Warm Deno's module cache so that no timed run pays for it.
    await trigger(root, graph("chain", 1));
    if (ONLY.has("1")) await idleRow(root);
    if (ONLY.has("2") || ONLY.has("3") || ONLY.has("4")) await dagRuns(root, bin);
    if (ONLY.has("3")) ninjaRows(bin);
    if (ONLY.has("2")) peakRows();
    if (ONLY.has("4")) perTaskRows();
    if (ONLY.has("5")) await steadyRow(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  console.log(
    `### Issue 11 (${RUNS} run(s) per figure; Deno ${Deno.version.deno}; ` +
      `${navigator.hardwareConcurrency} CPUs; load ${load} at the end)\n`,
  );
  console.log("| measure | Petit | floor / peer | bar | |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const r of rows) {
    console.log(
      `| ${r.measure} | ${r.petit} | ${r.peer} | ${r.bar} | ${
        r.ok === null ? "" : verdict(r.ok)
      } |`,
    );
  }
}

if (import.meta.main) await main();
