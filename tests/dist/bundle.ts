/**
 * Builds the bundle as `deno task bundle` does (its command from deno.json), into a folder of
 * the test's own, so that tests run what the `pt`, `run`, `install` and `compile` tasks run.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import meta from "../../deno.json" with { type: "json" };

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The bundle task's output folder, as deno.json names it. */
const TASK_OUTDIR = "dist/pt";

/** Bundles `pt` into `outdir` (absolute); returns the path of its entry, `<outdir>/main.js`. */
export async function buildBundle(outdir: string): Promise<string> {
  const command = meta.tasks.bundle.command.replaceAll(TASK_OUTDIR, outdir);
  const out = await new Deno.Command("sh", {
    args: ["-c", command],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`bundling failed: ${command}\n${new TextDecoder().decode(out.stderr)}`);
  }
  return `${outdir}/main.js`;
}

/** The `deno run` flags of a deno.json task that runs the bundle, without the entry. */
export function runFlagsOf(task: { command: string }): string[] {
  const words = task.command.split(/\s+/);
  return words.slice(words.indexOf("run") + 1, words.indexOf(`${TASK_OUTDIR}/main.js`));
}
