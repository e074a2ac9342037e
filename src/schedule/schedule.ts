/**
 * Job schedules: cron expressions (5 or 6 fields), `@daily`-style shortcuts and `@every
 * <duration>` intervals, evaluated in an IANA time zone. Cron matching and DST handling are
 * croner's; this module normalizes expressions and parses shortcuts and `@every` intervals,
 * `cron.ts` makes the day fields combine as in Vixie cron (`day_fields.ts`), rejects schedules
 * that never fire and words croner's errors.
 *
 * @module
 */

import { CronSchedule } from "./cron.ts";
import { DurationError, durationPatternSource, parseDuration } from "./duration.ts";
import { checkDate, expressionError, type Schedule, ScheduleError } from "./types.ts";
import { isValidTimeZone } from "./zone.ts";

export { type Schedule, ScheduleError } from "./types.ts";
export { isValidTimeZone } from "./zone.ts";

/** The shortcuts that stand for a cron pattern (case-insensitive). `@every` is separate. */
export const SHORTCUTS: readonly string[] = Object.freeze([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
]);

/** Shortcut → 6-field pattern (`sec min hour dom mon dow`). */
const SHORTCUT_PATTERNS: ReadonlyMap<string, string> = new Map([
  ["@yearly", "0 0 0 1 1 *"],
  ["@annually", "0 0 0 1 1 *"],
  ["@monthly", "0 0 0 1 * *"],
  ["@weekly", "0 0 0 * * 0"],
  ["@daily", "0 0 0 * * *"],
  ["@midnight", "0 0 0 * * *"],
  ["@hourly", "0 0 * * * *"],
]);

/** A cron expression has 5 fields (`min hour dom mon dow`) or 6 (seconds first). */
const CRON_FIELDS = { min: 5, max: 6 } as const;

/** `@daily` → `@[dD][aA][iI][lL][yY]`: JSON Schema patterns take no `i` flag. */
function anyCase(word: string): string {
  return word.replace(/[a-z]/g, (ch) => `[${ch}${ch.toUpperCase()}]`);
}

/**
 * The expressions {@link parseSchedule} accepts, as a regular expression written for JSON
 * Schema `pattern` (no flags; valid with the `u` flag) and built from the same constants:
 * 5 or 6 whitespace-separated cron fields, a shortcut in any case, or `@every <duration>`.
 * It is looser than parseSchedule for cron fields, whose values and ranges croner judges.
 */
export const SCHEDULE_PATTERN: RegExp = new RegExp(
  "^\\s*(?:" + [
    // A first field starting with "@" would be read as a shortcut.
    `[^\\s@]\\S*(?:\\s+\\S+){${CRON_FIELDS.min - 1},${CRON_FIELDS.max - 1}}`,
    ...SHORTCUTS.map(anyCase),
    `${anyCase("@every")}\\s+${durationPatternSource({ allowMilliseconds: false })}`,
  ].join("|") + ")\\s*$",
);

const DEFAULT_TIMEZONE = "UTC";

/**
 * Parses a schedule expression.
 *
 * Accepted forms:
 * - 5-field cron `min hour dom mon dow` (second 0) or 6-field `sec min hour dom mon dow`, with
 *   standard semantics: day of week 0–7 (0 and 7 are Sunday), names `SUN`–`SAT` and
 *   `JAN`–`DEC`, ranges, lists and steps. The day fields combine as in Vixie cron: a day
 *   matches if either matches when both are restricted and neither starts with `*`, and must
 *   match both otherwise (so a step over `*` in day-of-month, every tenth day, still ANDs
 *   with a day-of-week).
 * - Shortcuts (case-insensitive): `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`,
 *   `@midnight`, `@hourly`.
 * - `@every <duration>` with units `s`, `m`, `h`, `d` (e.g. `@every 1h30m`): a fixed interval
 *   that ignores the time zone.
 *
 * Cron schedules follow croner's DST rules: a fixed local time that does not exist that day runs
 * when the clock jumps, and one that occurs twice runs once, at the first occurrence.
 *
 * @param expression The schedule expression.
 * @param timezone IANA time zone for cron schedules, "UTC" by default.
 * @returns The parsed schedule.
 * @throws {ScheduleError} If the expression or the time zone is invalid, or if the cron
 *   expression never fires (`0 0 31 2 *`).
 */
