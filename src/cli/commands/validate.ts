/**
 * `pt validate <dir>`: checks every job file and reports all problems at once.
 *
 * @module
 */

import type { Command } from "commander";
import { CONFIG_HELP, loadFolder, printErrors } from "../jobs.ts";
import { EXIT_FAILURE, ExitCode, printJson } from "../output.ts";

/** Registers `validate`. */
export function registerValidate(program: Command): void {
  program.command("validate")
    .description("check every job file in a folder and report all problems")
    .argument("<jobs-dir>", "folder of job files (*.yaml, *.yml)")
    .option("--json", "print {valid, jobs, errors} as JSON")
    .option("--config <file>", CONFIG_HELP)
    .action(async (dir: string, opts: { json?: boolean; config?: string }) => {
      const result = await loadFolder(dir, opts.config);
      const valid = result.errors.length === 0;
      if (opts.json) {
        printJson({
          valid,
          jobs: result.jobs.map((j) => j.id),
          errors: result.errors,
          count: result.errors.length,
        });
      } else if (valid) {
        const n = result.jobs.length;
        console.log(
          n === 0
            ? `no job files in ${dir}`
            : `ok: ${n} job${n === 1 ? "" : "s"} valid (${
              result.jobs.map((j) => j.id).join(", ")
            })`,
        );
      } else {
        printErrors(result);
      }
      if (!valid) throw new ExitCode(EXIT_FAILURE);
    });
}
