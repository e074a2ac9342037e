/**
 * Memory of Petit, side by side with a floor, in one run (issue 11).
 *
 * (a) Idle `pt run jobs/` — the example jobs, the API on (port 0), a SQLite database in a
 *     temp folder, started with the flags of the `run` task in deno.json — VmRSS and RssAnon
 *     from `/proc/<pid>/status` 5, 10 and 15 s after the spawn.
 * (b) The floor: `bench/memory_floor.ts`, a bare Deno script that imports node:sqlite and Hono,
 *     serves `Deno.serve` and runs a 1 s timer, with the same flags, sampled the same way.
 *     (a) and (b) alternate, so the machine's load falls on both alike.
 * (c) Peak RSS of `pt trigger` of a 1,000-task fan-out/fan-in of `true` with `-t 4`: VmRSS
 *     sampled every 20 ms (and the kernel's VmHWM at the last sample).
 *
 * Deno asks for all access (-A) to read another process's /proc/<pid>/status (with only
 * --allow-read it waits on a permission prompt), so this harness runs with -A like the
 * others; Petit and the floor run with the `run` task's flags.
 *
 * Usage: deno run -A bench/memory.ts [--quick] [--runs N]
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Mem, range, runToEnd, sampleIdle } from "./proc_mem.ts";
import { PT_MAIN, RUN_FLAGS } from "./pt_flags.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const MAIN = PT_MAIN;
const FLOOR = here("memory_floor.ts");
const JOBS = here("../jobs");
const QUICK = Deno.args.includes("--quick");
const runsAt = Deno.args.indexOf("--runs");
const RUNS = runsAt >= 0 ? Number(Deno.args[runsAt + 1]) : QUICK ? 1 : 3;
const SAMPLE_AT_S = QUICK ? [5] : [5, 10, 15];
const PEAK_POLL_MS = 20;
const TASKS = 1000;

/** Spawns `args` under Deno, samples it at SAMPLE_AT_S seconds after the spawn, stops it. */
const idle = (args: string[]): Promise<Mem[]> => sampleIdle(args, SAMPLE_AT_S);

function fanYaml(): string {
  const lines = ["id: fan", "tasks:", "  - id: root", `    command: "true"`];
  const middle = Array.from({ length: TASKS - 2 }, (_, i) => `m${i}`);
  for (const id of middle) {
    lines.push(`  - id: ${id}`, `    command: "true"`, "    depends_on: [root]");
  }
  lines.push("  - id: sink", `    command: "true"`, `    depends_on: [${middle.join(", ")}]`);
  return lines.join("\n") + "\n";
}

/** Peak of VmRSS sampled every PEAK_POLL_MS (VmHWM included) while `args` runs. */
async function peak(args: string[]): Promise<{ peakKb: number; code: number }> {
  const r = await runToEnd(Deno.execPath(), ["run", ...args], { pollMs: PEAK_POLL_MS });
  if (r.code !== 0) console.error(r.stderr);
  return r;
}

const tmp = await Deno.makeTempDir({ prefix: "petit-memory-" });
try {
  const pt: Mem[][] = [];
  const floor: Mem[][] = [];
  for (let i = 0; i < RUNS; i++) {
    const db = join(tmp, `run-${i}.db`);
    console.error(`run ${i + 1}/${RUNS}: pt run, then the floor`);
    pt.push(
      await idle([...RUN_FLAGS, MAIN, "run", JOBS, "--db", db, "--api-port", "0", "-q"]),
    );
    floor.push(await idle([...RUN_FLAGS, FLOOR, join(tmp, `floor-${i}.db`)]));
  }

  const fanDir = join(tmp, "fan");
  await Deno.mkdir(fanDir);
  await Deno.writeTextFile(join(fanDir, "fan.yaml"), fanYaml());
  const fan: { peakKb: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    console.error(`run ${i + 1}/${RUNS}: pt trigger fan`);
    const r = await peak([
      ...RUN_FLAGS,
      MAIN,
      "trigger",
      fanDir,
      "fan",
      "--db",
      join(tmp, `fan-${i}.db`),
      "-t",
      "4",
      "-q",
    ]);
    if (r.code !== 0) throw new Error(`pt trigger exited with ${r.code}`);
    fan.push(r);
  }

  console.log(`memory (MiB; ranges over ${RUNS} run(s); Deno ${Deno.version.deno})\n`);
  console.log("| process | at | VmRSS | RssAnon |");
  console.log("| ------- | -- | ----- | ------- |");
  for (const [name, series] of [["pt run jobs/ (API on)", pt], ["floor", floor]] as const) {
    SAMPLE_AT_S.forEach((s, k) => {
      const at = series.map((x) => x[k]);
      console.log(
        `| ${name} | ${s} s | ${range(at.map((m) => m.rssKb))} | ${
          range(at.map((m) => m.anonKb))
        } |`,
      );
    });
  }
  const last = SAMPLE_AT_S.length - 1;
  const over = (f: (m: Mem) => number) => range(pt.map((x, i) => f(x[last]) - f(floor[i][last])));
  console.log(
    `| pt run − floor | ${SAMPLE_AT_S[last]} s | ${over((m) => m.rssKb)} | ${
      over((m) => m.anonKb)
    } |`,
  );
  console.log(
    `\npt trigger, ${TASKS}-task fan-out/fan-in, -t 4: peak VmRSS (every ${PEAK_POLL_MS} ms, ` +
      `and VmHWM) ${range(fan.map((f) => f.peakKb))} MiB`,
  );
} finally {
  await Deno.remove(tmp, { recursive: true });
}
