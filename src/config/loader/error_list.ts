/**
 * One file's errors, capped: the first {@link MAX_ERRORS_PER_FILE} by position, then one line
 * `… and N more errors in this file` at the first one left out. A generated file with a
 * mistake on every task would otherwise print thousands of lines, and building each
 * message (with its "did you mean" over every id) would cost more than the whole check.
 * So positions are taken at once and messages are built only for the errors shown.
 *
 * @module
 */

import type { ConfigError } from "../errors.ts";
import type { Position } from "../yaml_doc.ts";

/**
 * The most errors reported for one file; the rest are counted in one last line.
 *
 * @default {50}
 */
export const MAX_ERRORS_PER_FILE = 50;

/** A message, or a function that builds it when the error is shown. */
export type Message = string | (() => string);

/** Errors left out of a file's list: how many, and where the first of them is. */
export interface Omitted {
  /** How many errors were left out. */
  readonly count: number;
  /** Where the first of them is. */
  readonly at: Position;
}

/** Collects a file's errors; {@link FileErrors.list} builds the messages of those shown. */
export class FileErrors {
  readonly #file: string;
  readonly #items: { line: number; col: number; message: Message }[] = [];

  /** Errors of `file`. */
  constructor(file: string) {
    this.#file = file;
  }

  /** Adds an error at `pos`. */
  add(pos: Position, message: Message): void {
    this.#items.push({ line: pos.line, col: pos.col, message });
  }

  /** How many errors were added. */
  get count(): number {
    return this.#items.length;
  }

  /** The first {@link MAX_ERRORS_PER_FILE} errors by position, and what was left out. */
  list(): { errors: ConfigError[]; omitted: Omitted | null } {
    // A stable sort: errors at the same position keep the order they were found in.
    const sorted = [...this.#items].sort((a, b) => a.line - b.line || a.col - b.col);
    const shown = sorted.slice(0, MAX_ERRORS_PER_FILE).map((e) => ({
      file: this.#file,
      line: e.line,
      col: e.col,
      message: typeof e.message === "string" ? e.message : e.message(),
    }));
    const rest = sorted.length - shown.length;
    const first = sorted[MAX_ERRORS_PER_FILE];
    return {
      errors: shown,
      omitted: rest > 0 ? { count: rest, at: { line: first.line, col: first.col } } : null,
    };
  }
}

/**
 * A file's final list: `errors` (already capped once, then added to by the checks across
 * files) sorted and capped again, with the line for everything left out. `file` names the
 * file in that line.
 */
export function finishErrors(
  file: string,
  errors: readonly ConfigError[],
  omitted: Omitted | null,
): ConfigError[] {
  const sorted = [...errors].sort((a, b) => a.line - b.line || a.col - b.col);
  const shown = sorted.slice(0, MAX_ERRORS_PER_FILE);
  const cut = sorted.slice(MAX_ERRORS_PER_FILE);
  const count = cut.length + (omitted?.count ?? 0);
  if (count === 0) return shown;
  // The first error left out, of those cut here and those the first cap left out.
  const candidates = [cut[0], omitted?.at].filter((p): p is Position => p !== undefined);
  const at = candidates.reduce((a, b) => (b.line - a.line || b.col - a.col) < 0 ? b : a);
  return [
    ...shown,
    {
      file,
      line: at.line,
      col: at.col,
      message: `… and ${count} more error${count === 1 ? "" : "s"} in this file`,
    },
  ];
}
