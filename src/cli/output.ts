/**
 * Small helpers for terminal output and exit codes shared by the CLI commands.
 *
 * @module
 */

/** Exit codes: 0 ok, 1 invalid job files or a failed run, 2 usage errors. */
export const EXIT_OK = 0;
/** Invalid job files, a failed run, a refused trigger. */
export const EXIT_FAILURE = 1;
/** Unknown flag, missing argument, unknown job id, unreadable folder. */
export const EXIT_USAGE = 2;

/** A mistake in how `pt` was called: printed without a stack trace, exit 2. */
export class UsageError extends Error {
  /** Builds the error; `message` is shown to the user as is. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Stops a command with an exit code after it printed what it had to say. */
export class ExitCode extends Error {
  readonly code: number;
  /** `code` is the process exit code. */
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

/** Prints rows as a left-aligned table with a header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** `2026-03-08 03:00:00 -05:00`: local time with its UTC offset. */
export function formatLocal(ms: number | null): string {
  if (ms === null) return "-";
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Parses a positive integer option, or throws a UsageError naming the option. */
export function positiveInt(name: string, value: string, min = 1): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${name} must be a whole number ≥ ${min}, got "${value}"`);
  }
  return n;
}

/** Writes JSON to stdout, one document, pretty when a person is looking. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, Deno.stdout.isTerminal() ? 2 : undefined));
}

/** Help of `--ca-cert`, shared by the commands with `--remote` (`status`, `trigger`, `tui`). */
export const CA_CERT_HELP =
  "with an https:// --remote: also trust the CA certificate(s) in this PEM file (default " +
  "$PETIT_CA_CERT); exit 2 if the server's certificate is not trusted";
