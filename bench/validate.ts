/**
 * Benchmark of `pt validate`: a generated folder of 1,000 job files × 10 tasks each, and the
 * repository's example folder `jobs/`. Each figure is the wall-clock time of `pt validate` run
 * as a subprocess (Deno start-up included), which is what a user waits for.
 *
 * Bars: 1,000 jobs under 2 s (median); the examples under 300 ms (median, warm).
 *
 * Run: `deno run --allow-read --allow-write --allow-run --allow-env --allow-net --allow-sys
 * bench/validate.ts` (add `--jobs N` to change the number of generated jobs).
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PT_FLAGS, PT_MAIN } from "./pt_flags.ts";

const MAIN = PT_MAIN;
const EXAMPLES = fileURLToPath(new URL("../jobs", import.meta.url));
const PERMISSIONS = PT_FLAGS;

const JOBS_BAR_MS = 2000;
const EXAMPLES_BAR_MS = 300;
const TASKS_PER_JOB = 10;

/** The text of one realistic generated job: schedule, a small DAG, environment, retry. */
export function jobYaml(n: number): string {
  const id = `job_${String(n).padStart(4, "0")}`;
  const zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];
  const schedules = [
    `"${n % 60} ${n % 24} * * *"`,
    `"*/${(n % 15) + 1} * * * *"`,
    `"@every ${(n % 5) + 1}h${n % 60}m"`,
    `"0 ${n % 24} * * MON-FRI"`,
    `"@daily"`,
  ];
  const lines = [
    `# Generated job ${n}`,
    `id: ${id}`,
    `name: Generated job ${n}`,
    `description: Extracts, transforms and loads batch ${n}`,
    `schedule:`,
    `  cron: ${schedules[n % schedules.length]}`,
    `  timezone: ${zones[n % zones.length]}`,
    `max_concurrency: ${(n % 3) + 1}`,
    `config:`,
    `  batch: ${n}`,
    `  target: warehouse_${n % 7}`,
    `environment:`,
    `  LOG_LEVEL: info`,
    `  BATCH_SIZE: ${100 + n}`,
  ];
  // Every 10th job waits for the previous one (no cycles: always on a lower number).
  if (n > 0 && n % 10 === 0) {
    lines.push(
      `depends_on:`,
      `  - job_${String(n - 1).padStart(4, "0")}`,
      `  - {job: job_${String(n - 10).padStart(4, "0")}, condition: within_window, window: 1h}`,
    );
  }
  lines.push(`tasks:`);
  for (let t = 0; t < TASKS_PER_JOB; t++) {
    lines.push(`  - id: step_${t}`);
    lines.push(`    name: Step ${t} of ${id}`);
    // A small DAG: a chain with fan-out / fan-in every few steps.
    const deps = t === 0 ? [] : t % 3 === 0 ? [t - 1, t - 2] : [t - 1];
    if (t % 4 === 1) {
      lines.push(`    type: shell`);
      lines.push(`    script: |`);
      lines.push(`      echo "batch {{ config.batch }} step ${t}"`);
      lines.push(`      test -n "$LOG_LEVEL"`);
    } else {
      lines.push(`    command: echo`);
      const upstream = deps.length > 0 ? `, "{{ tasks.step_${deps[0]}.exit_code }}"` : "";
      lines.push(`    args: ["{{ config.target }}", ${t}${upstream}]`);
    }
    if (deps.length > 0) {
      lines.push(`    depends_on: [${deps.map((d) => `step_${d}`).join(", ")}]`);
    }
    lines.push(`    environment:`);
    lines.push(`      STEP: ${t}`);
    lines.push(`      JOB: "{{ job.id }}"`);
    lines.push(t % 2 === 0 ? `    timeout_secs: ${60 * (t + 1)}` : `    timeout: ${t + 1}m`);
    if (t % 2 === 0) {
      lines.push(`    retry:`);
      lines.push(`      max_attempts: ${t % 4}`);
      lines.push(`      delay: ${t + 1}s`);
      lines.push(`      backoff: exponential`);
      lines.push(`      max_delay: 5m`);
    }
    if (t === TASKS_PER_JOB - 1) lines.push(`    condition: all_done`);
  }
  return lines.join("\n") + "\n";
}

/** Runs `pt validate <dir>` once; returns the wall-clock time in ms. Fails on a non-zero exit. */
async function timeValidate(dir: string): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, MAIN, "validate", dir],
    stdout: "piped",
    stderr: "piped",
    // A stuck run (a locked cache, say) fails the bench instead of hanging it.
    signal: AbortSignal.timeout(120_000),
  }).output();
  const ms = performance.now() - start;
  if (out.code !== 0) {
    const stderr = new TextDecoder().decode(out.stderr);
    throw new Error(`pt validate ${dir} exited ${out.code}:\n${stderr.slice(0, 2000)}`);
  }
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Row {
  name: string;
  runs: number;
  min: number;
  median: number;
  bar: number;
}

/** One warm-up run (it also fills Deno's caches; not counted), then `runs` timed runs. */
async function measure(name: string, dir: string, runs: number, bar: number): Promise<Row> {
  await timeValidate(dir);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeValidate(dir));
  return {
    name,
    runs,
    min: Math.min(...times),
    median: median(times),
    bar,
  };
}

async function countJobFiles(dir: string): Promise<number> {
  let n = 0;
  for await (const entry of Deno.readDir(dir)) if (/\.ya?ml$/i.test(entry.name)) n++;
  return n;
}

async function main(): Promise<void> {
  const flag = Deno.args.indexOf("--jobs");
  const jobCount = flag >= 0 ? Number(Deno.args[flag + 1]) : 1000;
  if (!Number.isSafeInteger(jobCount) || jobCount < 1) throw new Error("--jobs needs N ≥ 1");

  const dir = await Deno.makeTempDir({ prefix: "petit-bench-" });
  try {
    await Promise.all(
      Array.from(
        { length: jobCount },
        (_, n) =>
          Deno.writeTextFile(join(dir, `job_${String(n).padStart(4, "0")}.yaml`), jobYaml(n)),
      ),
    );
    const rows: Row[] = [];
    rows.push(await measure(`${jobCount} jobs × ${TASKS_PER_JOB} tasks`, dir, 5, JOBS_BAR_MS));
    const examples = await countJobFiles(EXAMPLES);
    rows.push(
      await measure(`examples (jobs/, ${examples} files), warm`, EXAMPLES, 10, EXAMPLES_BAR_MS),
    );

    console.log("| case | runs | min (ms) | median (ms) | bar (ms) | ok |");
    console.log("| --- | ---: | ---: | ---: | ---: | --- |");
    for (const r of rows) {
      const ok = r.median < r.bar ? "yes" : "**no**";
      console.log(
        `| ${r.name} | ${r.runs} | ${r.min.toFixed(0)} | ${
          r.median.toFixed(0)
        } | ${r.bar} | ${ok} |`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
