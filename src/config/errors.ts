/**
 * Errors in job files, each pointing at a file, line and column.
 *
 * @module
 */

/** One problem in a job file. Lines and columns are 1-based. */
export interface ConfigError {
  /** The file, as given on the command line. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;
  /** What is wrong. */
  readonly message: string;
}

/** `file:line:col: message`, the form editors and terminals link to. */
export function formatConfigError(error: ConfigError): string {
  return `${error.file}:${error.line}:${error.col}: ${error.message}`;
}

/** Orders errors by file, then position. */
export function sortConfigErrors(errors: ConfigError[]): ConfigError[] {
  return errors.sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col
  );
}

/** Thrown by the library loader when job files are invalid; carries every error. */
export class JobConfigError extends Error {
  /** Every problem found, sorted by file and position. */
  readonly errors: readonly ConfigError[];

  /** Builds the error from the collected problems. */
  constructor(errors: readonly ConfigError[]) {
    super(errors.map(formatConfigError).join("\n"));
    this.name = "JobConfigError";
    this.errors = errors;
  }
}

/** The jobs folder itself cannot be read (missing, not a folder, no permission). */
export class JobsDirError extends Error {
  /** Builds the error with a message naming the folder. */
  constructor(message: string) {
    super(message);
    this.name = "JobsDirError";
  }
}

/**
 * The nearest candidate by edit distance, if it is close enough to be a likely typo (at most
 * 2 edits, or a third of the word's length). Ties go to the first candidate.
 *
 * Linear in the candidates with a small constant: one whose length alone puts it out of
 * reach is skipped, a distance is abandoned as soon as it cannot beat the best so far, and
 * the rows of the distance table are two reused buffers.
 */
export function nearest(word: string, candidates: readonly string[]): string | null {
  const w = word.toLowerCase();
  const limit = Math.max(2, Math.floor(word.length / 3));
  let lowered = LOWERED.get(candidates);
  if (lowered === undefined) {
    lowered = candidates.map((c) => c.toLowerCase());
    LOWERED.set(candidates, lowered);
  }
  let best: string | null = null;
  // Only a distance below this is worth computing: within the limit, and better than best.
  let bound = limit + 1;
  for (let k = 0; k < lowered.length; k++) {
    const candidate = lowered[k];
    if (Math.abs(candidate.length - w.length) >= bound) continue;
    const d = editDistanceBelow(w, candidate, bound);
    if (d < bound) {
      best = candidates[k];
      bound = d;
      if (d === 0) break;
    }
  }
  return best;
}

/** Lower-cased candidate lists, kept while the list is: hints ask about the same list often. */
const LOWERED = new WeakMap<readonly string[], string[]>();

let prevRow = new Int32Array(64);
let curRow = new Int32Array(64);

/**
 * The edit distance of `a` and `b` if it is below `bound`; otherwise some value ≥ `bound`.
 * Only the band of cells within `bound` of the diagonal is computed: any other cell is at
 * least `bound` already.
 */
function editDistanceBelow(a: string, b: string, bound: number): number {
  const n = b.length;
  if (prevRow.length <= n + 1) {
    prevRow = new Int32Array(2 * n + 4);
    curRow = new Int32Array(2 * n + 4);
  }
  let prev = prevRow;
  let cur = curRow;
  for (let j = 0; j <= n; j++) prev[j] = j < bound ? j : bound;
  prev[n + 1] = bound;
  for (let i = 1; i <= a.length; i++) {
    const lo = Math.max(1, i - bound);
    const hi = Math.min(n, i + bound);
    cur[lo - 1] = lo === 1 ? Math.min(i, bound) : bound;
    let rowMin = cur[lo - 1];
    const ca = a.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j++) {
      let d = prev[j - 1] + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      if (prev[j] + 1 < d) d = prev[j] + 1;
      if (cur[j - 1] + 1 < d) d = cur[j - 1] + 1;
      if (d > bound) d = bound;
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    cur[hi + 1] = bound;
    // Every path to the end passes through this row: the distance is at least its minimum.
    if (rowMin >= bound) return bound;
    [prev, cur] = [cur, prev];
  }
  return prev[n];
}
