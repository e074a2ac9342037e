/**
 * `pt why <job-id>`: the latest scheduled slots of a job and what happened to each —
 * "why did (or didn't) my job run?".
 *
 * @module
 */

import type { Command } from "commander";
import { formatDuration } from "../../schedule/duration.ts";
import { runView } from "../../core/views.ts";
import { formatLocal, positiveInt, printJson, table } from "../output.ts";
import { DB_HELP, dbPath, openStore } from "../store.ts";

/**
 * Slots shown when `--limit` is not given.
 *
 * @default {10}
 */
const DEFAULT_SLOTS = 10;

/** Registers `why`. */
export function registerWhy(program: Command): void {
  program.command("why")
    .description("show a job's latest scheduled slots: fired, or skipped and why")
    .argument("<job-id>", "the job")
    .option("-n, --limit <N>", "how many slots", String(DEFAULT_SLOTS))
    .option("--db <path>", DB_HELP)
    .option("--json", "print {job_id, enabled, slots: [...]} as JSON")
    .action((jobId: string, flags: { limit: string; db?: string; json?: boolean }) => {
      const limit = positiveInt("--limit", flags.limit);
      const storage = openStore(dbPath(flags.db), { existing: true });
      try {
        const slots = storage.listSlots(jobId, limit);
        const enabled = storage.jobEnabled(jobId);
        const latestManual = storage.listRuns({ job_id: jobId, limit: 1 })[0] ?? null;
        if (flags.json) {
          printJson({
            job_id: jobId,
            enabled_override: enabled,
            slots: slots.map((r) => ({
              scheduled_for: r.scheduled_for,
              decision: r.status === "skipped" ? "skipped" : "fired",
              reason: r.status === "skipped" ? r.reason : r.reason ?? "scheduled",
              run: runView(r),
            })),
            count: slots.length,
          });
          return;
        }
        if (enabled === false) {
          console.log(`${jobId} is disabled (pt/API disable); it does not fire.`);
        }
        if (slots.length === 0) {
          console.log(
            `no scheduled slots recorded for "${jobId}" — it has not been due while pt run was running` +
              (latestManual
                ? ` (latest run: ${latestManual.id}, ${latestManual.trigger}, ${latestManual.status})`
                : ""),
          );
          return;
        }
        console.log(table(
          ["SLOT", "DECISION", "RUN", "RESULT"],
          slots.map((r) => [
            formatLocal(r.scheduled_for),
            r.status === "skipped" ? "skipped" : "fired",
            r.status === "skipped" ? "-" : r.id,
            r.status === "skipped"
              ? r.reason ?? ""
              : `${r.status}${
                r.duration_ms !== null ? ` in ${formatDuration(r.duration_ms)}` : ""
              }` +
                `${r.reason ? ` (${r.reason})` : ""}${r.error ? `: ${r.error}` : ""}`,
          ]),
        ));
      } finally {
        storage.close();
      }
    });
}
