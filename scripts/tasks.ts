/**
 * What deno.json's `pt`, `run` and `install` tasks run: the bundle `deno task bundle` writes,
 * and how to read a task's `deno run` flags back from its command, for the benchmarks and
 * tests that must start `pt` exactly as users do.
 *
 * @module
 */

/** The folder `deno task bundle` writes (deno.json says the same). */
export const BUNDLE_DIR = "dist/pt";

/** The bundle's entry module, relative to the repository's root. */
export const BUNDLE_ENTRY = `${BUNDLE_DIR}/main.js`;

/**
 * The `deno run` flags of a task whose command runs {@linkcode BUNDLE_ENTRY}: the words between
 * `run` and the entry (permissions, V8 flags), without the entry and the arguments after it.
 */
export function runFlags(task: { command: string }): string[] {
  const words = task.command.trim().split(/\s+/);
  const start = words.indexOf("run");
  const end = words.indexOf(BUNDLE_ENTRY);
  if (words[0] !== "deno" || start !== 1 || end < start) {
    throw new Error(`not "deno run … ${BUNDLE_ENTRY}": ${task.command}`);
  }
  return words.slice(start + 1, end);
}
