/**
 * The screen as lines: {@link render} turns the model into exactly `rows` lines, none wider
 * than `columns` (counted in code points; see `text.ts`), with SGR colour codes when asked.
 * Layout, from the top: a header bar, the title of the list, its column heads, the rows,
 * the message line and the key hints. The log and help overlays take the middle.
 * Pure: no I/O.
 *
 * @module
 */

import { helpLines } from "./help.ts";
import type { LogState, Model } from "./model.ts";
import { type Frame, type Middle, painter, type Tone } from "./paint.ts";
import { POLL_MS } from "./source.ts";
import { listScreen } from "./tables.ts";
import { cut, fit, length } from "./text.ts";

/** A terminal's size in character cells. */
export interface Size {
  /** Width. */
  readonly columns: number;
  /** Height. */
  readonly rows: number;
}

/** Smallest terminal the dashboard draws in; smaller ones get a note. */
export const MIN_SIZE: Size = { columns: 40, rows: 10 };

/** Lines above and below the list (header, title, column heads; message, hints). */
const CHROME = 5;

/** Rows the list (or the log) gets on a terminal of `size`. */
export function bodyRows(size: Size): number {
  return Math.max(1, size.rows - CHROME);
}

/**
 * The screen for `model`: `size.rows` lines. `now` is for times; `color` adds colours to
 * the attributes (bold, dim, reverse video) that are always there.
 */
export function render(model: Model, size: Size, now: number, color: boolean): string[] {
  const w = size.columns;
  const paint = painter(color);
  if (w < MIN_SIZE.columns || size.rows < MIN_SIZE.rows) {
    const note = [
      `terminal too small: ${w}×${size.rows}`,
      `(${MIN_SIZE.columns}×${MIN_SIZE.rows} at least)`,
      "q quits",
    ];
    return Array.from({ length: size.rows }, (_, i) => cut(note[i] ?? "", w));
  }
  const body = bodyRows(size);
  const frame: Frame = { w, body, now, paint };
  const middle = model.help
    ? helpScreen(model, frame)
    : model.log
    ? logScreen(model.log, frame)
    : listScreen(model, frame);
  const lines = [header(model, frame), ...middle.lines, bottom(model, middle.detail, frame)];
  lines.push(paint(fit(hints(model), w), "reverse"));
  return lines;
}

function header(model: Model, f: Frame): string {
  const source = model.kind === "remote" ? model.label : `${model.label} (read-only)`;
  const state = model.scheduler ? `  scheduler ${model.scheduler.state}` : "";
  const live = model.connection ? "offline" : model.kind === "remote" ? "live" : "watching";
  const left = ` Petit  ${source}${state}`;
  const room = f.w - length(live) - 2;
  return f.paint(fit(cut(left, room), room) + ` ${live} `, "reverse");
}

function bottom(model: Model, detail: string | null, f: Frame): string {
  if (model.message) {
    return f.paint(cut(model.message.text, f.w), ...(model.message.error ? ["red" as Tone] : []));
  }
  if (model.connection) return f.paint(cut(model.connection, f.w), "yellow");
  return detail ? cut(detail, f.w) : "";
}

function hints(model: Model): string {
  if (model.help) return " Esc or ? close help   q quit";
  if (model.log) {
    return " ↑↓/jk scroll  PgUp/PgDn  g top  G end (follow)  Esc close  ? help  q quit";
  }
  const act = model.kind === "remote" ? "  t trigger  p pause" : "";
  return ` ↑↓/jk move  Enter open  Esc back  l logs${act}  ? help  q quit`;
}

const MODE_WORD: Readonly<Record<LogState["mode"], string>> = {
  waiting: "waiting",
  live: "live",
  polling: `polling every ${POLL_MS / 1000}s`,
  stored: "stored output",
  finished: "finished",
};

function logScreen(log: LogState, f: Frame): Middle {
  const attempt = log.attempt === null ? "" : `  attempt ${log.attempt}`;
  const title = `Logs  ${log.jobId} › ${log.runId} › ${log.taskId}${attempt}  [${
    MODE_WORD[log.mode]
  }]`;
  const out = [f.paint(cut(title, f.w), "bold"), f.paint(cut(log.note ?? "", f.w), "dim")];
  const last = Math.max(0, log.lines.length - f.body);
  const start = log.scroll === null ? last : Math.min(log.scroll, last);
  for (let i = start; i < start + f.body; i++) {
    const line = log.lines[i];
    if (!line) {
      out.push(i === 0 ? f.paint("(no output yet)", "dim") : "");
      continue;
    }
    const text = cut(line.text, f.w);
    out.push(
      line.stream === "stderr"
        ? f.paint(text, "red")
        : line.stream === "note"
        ? f.paint(text, "cyan")
        : text,
    );
  }
  const shown = log.lines.length === 0
    ? null
    : `lines ${start + 1}–${Math.min(log.lines.length, start + f.body)} of ${log.lines.length}` +
      (log.scroll === null ? " (following the end)" : " (G follows the end)");
  return { lines: out, detail: shown };
}

function helpScreen(model: Model, f: Frame): Middle {
  const lines = helpLines(model.kind);
  const out = [f.paint("Help", "bold"), ""];
  for (let i = 0; i < f.body; i++) out.push(cut(lines[i] ?? "", f.w));
  return { lines: out, detail: null };
}
