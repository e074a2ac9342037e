/**
 * Durations written as `<integer><unit>` groups (`30s`, `5m`, `1h30m`, `1d2h`, `500ms`), used
 * by timeouts, retry delays and `@every` schedules, plus a formatter for human output.
 *
 * @module
 */

/** Thrown by {@link parseDuration} when the text is not a valid duration. */
export class DurationError extends Error {
  /** The text as it was given (before trimming). */
  readonly input: string;
  /** What is wrong, without the `invalid duration "…":` prefix. */
  readonly reason: string;

  /**
   * @param input The text that failed to parse.
   * @param reason What is wrong with it.
   */
  /** Builds the error. */
  constructor(input: string, reason: string) {
    super(`invalid duration ${JSON.stringify(input.trim())}: ${reason}`);
    this.name = "DurationError";
    this.input = input;
    this.reason = reason;
  }
}

/** Options for {@link parseDuration}. */
export interface ParseDurationOptions {
  /**
   * Accept the `ms` unit. `@every` schedules turn it off.
   *
   * @default {true}
   */
  readonly allowMilliseconds?: boolean;
}

const MS_PER_UNIT: Readonly<Record<string, number>> = {
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};

/** Units from largest to smallest: groups must follow this order. */
const UNIT_ORDER: readonly string[] = ["d", "h", "m", "s", "ms"];

const GROUP = /(\d+)([a-zA-Z]*)/y;

/**
 * The grammar of {@link parseDuration} as the source of a regular expression for one duration,
 * without anchors or surrounding whitespace, built from the unit table above. It is written for
 * JSON Schema `pattern` (no flags; valid with and without the `u` flag) and is exact except
 * for one rule a pattern cannot count: totals beyond `Number.MAX_SAFE_INTEGER` milliseconds.
 *
 * @param options Set `allowMilliseconds: false` to leave out the `ms` unit, as `@every` does.
 * @returns The pattern source, e.g. `(?=[0-9A-Za-z]*[1-9])(?:\d+d)?(?:\d+h)?…`.
 */
export function durationPatternSource(options: ParseDurationOptions = {}): string {
  const allowMs = options.allowMilliseconds ?? true;
  const units = UNIT_ORDER.filter((unit) => allowMs || unit !== "ms");
  // Every unit is optional and in order; a non-zero digit somewhere in the token means at least
  // one group and a total above zero (digits appear in numbers only).
  return `(?=[0-9A-Za-z]*[1-9])${units.map((unit) => `(?:\\d+${unit})?`).join("")}`;
}

/**
 * The strings {@link parseDuration} accepts (with its default options), surrounding whitespace
 * included; see {@link durationPatternSource} for the one rule it leaves out.
 */
export const DURATION_PATTERN: RegExp = new RegExp(`^\\s*${durationPatternSource()}\\s*$`);

/**
 * Parses a duration such as `30s`, `5m`, `1h30m`, `1d2h` or `500ms` into milliseconds.
 *
 * Grammar: one or more `<integer><unit>` groups with units `ms`, `s`, `m`, `h`, `d`, each unit
 * at most once and from largest to smallest, no spaces inside (surrounding whitespace is
 * trimmed). The total must be greater than zero.
 *
 * @param text The duration text.
 * @param options Set `allowMilliseconds: false` to reject the `ms` unit.
 * @returns The duration in milliseconds.
 * @throws {DurationError} If the text does not follow the grammar.
 */
export function parseDuration(text: string, options: ParseDurationOptions = {}): number {
  const allowMs = options.allowMilliseconds ?? true;
  const unitHint = allowMs ? "(use ms, s, m, h or d)" : "(use s, m, h or d)";
  function fail(reason: string): never {
    throw new DurationError(text, reason);
  }
  const s = text.trim();
  if (s === "") fail("empty, expected e.g. 30s, 5m or 1h30m");

  let total = 0;
  let lastRank = -1;
  let pos = 0;
  while (pos < s.length) {
    GROUP.lastIndex = pos;
    const match = GROUP.exec(s);
    if (match === null) {
      const ch = s[pos];
      if (/\s/.test(ch)) fail("spaces are not allowed inside a duration (write e.g. 1h30m)");
      if (/[a-zA-Z]/.test(ch)) fail(`unit "${unitAt(s, pos)}" has no number before it`);
      if (ch === "." || ch === ",") fail("only whole numbers are allowed (write e.g. 1m30s)");
      fail(`unexpected character ${JSON.stringify(ch)}`);
    }
    const [whole, digits, unit] = match;
    pos += whole.length;
    if (unit === "") {
      // Only an unexpected character can stop a group before its unit.
      if (pos < s.length) {
        const ch = s[pos];
        if (ch === "." || ch === ",") fail("only whole numbers are allowed (write e.g. 1m30s)");
        if (/\s/.test(ch)) fail("spaces are not allowed inside a duration (write e.g. 1h30m)");
        fail(`unexpected character ${JSON.stringify(ch)}`);
      }
      fail(
        lastRank === -1
          ? `missing unit after ${digits} ${unitHint}`
          : "trailing number without a unit (use s, m, h or d)",
      );
    }
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank === -1) fail(`unknown unit "${unit}" ${unitHint}`);
    if (unit === "ms" && !allowMs) fail("milliseconds are not allowed here (use s, m, h or d)");
    if (rank === lastRank) fail(`unit "${unit}" appears more than once`);
    if (rank < lastRank) {
      fail(`unit "${unit}" must come before "${UNIT_ORDER[lastRank]}" (largest unit first)`);
    }
    lastRank = rank;
    total += Number(digits) * MS_PER_UNIT[unit];
  }
  if (!Number.isSafeInteger(total)) fail("too large");
  if (total <= 0) fail("must be greater than zero");
  return total;
}

/** The run of letters starting at `pos`, to name a unit in an error. */
function unitAt(s: string, pos: number): string {
  return /^[a-zA-Z]+/.exec(s.slice(pos))?.[0] ?? s[pos];
}

/**
 * Formats milliseconds for humans: `250ms`, `1.5s`, `1h30m`, `1d2h3m4s`.
 *
 * Below one second the value is shown in whole milliseconds, below one minute in seconds with
 * one decimal, and from one minute on as `d h m s` groups rounded to whole seconds (which
 * {@link parseDuration} reads back).
 *
 * @param ms A duration in milliseconds (negative values get a leading `-`).
 * @returns The formatted duration.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  const wholeMs = Math.round(ms);
  if (wholeMs < 1_000) return `${wholeMs}ms`;
  // Round before choosing the form so that 59.96s becomes "1m", not "60s".
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${tenths / 10}s`;

  let rest = Math.round(ms / 1_000);
  let out = "";
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["m", 60], ["s", 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) out += `${n}${unit}`;
  }
  return out;
}
