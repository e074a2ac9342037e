/**
 * `pt list <dir>`: the jobs of a folder with their schedules and next fire times. Invalid or
 * unreadable files are reported on stderr (exit 1) and the valid jobs still listed, as
 * `pt run` would start them.
 *
 * @module
 */

import type { Command } from "commander";
import { jobListView, jobView } from "../../core/views.ts";
import { CONFIG_HELP, loadFolder, printErrors } from "../jobs.ts";
import { EXIT_FAILURE, ExitCode, formatLocal, printJson, table } from "../output.ts";

/** Registers `list`. */
export function registerList(program: Command): void {
  program.command("list")
    .description("list the jobs of a folder with schedule and next run")
    .argument("<jobs-dir>", "folder of job files")
    .option("--json", "print {jobs, count} as JSON")
    .option("--config <file>", CONFIG_HELP)
    .action(async (dir: string, opts: { json?: boolean; config?: string }) => {
      const result = await loadFolder(dir, opts.config);
      const now = new Date();
      const views = result.jobs.map((job) => jobView(job, { now }));
      if (opts.json) printJson(jobListView(views));
      else if (views.length > 0) {
        console.log(table(
          ["ID", "NAME", "SCHEDULE", "NEXT RUN", "TASKS", "ENABLED"],
          views.map((v) => [
            v.id,
            v.name,
            v.schedule === null ? "-" : `${v.schedule} (${v.timezone})`,
            v.scheduled ? formatLocal(v.next_run) : v.schedule === null ? "manual" : "-",
            String(v.task_count),
            v.enabled ? "yes" : "no",
          ]),
        ));
      } else if (result.errors.length === 0) console.log(`no jobs in ${dir}`);
      if (result.errors.length > 0) {
        printErrors(result);
        throw new ExitCode(EXIT_FAILURE);
      }
    });
}
