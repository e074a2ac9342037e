/**
 * Text for the dashboard's cells: making task output safe to print (no escape sequences
 * from a task reach the terminal), cutting and padding to a width, and short times. Pure:
 * no I/O.
 *
 * Widths count code points: every character is taken as one column. Wide (East Asian)
 * characters and emoji make a line wider than counted; the frame still holds (line wrap is
 * off while the dashboard shows, so such a line is cut by the terminal at its edge).
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { cut, printable } from "./text.ts";
 *
 * assert.equal(printable("\x1b[31mred\x1b[0m\tx"), "red     x");
 * assert.equal(cut("backup_nightly", 8), "backup_…");
 * ```
 *
 * @module
 */

/** Columns between tab stops when a tab is expanded. */
const TAB = 8;

/** CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ST`) and other two-byte escapes. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?/g;
/** C0 controls but tab, DEL and the C1 controls. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/**
 * `text` with escape sequences and control characters removed and tabs expanded: what a
 * task printed, made safe to draw (a task could otherwise move the cursor, clear the
 * screen or retitle the terminal).
 */
export function printable(text: string): string {
  const clean = text.replace(ESCAPES, "").replace(/\r$/, "").replace(CONTROLS, "");
  if (!clean.includes("\t")) return clean;
  let out = "";
  for (const ch of clean) {
    if (ch === "\t") out += " ".repeat(TAB - (length(out) % TAB));
    else out += ch;
  }
  return out;
}

/** Columns `text` takes (code points). */
export function length(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** `text` cut to `width` columns, ending in `…` when something was cut. */
export function cut(text: string, width: number): string {
  if (width <= 0) return "";
  const chars = [...text];
  if (chars.length <= width) return text;
  return chars.slice(0, width - 1).join("") + "…";
}

/** `text` cut or padded with spaces to exactly `width` columns. */
export function fit(text: string, width: number): string {
  const c = cut(text, width);
  return c + " ".repeat(Math.max(0, width - length(c)));
}

/** `text` padded on the left to `width` columns (numbers), cut when longer. */
export function fitRight(text: string, width: number): string {
  const c = cut(text, width);
  return " ".repeat(Math.max(0, width - length(c))) + c;
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * A time in the local zone, short: `14:05:09` on the day of `now`, else `03-08 14:05`;
 * `-` for null.
 */
export function shortTime(ms: number | null, now: number): string {
  if (ms === null) return "-";
  const d = new Date(ms);
  const today = new Date(now);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.toDateString() === today.toDateString()) return `${time}:${pad(d.getSeconds())}`;
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}
