/**
 * The flags `deno task pt` runs Petit with, read from deno.json, so the benchmarks measure
 * exactly what users run.
 *
 * @module
 */

import meta from "../deno.json" with { type: "json" };

/** `deno run` flags of the `pt` task (permissions and V8 flags), without the script. */
export const PT_FLAGS: readonly string[] = (() => {
  const words = meta.tasks.pt.split(/\s+/);
  const start = words.indexOf("run") + 1;
  const end = words.indexOf("src/main.ts");
  return words.slice(start, end);
})();
