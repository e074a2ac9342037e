/**
 * `pt list <dir>`: the jobs of a folder with their schedules and next fire times.
 *
 * @module
 */

import type { Command } from "commander";
import { jobListView, jobView } from "../../core/views.ts";
import { loadValidJobs } from "../jobs.ts";
import { formatLocal, printJson, table } from "../output.ts";

/** Registers `list`. */
export function registerList(program: Command): void {
  program.command("list")
    .description("list the jobs of a folder with schedule and next run")
    .argument("<jobs-dir>", "folder of job files")
    .option("--json", "print {jobs, count} as JSON")
    .action(async (dir: string, opts: { json?: boolean }) => {
      const jobs = await loadValidJobs(dir);
      const now = new Date();
      const views = jobs.map((job) => jobView(job, { now }));
      if (opts.json) {
        printJson(jobListView(views));
        return;
      }
      if (views.length === 0) {
        console.log(`no jobs in ${dir}`);
        return;
      }
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
    });
}
