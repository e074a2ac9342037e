/**
 * The flags `deno task pt` (and `deno task run`) run Petit with, read from deno.json, so the
 * benchmarks measure exactly what users run.
 *
 * @module
 */

import meta from "../deno.json" with { type: "json" };

/** The `deno run` flags of a deno.json task that runs src/main.ts, without the script. */
function flagsOf(task: string): readonly string[] {
  const words = task.split(/\s+/);
  const start = words.indexOf("run") + 1;
  const end = words.indexOf("src/main.ts");
  return words.slice(start, end);
}

/** `deno run` flags of the `pt` task (permissions and V8 flags), without the script. */
export const PT_FLAGS: readonly string[] = flagsOf(meta.tasks.pt);

/** `deno run` flags of the `run` task (`pt run`), without the script. */
export const RUN_FLAGS: readonly string[] = flagsOf(meta.tasks.run);
