/**
 * The help overlay's text: every key, and what the source can and cannot do. Pure.
 *
 * @module
 */

import type { SourceKind } from "./model.ts";

/** Keys and what they do, one per line, as the help overlay lists them. */
const KEYS: readonly (readonly [string, string])[] = [
  ["↑ ↓  k j", "move (logs: scroll)"],
  ["PgUp PgDn  g G", "a page up or down, to the top or the end"],
  ["Enter  →", "open: a job's runs, a run's tasks, a task's logs"],
  ["Esc  ←  h", "back (closes the logs or this help)"],
  ["l", "logs of the task (of a run or job: its running or last task)"],
  ["t  T", "trigger the job now (T: even if a job dependency is not met)"],
  ["p", "pause or resume the scheduler"],
  ["r", "read everything again"],
  ["?", "this help"],
  ["q  Ctrl+C", "quit"],
];

/** The lines of the help overlay for a remote or database source. */
export function helpLines(kind: SourceKind): string[] {
  const lines = KEYS.map(([keys, what]) => `  ${keys.padEnd(16)}${what}`);
  lines.push("");
  if (kind === "remote") {
    lines.push("  Updates come from the scheduler's event stream; logs of a running task");
    lines.push("  follow its output as it prints.");
  } else {
    lines.push("  Reading a database: t and p need --remote URL (a running pt run). The");
    lines.push("  event log is checked every second; a task's output shows when its");
    lines.push("  attempt ends.");
  }
  return lines;
}
