/**
 * The three lists as table rows: jobs (next and last run), the runs of a job, the tasks of a
 * run. Columns have fixed widths but one, which takes the rest of the line; the selected row
 * is in reverse video and marked `>`, and stays in view (centred in a long list). Pure.
 *
 * @module
 */

import { formatDuration } from "../schedule/duration.ts";
import type { JobRow, Model } from "./model.ts";
import { type Frame, type Middle, STATUS_TONE } from "./paint.ts";
import { cut, fit, fitRight, length, shortTime } from "./text.ts";

/** A column: head, width (0: takes the rest), right-aligned. */
interface Column {
  readonly head: string;
  readonly width: number;
  readonly right?: boolean;
}

/** A list to show: its title, columns, rows and selected row. */
interface List {
  readonly title: string;
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  readonly selected: number;
  /** Its rows are not there yet. */
  readonly loading: boolean;
}

/** Cells of a list row; the cell at `status` is coloured by its value. */
interface Row {
  readonly cells: readonly string[];
  readonly status: number;
  readonly detail: string | null;
}

/** The title, column heads and rows of the model's list. */
export function listScreen(model: Model, f: Frame): Middle {
  const { title, columns, rows, selected, loading } = model.view === "jobs"
    ? jobsList(model, f)
    : model.view === "runs"
    ? runsList(model, f)
    : tasksList(model, f);
  const widths = layout(columns, f.w);
  const line = (cells: readonly string[]) =>
    " " + cells.map((c, i) => (columns[i].right ? fitRight : fit)(c, widths[i])).join("  ");
  const out = [
    f.paint(cut(title, f.w), "bold"),
    f.paint(cut(line(columns.map((c) => c.head)), f.w), "dim"),
  ];
  const start = windowStart(selected, rows.length, f.body);
  for (let i = start; i < start + f.body; i++) {
    const row = rows[i];
    if (!row) {
      out.push(
        i === 0 && rows.length === 0 ? f.paint(loading ? " loading…" : " (none)", "dim") : "",
      );
      continue;
    }
    const plain = line(row.cells);
    if (i === selected) {
      // Marked too, for a terminal (or a screen reader, or a capture) without reverse video.
      out.push(f.paint(fit(">" + plain.slice(1), f.w), "reverse"));
      continue;
    }
    if (length(plain) > f.w) {
      out.push(cut(plain, f.w));
      continue;
    }
    // Colour the status cell only.
    const cells = row.cells.map((c, j) => {
      const text = (columns[j].right ? fitRight : fit)(c, widths[j]);
      const tone = j === row.status ? STATUS_TONE[c] : undefined;
      return tone ? f.paint(text, tone) : text;
    });
    out.push(" " + cells.join("  "));
  }
  return { lines: out, detail: rows[selected]?.detail ?? null };
}

/** Widths of `columns` in `w` cells: fixed ones as given, the first flexible one the rest. */
function layout(columns: readonly Column[], w: number): number[] {
  const fixed = columns.reduce((n, c) => n + c.width, 0) + 2 * (columns.length - 1) + 1;
  const rest = Math.max(4, w - fixed);
  return columns.map((c) => (c.width === 0 ? rest : c.width));
}

/** First row shown so that `selected` is in view, centred when the list is longer. */
function windowStart(selected: number, n: number, rows: number): number {
  if (n <= rows) return 0;
  return Math.max(0, Math.min(n - rows, selected - Math.floor(rows / 2)));
}

const took = (ms: number | null) => (ms === null ? "-" : formatDuration(ms));

function jobsList(model: Model, f: Frame): List {
  const remote = model.kind === "remote";
  const columns: Column[] = [
    { head: "JOB", width: 0 },
    ...(remote ? [{ head: "NEXT RUN", width: 14 }] : []),
    { head: "LAST RUN", width: 14 },
    { head: "STATUS", width: 11 },
    { head: "TOOK", width: 8, right: true },
  ];
  const rows: Row[] = model.jobs.map((j) => ({
    cells: [
      j.id,
      ...(remote ? [nextRun(j, f.now)] : []),
      shortTime(j.last_run?.started_at ?? null, f.now),
      j.last_run?.status ?? "-",
      took(j.last_run?.duration_ms ?? null),
    ],
    status: remote ? 3 : 2,
    detail: jobDetail(j),
  }));
  const title = `Jobs (${model.jobs.length})` +
    (remote ? "" : "  — jobs with runs in the database");
  return { title, columns, rows, selected: model.jobIndex, loading: false };
}

function nextRun(j: JobRow, now: number): string {
  if (!j.job) return "-";
  if (!j.job.enabled) return "disabled";
  if (j.job.schedule === null) return "manual";
  return shortTime(j.job.next_run, now);
}

function jobDetail(j: JobRow): string | null {
  const parts: string[] = [];
  if (j.job?.name && j.job.name !== j.id) parts.push(j.job.name);
  if (j.job?.schedule) parts.push(`${j.job.schedule} (${j.job.timezone ?? "UTC"})`);
  const run = j.last_run;
  if (run?.error) parts.push(`last run: ${run.error}`);
  else if (run?.reason) parts.push(`last run: ${run.reason}`);
  return parts.length ? parts.join(" · ") : null;
}

function runsList(model: Model, f: Frame): List {
  const columns: Column[] = [
    { head: "RUN", width: 18 },
    { head: "STATUS", width: 11 },
    { head: "TRIGGER", width: 8 },
    { head: "STARTED", width: 14 },
    { head: "TOOK", width: 8, right: true },
    { head: "NOTE", width: 0 },
  ];
  const runs = model.runs ?? [];
  const rows: Row[] = runs.map((r) => ({
    cells: [
      r.id,
      r.status,
      r.trigger,
      shortTime(r.started_at, f.now),
      took(r.duration_ms),
      r.error ?? r.reason ?? "",
    ],
    status: 1,
    detail: r.error ?? r.reason ?? (r.retry_of ? `retry of ${r.retry_of}` : null),
  }));
  const count = model.runs === null ? "loading…" : `${runs.length}`;
  return {
    title: `Jobs › ${model.jobId} › runs (${count})`,
    columns,
    rows,
    selected: model.runIndex,
    loading: model.runs === null,
  };
}

function tasksList(model: Model, f: Frame): List {
  const columns: Column[] = [
    { head: "TASK", width: 0 },
    { head: "STATUS", width: 9 },
    { head: "TRY", width: 3, right: true },
    { head: "STARTED", width: 14 },
    { head: "TOOK", width: 8, right: true },
    { head: "EXIT", width: 4, right: true },
  ];
  const run = model.run;
  const rows: Row[] = (run?.tasks ?? []).map((t) => ({
    cells: [
      t.task_id,
      t.status,
      String(t.attempts),
      shortTime(t.started_at, f.now),
      took(t.duration_ms),
      t.exit_code === null ? "-" : String(t.exit_code),
    ],
    status: 1,
    detail: t.error,
  }));
  const state = run ? ` ${run.status}` : " loading…";
  const title = `Jobs › ${model.jobId} › run ${model.runId}${state} › tasks`;
  return { title, columns, rows, selected: model.taskIndex, loading: run === null };
}
