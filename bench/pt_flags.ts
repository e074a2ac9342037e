/**
 * What `deno task pt` (and `deno task run`) run: the bundle (`deno task bundle`, built here once
 * per benchmark, on import) and the flags, read from deno.json, so the benchmarks measure
 * exactly what users run.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import meta from "../deno.json" with { type: "json" };
import { BUNDLE_ENTRY, runFlags } from "../scripts/tasks.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The entry module the tasks run: the bundle `deno task bundle` writes. */
export const PT_ENTRY = BUNDLE_ENTRY;

/** `deno run` flags of the `pt` task (permissions and V8 flags), without the script. */
export const PT_FLAGS: readonly string[] = runFlags(meta.tasks.pt);

/** `deno run` flags of the `run` task (`pt run`), without the script. */
export const RUN_FLAGS: readonly string[] = runFlags(meta.tasks.run);

/** Absolute path of the bundle's entry, built by `deno task bundle` when this module loads. */
export const PT_MAIN: string = `${ROOT}${PT_ENTRY}`;

const bundled = await new Deno.Command(Deno.execPath(), {
  args: ["task", "--quiet", "bundle"],
  cwd: ROOT,
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!bundled.success) throw new Error("deno task bundle failed");
