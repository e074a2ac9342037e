/**
 * `pt next <dir> <job-id>`: the next fire times of one job.
 *
 * @module
 */

import type { Command } from "commander";
import { nextFireTimes } from "../../schedule/schedule.ts";
import { CONFIG_HELP, findJob, loadValidJobs } from "../jobs.ts";
import { formatLocal, positiveInt, printJson, UsageError } from "../output.ts";

/**
 * Fire times shown when `--count` is not given.
 *
 * @default {5}
 */
const DEFAULT_COUNT = 5;

/** Registers `next`. */
export function registerNext(program: Command): void {
  program.command("next")
    .description("show the next fire times of a job")
    .argument("<jobs-dir>", "folder of job files")
    .argument("<job-id>", "the job")
    .option("-n, --count <N>", "how many fire times", String(DEFAULT_COUNT))
    .option("--after <ISO-8601>", "start from this instant instead of now")
    .option("--json", "print {job_id, next: [epoch ms…]} as JSON")
    .option("--config <file>", CONFIG_HELP)
    .action(
      async (
        dir: string,
        jobId: string,
        opts: { count: string; after?: string; json?: boolean; config?: string },
      ) => {
        const count = positiveInt("--count", opts.count);
        if (count > 10_000) throw new UsageError(`--count must be at most 10000, got ${count}`);
        let after = new Date();
        if (opts.after !== undefined) {
          after = new Date(opts.after);
          if (!/^\d{4}-\d{2}-\d{2}/.test(opts.after) || Number.isNaN(after.getTime())) {
            throw new UsageError(
              `--after must be an ISO-8601 date-time such as 2026-03-08T00:00:00Z, got "${opts.after}"`,
            );
          }
        }
        const job = findJob(await loadValidJobs(dir, opts.config), jobId);
        const times = job.schedule ? nextFireTimes(job.schedule, after, count) : [];
        if (opts.json) {
          printJson({ job_id: job.id, next: times.map((t) => t.getTime()) });
          return;
        }
        if (!job.schedule) {
          console.log(`job "${job.id}" has no schedule; it runs only when triggered`);
          return;
        }
        console.log(`${job.id}: ${job.schedule.expression} (${job.schedule.timezone})`);
        for (const t of times) console.log(`  ${formatLocal(t.getTime())}  ${t.toISOString()}`);
      },
    );
}
