/**
 * Runs every benchmark in turn (`deno task bench`), each as its own process so one's
 * memory and timers do not disturb the next. Pass `--quick` for a short smoke run.
 *
 * @module
 */

const quick = Deno.args.includes("--quick");
const benches: [string, string[]][] = [
  ["validate.ts", quick ? ["--jobs", "200"] : []],
  ["storage_io.ts", quick ? ["50"] : []],
  ["dag.ts", quick ? ["--quick"] : []],
  ["scheduler.ts", quick ? ["--quick"] : []],
  ["api.ts", quick ? ["--runs", "10000"] : []],
  ["memory.ts", quick ? ["--quick"] : []],
  ["issue11.ts", quick ? ["--quick"] : []],
];

let failed = 0;
for (const [file, args] of benches) {
  console.log(`\n## ${file}\n`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(file, import.meta.url).pathname, ...args],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    failed++;
    console.log(`(${file} exited with ${code})`);
  }
}
Deno.exit(failed === 0 ? 0 : 1);
