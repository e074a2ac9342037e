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

/** The nearest candidate by edit distance, if it is close enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
