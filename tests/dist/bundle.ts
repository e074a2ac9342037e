/**
 * Builds the bundle as `deno task bundle` does (its command from deno.json), into a folder of
 * the test's own, so that tests run what the `pt`, `run`, `install` and `compile` tasks run.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import meta from "../../deno.json" with { type: "json" };
import { BUNDLE_DIR } from "../../scripts/tasks.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Bundles `pt` into `outdir` (absolute); returns the path of its entry, `<outdir>/main.js`. */
export async function buildBundle(outdir: string): Promise<string> {
  const command = meta.tasks.bundle.command.replaceAll(BUNDLE_DIR, outdir);
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
