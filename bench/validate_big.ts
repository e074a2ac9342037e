/**
 * Benchmark of validating big job files, in-process: a 10,000-task chain, 5,000 tasks that
 * each depend on an unknown task (5,000 errors), and a 20,000-task chain. Each figure splits
 * the load into YAML parsing (the readers the loader uses: js-yaml, then `npm:yaml` with
 * positions for a file it cannot read or that has errors) and Petit's own work (aliases,
 * shape, rules, templates, cycles, building the job), in CPU time of the process (the VM is
 * shared, and wall-clock time there measures the neighbours too): the least of the runs of
 * each, as noise only adds. It also measures what a reload of the 20,000-task file
 * costs the scheduler's thread: the longest stall of the event loop while `watchJobs`
 * reloads the folder.
 *
 * Bars: Petit's own work on 10,000 tasks under 1 s; the event loop never stalls more than
 * 50 ms during a reload.
 *
 * Run: `deno run -A bench/validate_big.ts` (`--quick` runs each case once; `--only NAME`
 * runs the case whose name contains NAME).
 *
 * @module
 */

import { join } from "node:path";
import process from "node:process";
import { loadJobTexts } from "../src/config/loader/mod.ts";
import { parseYaml } from "../src/config/yaml_doc.ts";
import { FastYamlFile } from "../src/config/yaml_fast.ts";
import { watchJobs } from "../src/scheduler/watch.ts";

const OWN_WORK_BAR_MS = 1000;
const STALL_BAR_MS = 50;

/** A chain of `n` tasks: each depends on the one before and reads its exit code. */
export function chainYaml(n: number): string {
  const lines = ["id: chain", "tasks:", "  - id: t0", "    command: echo"];
  for (let i = 1; i < n; i++) {
    lines.push(
      `  - id: t${i}`,
      `    command: echo`,
      `    args: ["{{ tasks.t${i - 1}.exit_code }}"]`,
      `    depends_on: [t${i - 1}]`,
    );
  }
  return lines.join("\n") + "\n";
}

/** `n` tasks, each depending on a task that does not exist: `n` errors. */
export function unknownDepsYaml(n: number): string {
  const lines = ["id: unknown_deps", "tasks:"];
  for (let i = 0; i < n; i++) {
    lines.push(`  - id: task_${i}`, `    command: echo`, `    depends_on: [missing_${i}]`);
  }
  return lines.join("\n") + "\n";
}

interface Row {
  name: string;
  runs: number;
  errors: number;
  parse: number;
  total: number;
}

/** CPU time (user and system, all threads) that `fn` takes, in ms. */
function cpuMs(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** One warm-up (unless quick), then `runs` timed loads; the least CPU of parse and load. */
function measure(name: string, text: string, runs: number, warm: boolean): Row {
  const file = "/bench/big.yaml";
  if (warm) loadJobTexts([{ file, text }]);
  let parse = Infinity;
  let total = Infinity;
  let errors = 0;
  for (let i = 0; i < runs; i++) {
    total = Math.min(
      total,
      cpuMs(() => (errors = loadJobTexts([{ file, text }]).errors.length)),
    );
    // The loader's reads: js-yaml first; npm:yaml too when that fails or the file has errors.
    parse = Math.min(
      parse,
      cpuMs(() => {
        if (FastYamlFile.read(file, text) === null || errors > 0) parseYaml(text);
      }),
    );
  }
  return { name, runs, errors, parse, total };
}

/**
 * The longest gap between ticks of a 5 ms interval while `watchJobs` reloads a folder
 * holding `text` (from the file change to the reload plan with `tasks` tasks), and how long
 * the reload took. The file is renamed into place, so no reload sees it half written.
 */
async function reloadStall(
  text: string,
  tasks: number,
): Promise<{ stall: number; reload: number }> {
  const dir = await Deno.makeTempDir({ prefix: "petit-bench-reload-" });
  try {
    const file = join(dir, "big.yaml");
    await Deno.writeTextFile(file, "id: big\ntasks:\n  - id: t\n    command: echo\n");
    await Deno.writeTextFile(join(dir, "big.tmp"), text);
    let done: () => void = () => {};
    const reloaded = new Promise<void>((resolve) => (done = resolve));
    const stop = watchJobs(
      dir,
      () => [],
      (plan) => {
        if (plan.jobs[0]?.tasks.length === tasks) done();
      },
      (m) => console.error(m),
      20,
    );
    let last = performance.now();
    let stall = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last);
      last = now;
    }, 5);
    try {
      // Let the watcher start before the change.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const start = performance.now();
      last = start;
      stall = 0;
      await Deno.rename(join(dir, "big.tmp"), file);
      await reloaded;
      const reload = performance.now() - start;
      // The plan may arrive right after a stall, before the interval has measured it.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { stall, reload };
    } finally {
      clearInterval(tick);
      stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function main(): Promise<void> {
  const quick = Deno.args.includes("--quick");
  const only = Deno.args.includes("--only") ? Deno.args[Deno.args.indexOf("--only") + 1] : "";
  const runs = quick ? 1 : 5;
  const cases: [string, () => string][] = [
    ["10,000-task chain", () => chainYaml(10_000)],
    ["5,000 tasks with unknown deps", () => unknownDepsYaml(5_000)],
    ["20,000-task chain", () => chainYaml(20_000)],
  ];
  const rows: Row[] = [];
  for (const [name, text] of cases) {
    if (name.includes(only)) rows.push(measure(name, text(), runs, !quick));
  }
  console.log(
    "| case | runs | errors | YAML parse (CPU ms) | Petit's own (CPU ms) | total (CPU ms) |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.runs} | ${r.errors} | ${r.parse.toFixed(0)} | ${
        (r.total - r.parse).toFixed(0)
      } | ${r.total.toFixed(0)} |`,
    );
  }
  const chain = rows.find((r) => r.name.startsWith("10,000"));
  if (chain) {
    const own = chain.total - chain.parse;
    console.log(
      `\nPetit's own work on 10,000 tasks: ${own.toFixed(0)} ms (bar < ${OWN_WORK_BAR_MS} ms) ${
        own < OWN_WORK_BAR_MS ? "ok" : "**missed**"
      }`,
    );
  }
  if ("reload".includes(only) || only === "") {
    const { stall, reload } = await reloadStall(chainYaml(20_000), 20_000);
    console.log(
      `reload of the 20,000-task chain: ${reload.toFixed(0)} ms; longest event-loop stall ${
        stall.toFixed(0)
      } ms (bar < ${STALL_BAR_MS} ms) ${stall < STALL_BAR_MS ? "ok" : "**missed**"}`,
    );
  }
}

if (import.meta.main) await main();
