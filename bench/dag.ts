/**
 * DAG execution against ninja, and bytes written per run.
 *
 * 1. Two 1,000-task jobs of `command: "true"` — a chain (t0 → … → t999) and a fan-out/fan-in
 *    (root → 998 middle tasks → sink) — each run by `pt trigger <dir> <job> --db <tmp.db>
 *    --max-tasks 4 -q` as a subprocess with the project's permissions (3 runs, a fresh
 *    database each): wall time (min/median), CPU time and peak RSS (`/usr/bin/time -f %M`,
 *    or VmHWM polled from /proc when `time` cannot be had).
 * 2. The same graphs as build.ninja (`rule t` / `command = true`, order-only deps matching the
 *    DAG) run by `ninja -j4` from a clean folder (no .ninja_log), 3 runs, min/median.
 * 3. Bars: fan-out wall time within 2× ninja's; peak RSS under 120 MB. Where the time goes:
 *    startup, job loading (`pt validate`) and the floor of spawning 1,000 `setsid true` from
 *    Deno four at a time (how Petit gives every task its own process group).
 * 4. Bytes written per run of a 3-task job (a → b, a → c), in-process: a Scheduler over a
 *    SqliteStorage file, N runs back to back, `write_bytes` of /proc/self/io before and after
 *    (the store is closed and the WAL checkpointed inside the measurement; child processes'
 *    writes are not in /proc/self/io, so this is the store's cost). With `true` tasks and
 *    with `sleep 0.1` tasks (then each step is its own 50 ms group commit). Linux counts a
 *    page once while it stays dirty, so runs back to back ("burst") share pages; "spaced"
 *    syncs the files after every run, as when runs are further apart than the kernel's
 *    writeback interval — the figure an SD card sees. Bar: under 20 KB per run.
 *
 * Usage: deno run -A bench/dag.ts [--quick] [--runs N] [--io-runs N]
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadJobTexts } from "../src/config/loader/mod.ts";
import { Scheduler } from "../src/scheduler/scheduler.ts";
import { SqliteStorage } from "../src/storage/sqlite/mod.ts";
import { ensureTool, findInPath, type Graph, graph, jobYaml, ninjaFile } from "./graphs.ts";
import { PT_FLAGS, PT_MAIN } from "./pt_flags.ts";

const MAIN = PT_MAIN;
const PERMISSIONS = PT_FLAGS;
const TASKS = 1000;
const MAX_TASKS = 4;
const RSS_BAR_MB = 120;
const NINJA_RATIO_BAR = 2;
const IO_BAR_BYTES = 20_000;

function flag(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const QUICK = Deno.args.includes("--quick");
const RUNS = flag("--runs", QUICK ? 1 : 3);
const IO_RUNS = flag("--io-runs", QUICK ? 30 : 200);

const text = new TextDecoder();
const mb = (bytes: number) => bytes / 1e6;
const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const min = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---- tools ----

// ---- graphs ----

// ---- measuring processes ----

interface Measured {
  wallMs: number;
  /** Peak RSS in bytes, or NaN when it could not be measured. */
  peakRss: number;
  /** user + sys seconds of the process and its children, or NaN. */
  cpuS: number;
  code: number;
  stderr: string;
}