export function parseSchedule(expression: string, timezone: string = DEFAULT_TIMEZONE): Schedule {
  if (!isValidTimeZone(timezone)) {
    throw new ScheduleError("timezone", `unknown time zone ${JSON.stringify(timezone)}`);
  }
  const trimmed = expression.trim();
  if (trimmed === "") {
    throw expressionError(
      expression,
      "empty schedule (expected a cron expression, a shortcut such as @daily, or @every <duration>)",
    );
  }
  if (trimmed.startsWith("@")) return parseShortcut(expression, trimmed, timezone);

  const fields = trimmed.split(/\s+/);
  if (fields.length < CRON_FIELDS.min || fields.length > CRON_FIELDS.max) {
    throw expressionError(
      expression,
      `cron expression must have ${CRON_FIELDS.min} or ${CRON_FIELDS.max} fields, ` +
        `found ${fields.length}`,
    );
  }
  // croner runs in "6-part" mode so it never guesses: 5 fields get second 0.
  const pattern = (fields.length === CRON_FIELDS.min ? ["0", ...fields] : fields).join(" ");
  return new CronSchedule(expression, timezone, pattern);
}

/**
 * The next `count` fire times strictly after `after`, in order (fewer if the schedule ends).
 *
 * @param schedule The schedule.
 * @param after Times at or before this are excluded.
 * @param count How many fire times to return (a non-negative integer).
 * @param anchor For `@every`: where the intervals count from, `after` by default.
 * @returns Up to `count` dates.
 */
export function nextFireTimes(
  schedule: Schedule,
  after: Date,
  count: number,
  anchor?: Date,
): Date[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  }
  // Keep one anchor for all steps so @every times do not drift.
  const base = anchor ?? after;
  const out: Date[] = [];
  let cursor: Date = after;
  while (out.length < count) {
    const next = schedule.next(cursor, base);
    if (next === null) break;
    out.push(next);
    cursor = next;
  }
  return out;
}

/** An `@every <duration>` schedule: a pure interval counted from an anchor. */
class EverySchedule implements Schedule {
  readonly expression: string;
  readonly timezone: string;
  readonly kind = "every" as const;
  readonly everyMs: number;

  constructor(expression: string, timezone: string, everyMs: number) {
    this.expression = expression;
    this.timezone = timezone;
    this.everyMs = everyMs;
  }

  next(after: Date, anchor?: Date): Date | null {
    checkDate(after, "after");
    const from = anchor ?? after;
    checkDate(from, "anchor");
    const a = from.getTime();
    const t = after.getTime();
    // Smallest k ≥ 1 with a + k·interval > t, computed from the anchor (no accumulated drift).
    const k = t < a ? 1 : Math.floor((t - a) / this.everyMs) + 1;
    const next = new Date(a + k * this.everyMs);
    return Number.isNaN(next.getTime()) ? null : next;
  }
}

const VALID_SHORTCUTS = `${SHORTCUTS.join(", ")}, @every <duration>`;

/** Parses an expression starting with `@`: a shortcut or `@every <duration>`. */
function parseShortcut(expression: string, trimmed: string, timezone: string): Schedule {
  const [head, ...rest] = trimmed.split(/\s+/);
  const name = head.toLowerCase();
  if (name === "@every") {
    if (rest.length === 0) {
      throw expressionError(expression, "@every needs a duration, e.g. @every 5m or @every 1h30m");
    }
    const durationText = trimmed.slice(head.length).trim();
    try {
      return new EverySchedule(
        expression,
        timezone,
        parseDuration(durationText, { allowMilliseconds: false }),
      );
    } catch (error) {
      if (!(error instanceof DurationError)) throw error;
      throw expressionError(
        expression,
        `bad @every duration ${JSON.stringify(durationText)}: ${error.reason}`,
      );
    }
  }
  const pattern = SHORTCUT_PATTERNS.get(name);
  if (pattern === undefined) {
    throw expressionError(
      expression,
      `unknown shortcut ${JSON.stringify(head)} (valid: ${VALID_SHORTCUTS})`,
    );
  }
  if (rest.length > 0) {
    throw expressionError(expression, `shortcut ${name} takes no arguments`);
  }
  return new CronSchedule(expression, timezone, pattern);
}