/** Runs a command, timing it; peak RSS and CPU from /usr/bin/time, else VmHWM from /proc. */
async function measure(
  timeBin: string | null,
  program: string,
  args: string[],
  cwd?: string,
): Promise<Measured> {
  const timed = timeBin !== null;
  const cmd = new Deno.Command(timed ? timeBin : program, {
    args: timed ? ["-f", "PETIT_TIME %M %U %S", program, ...args] : args,
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  });
  const t0 = performance.now();
  const child = cmd.spawn();
  let hwm = NaN;
  let polling = !timed;
  const poll = (async () => {
    while (polling) {
      try {
        const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
        const kb = Number(status.match(/^VmHWM:\s+(\d+) kB/m)?.[1]);
        if (Number.isFinite(kb)) hwm = Math.max(Number.isNaN(hwm) ? 0 : hwm, kb * 1024);
      } catch {
        // gone or unreadable
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const out = await child.output();
  const wallMs = performance.now() - t0;
  polling = false;
  await poll;
  const stderr = text.decode(out.stderr);
  const m = stderr.match(/PETIT_TIME (\d+) ([\d.]+) ([\d.]+)/);
  return {
    wallMs,
    peakRss: m ? Number(m[1]) * 1024 : hwm,
    cpuS: m ? Number(m[2]) + Number(m[3]) : NaN,
    code: out.code,
    stderr: stderr.replace(/PETIT_TIME .*\n?/, ""),
  };
}

function ptArgs(...args: string[]): string[] {
  return ["run", ...PERMISSIONS, MAIN, ...args];
}

interface GraphResult {
  graph: string;
  pt: Measured[];
  ninja: number[];
  validate: number[];
  /** One run with a 2 MB young generation semi-space (not how `pt` starts by default). */
  smallSemiSpace: Measured | null;
}

async function benchGraph(
  root: string,
  g: Graph,
  timeBin: string | null,
  ninja: string | null,
): Promise<GraphResult> {
  const jobs = join(root, `${g.name}-jobs`);
  await Deno.mkdir(jobs);
  await Deno.writeTextFile(join(jobs, `${g.name}.yaml`), jobYaml(g));
  const result: GraphResult = {
    graph: g.name,
    pt: [],
    ninja: [],
    validate: [],
    smallSemiSpace: null,
  };
  for (let i = 0; i < RUNS; i++) {
    const db = join(root, `${g.name}-${i}.db`);
    const m = await measure(
      timeBin,
      Deno.execPath(),
      ptArgs("trigger", jobs, g.name, "--db", db, "--max-tasks", String(MAX_TASKS), "-q"),
    );
    if (m.code !== 0) throw new Error(`pt trigger ${g.name} exited ${m.code}: ${m.stderr}`);
    result.pt.push(m);
    result.validate.push((await measure(null, Deno.execPath(), ptArgs("validate", jobs))).wallMs);
  }
  if (timeBin !== null) {
    const db = join(root, `${g.name}-semi.db`);
    const max = String(MAX_TASKS);
    const [run, ...rest] = ptArgs("trigger", jobs, g.name, "--db", db, "--max-tasks", max, "-q");
    result.smallSemiSpace = await measure(timeBin, Deno.execPath(), [
      run,
      "--v8-flags=--max-semi-space-size=2",
      ...rest,
    ]);
  }
  if (ninja !== null) {
    const dir = join(root, `${g.name}-ninja`);
    await Deno.mkdir(dir);
    await Deno.writeTextFile(join(dir, "build.ninja"), ninjaFile(g));
    for (let i = 0; i < RUNS; i++) {
      for (const f of [".ninja_log", ".ninja_deps"]) {
        await Deno.remove(join(dir, f)).catch(() => {});
      }
      const m = await measure(null, ninja, [`-j${MAX_TASKS}`], dir);
      if (m.code !== 0) throw new Error(`ninja ${g.name} exited ${m.code}: ${m.stderr}`);
      result.ninja.push(m.wallMs);
    }
  }
  return result;
}

/** The floor of Petit's way to spawn: 1,000 `setsid true` from Deno, four at a time. */
async function spawnFloorMs(): Promise<number | null> {
  const setsid = findInPath("setsid");
  const trueBin = findInPath("true");
  if (!setsid || !trueBin) return null;
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < TASKS; i++) {
    const child = new Deno.Command(setsid, {
      args: [trueBin],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    inflight.push(child.output());
    if (inflight.length >= MAX_TASKS) await inflight.shift();
  }
  await Promise.all(inflight);
  return performance.now() - t0;
}

// ---- bytes written per run ----

function writeBytes(): number {
  let io: string;
  try {
    io = Deno.readTextFileSync("/proc/self/io");
  } catch (err) {
    // Deno wants --allow-all for /proc/self; `cat` of our pid needs only --allow-run.
    if (!(err instanceof Deno.errors.NotCapable)) throw err;
    const out = new Deno.Command("cat", { args: [`/proc/${Deno.pid}/io`] }).outputSync();
    io = text.decode(out.stdout);
  }
  const m = io.match(/^write_bytes:\s*(\d+)$/m);
  if (!m) throw new Error("no write_bytes in /proc/self/io");
  return Number(m[1]);
}

/** fdatasync the database files so their pages are clean and the next write counts again. */
function syncFiles(path: string): void {
  for (const p of [path, `${path}-wal`]) {
    try {
      using f = Deno.openSync(p, { read: true, write: true });
      f.syncDataSync();
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
}

interface IoResult {
  command: string;
  spaced: boolean;
  runs: number;
  perRun: number;
  msPerRun: number;
}

async function bytesPerRun(command: string, spaced: boolean, runs: number): Promise<IoResult> {
  // Not under /tmp: that may be a tmpfs, where nothing reaches a disk.
  const out = fileURLToPath(new URL("./out/", import.meta.url));
  await Deno.mkdir(out, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: out, prefix: "dag-io-" });
  const path = join(dir, "petit.db");
  const [cmd, ...args] = command.split(" ");
  const argList = args.length ? `\n    args: [${args.join(", ")}]` : "";
  const yaml = `id: small
tasks:
  - id: a
    command: "${cmd}"${argList}
  - id: b
    command: "${cmd}"${argList}
    depends_on: [a]
  - id: c
    command: "${cmd}"${argList}
    depends_on: [a]
`;
  const loaded = loadJobTexts([{ file: join(dir, "small.yaml"), text: yaml }]);
  if (loaded.errors.length) throw new Error(JSON.stringify(loaded.errors));
  try {
    const storage = new SqliteStorage(path);
    const scheduler = new Scheduler(loaded.jobs, { storage, maxTasks: MAX_TASKS });
    // Warm-up run: schema pages and the first WAL frames are not charged to the runs.
    await scheduler.trigger("small").done;
    storage.flush();
    syncFiles(path);
    const before = writeBytes();
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) {
      const result = await scheduler.trigger("small").done;
      if (result.status !== "completed") throw new Error(`run ${i} ${result.status}`);
      if (spaced) {
        storage.flush();
        syncFiles(path);
      }
    }
    const elapsed = performance.now() - t0;
    await scheduler.shutdown(0);
    storage.close();
    // Whatever close left in a WAL is copied into the database inside the measurement.
    const raw = new DatabaseSync(path);
    raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    raw.close();
    const after = writeBytes();
    return { command, spaced, runs, perRun: (after - before) / runs, msPerRun: elapsed / runs };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// ---- main ----

async function main(): Promise<void> {
  const gnuTime = await ensureTool("time", "time");
  const ninja = await ensureTool("ninja", "ninja-build");
  if (!ninja) console.error("ninja unavailable: no comparison");

  const root = await Deno.makeTempDir({ prefix: "petit-dag-bench-" });
  try {
    // Warm Deno's module cache so the first timed run does not pay for it.
    const warm = join(root, "warm");
    await Deno.mkdir(warm);
    await Deno.writeTextFile(
      join(warm, "w.yaml"),
      'id: w\ntasks:\n  - id: t\n    command: "true"\n',
    );
    await measure(null, Deno.execPath(), ptArgs("trigger", warm, "w", "--db", join(root, "w.db")));

    const startup: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      startup.push((await measure(null, Deno.execPath(), ptArgs("--version"))).wallMs);
    }
    const results: GraphResult[] = [];
    for (const g of [graph("chain", TASKS, "chain"), graph("fan", TASKS, "fan")]) {
      results.push(await benchGraph(root, g, gnuTime, ninja));
    }
    const floors: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const f = await spawnFloorMs();
      if (f !== null) floors.push(f);
    }

    console.log(
      `### DAG execution: pt trigger vs ninja -j${MAX_TASKS} (${TASKS} tasks of \`true\`)\n`,
    );
    console.log(
      `${RUNS} run(s) each; pt with --max-tasks ${MAX_TASKS}, a fresh database per run; ` +
        `${navigator.hardwareConcurrency} CPUs.\n`,
    );
    console.log(
      "| graph | pt min | pt median | pt CPU (median) | pt peak RSS | ninja min | ninja median | pt / ninja (median) |",
    );
    console.log("|---|---|---|---|---|---|---|---|");
    for (const r of results) {
      const walls = r.pt.map((m) => m.wallMs);
      const rss = Math.max(...r.pt.map((m) => m.peakRss));
      const cpu = median(r.pt.map((m) => m.cpuS));
      const ratio = r.ninja.length ? (median(walls) / median(r.ninja)).toFixed(1) + "×" : "-";
      console.log(
        `| ${r.graph} | ${fmtS(min(walls))} | ${fmtS(median(walls))} | ` +
          `${Number.isNaN(cpu) ? "-" : cpu.toFixed(2) + " s"} | ` +
          `${Number.isNaN(rss) ? "-" : mb(rss).toFixed(0) + " MB"} | ` +
          `${r.ninja.length ? fmtS(min(r.ninja)) : "-"} | ` +
          `${r.ninja.length ? fmtS(median(r.ninja)) : "-"} | ${ratio} |`,
      );
    }

    console.log("\nWhere pt's time goes (medians):\n");
    console.log("| part | time |");
    console.log("|---|---|");
    console.log(`| start-up (\`pt --version\`) | ${fmtS(median(startup))} |`);
    for (const r of results) {
      console.log(
        `| load + validate the ${r.graph} job (\`pt validate\`) | ${fmtS(median(r.validate))} |`,
      );
    }
    if (floors.length) {
      console.log(
        `| spawn floor: ${TASKS} × \`setsid true\` from Deno, ${MAX_TASKS} at a time | ` +
          `${fmtS(median(floors))} |`,
      );
    }

    for (const r of results) {
      const m = r.smallSemiSpace;
      if (m === null || m.code !== 0) continue;
      console.log(
        `| ${r.graph} with \`--v8-flags=--max-semi-space-size=2\` (1 run, not the default) | ` +
          `${fmtS(m.wallMs)}, peak RSS ${mb(m.peakRss).toFixed(0)} MB |`,
      );
    }

    const fanResult = results.find((r) => r.graph === "fan")!;
    const fanWall = median(fanResult.pt.map((m) => m.wallMs));
    console.log("\nBars:\n");
    if (fanResult.ninja.length) {
      const ratio = fanWall / median(fanResult.ninja);
      console.log(
        `- fan-out wall within ${NINJA_RATIO_BAR}× ninja: ${ratio.toFixed(2)}× — ` +
          `${ratio <= NINJA_RATIO_BAR ? "PASS" : "MISS"}`,
      );
    }
    for (const r of results) {
      const rss = Math.max(...r.pt.map((m) => m.peakRss));
      console.log(
        `- ${r.graph} peak RSS under ${RSS_BAR_MB} MB: ${mb(rss).toFixed(1)} MB — ` +
          `${mb(rss) < RSS_BAR_MB ? "PASS" : "MISS"}`,
      );
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }

  console.log(`\n### Bytes written per run of a 3-task job (a → b, a → c)\n`);
  console.log("| tasks | runs | mode | bytes written / run | ms / run | bar (< 20 KB) |");
  console.log("|---|---|---|---|---|---|");
  for (const command of ["true", "sleep 0.1"]) {
    for (const spaced of [false, true]) {
      const r = await bytesPerRun(command, spaced, IO_RUNS);
      console.log(
        `| \`${command}\` | ${r.runs} | ${spaced ? "spaced (synced per run)" : "burst"} | ` +
          `${(r.perRun / 1000).toFixed(1)} KB | ${r.msPerRun.toFixed(0)} | ` +
          `${r.perRun < IO_BAR_BYTES ? "PASS" : "MISS"} |`,
      );
    }
  }
}

if (import.meta.main) await main();
