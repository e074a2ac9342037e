/**
 * Job schedules: cron expressions (5 or 6 fields), `@daily`-style shortcuts and `@every
 * <duration>` intervals, evaluated in an IANA time zone. Cron matching and DST handling are
 * croner's; this module normalizes expressions, makes the day fields combine as in Vixie cron
 * (`day_fields.ts`), rejects schedules that never fire and words the errors.
 *
 * @module
 */

import { Cron, CronPattern } from "croner";
import { DurationError, durationPatternSource, parseDuration } from "./duration.ts";
import { dayFieldsAnded, neverFiresReason, surelyFires } from "./day_fields.ts";

/**
 * Thrown by {@link parseSchedule} when the expression or the time zone is invalid, including a
 * cron expression that never fires.
 */
export class ScheduleError extends Error {
  /** Which input is wrong. */
  readonly field: "expression" | "timezone";

  /**
   * @param field Which input is wrong.
   * @param message A complete, user-facing message.
   */
  /** Builds the error. */
  constructor(field: "expression" | "timezone", message: string) {
    super(message);
    this.name = "ScheduleError";
    this.field = field;
  }
}

/** A parsed schedule: when a job fires. */
export interface Schedule {
  /** The expression as the user wrote it. */
  readonly expression: string;
  /** IANA time zone, "UTC" by default. */
  readonly timezone: string;
  /** `cron` for cron expressions and shortcuts, `every` for `@every <duration>`. */
  readonly kind: "cron" | "every";
  /** Interval for @every schedules, null for cron. */
  readonly everyMs: number | null;
  /**
   * Next fire time strictly after `after`, or null if none.
   *
   * For `@every`, the result is the smallest `anchor + k * everyMs` (k ≥ 1) after `after`;
   * `anchor` defaults to `after`. Cron schedules ignore `anchor`.
   */
  next(after: Date, anchor?: Date): Date | null;
}

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

// Building an Intl.DateTimeFormat costs far more than a lookup, and configs repeat zones.
const timeZoneValidity = new Map<string, boolean>();

/**
 * Whether `tz` is a time zone this runtime knows (IANA names such as `Europe/Berlin`, `UTC`).
 *
 * @param tz The time zone name.
 * @returns True if `Intl.DateTimeFormat` accepts it.
 */
export function isValidTimeZone(tz: string): boolean {
  const known = timeZoneValidity.get(tz);
  if (known !== undefined) return known;
  let valid = tz.trim() !== "";
  if (valid) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      valid = false;
    }
  }
  timeZoneValidity.set(tz, valid);
  return valid;
}

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

/** A cron schedule backed by one reusable croner instance. */
class CronSchedule implements Schedule {
  readonly expression: string;
  readonly timezone: string;
  readonly kind = "cron" as const;
  readonly everyMs = null;
  readonly #cron: Cron;

  constructor(expression: string, timezone: string, pattern: string) {
    this.expression = expression;
    this.timezone = timezone;
    this.#cron = cronFor(expression, pattern, timezone);
  }

  next(after: Date, _anchor?: Date): Date | null {
    checkDate(after, "after");
    // croner's nextRun is strictly after its argument (it steps one second past the
    // reference with milliseconds dropped, then requires a later instant).
    return this.#cron.nextRun(after);
  }
}

/** Parsed croner instances by time zone and pattern; configs often repeat schedules. */
const cronCache = new Map<string, Cron>();
const CRON_CACHE_LIMIT = 10_000;

/** croner fills a 10,000-slot year table per pattern even when the year is `*`. */
const YEAR_SLOTS = 10_000;
const EVERY_YEAR: readonly number[] = Object.freeze(new Array<number>(YEAR_SLOTS).fill(1));

/**
 * Where the never-fires check starts looking. croner gives up at year 3000 when the year is `*`
 * (always, in 6-part mode), and the Gregorian calendar repeats every 400 years, so a pattern
 * with no fire time from here has none at all. A fixed start keeps the check deterministic.
 */
const NEVER_FIRES_PROBE_FROM = new Date(Date.UTC(2000, 0, 1));

/**
 * The croner instance for a 6-field pattern, parsed and checked once per (time zone, pattern):
 * the cache holds only patterns that fire, so the check runs once per distinct schedule.
 */
function cronFor(expression: string, pattern: string, timezone: string): Cron {
  const key = `${timezone}\n${pattern}`;
  const cached = cronCache.get(key);
  if (cached !== undefined) return cached;
  const fields = pattern.split(" ");
  let cron: Cron;
  try {
    // No callback: croner starts no timer, the instance only computes dates. It is never
    // triggered, so its run state stays empty and sharing it between schedules is safe.
    cron = new Cron(pattern, {
      timezone,
      mode: "6-part",
      domAndDow: dayFieldsAnded(fields[3], fields[5]),
    });
  } catch (error) {
    throw expressionError(expression, describeCronerError(error));
  }
  checkFires(expression, pattern, cron);
  shareYearTable(cron);
  if (cronCache.size >= CRON_CACHE_LIMIT) cronCache.clear();
  cronCache.set(key, cron);
  return cron;
}

/**
 * Throws if the pattern never fires. Most patterns pass {@link surelyFires}, which reads
 * croner's parsed tables; the rest ask croner for a fire time, which takes 0.1–0.7 ms when
 * there is one (yearly and leap-day patterns) and 2–5 ms when there is none (croner walks to
 * year 3000). Asking every pattern costs about 50 µs each in a time zone. Measured on the 1,000
 * distinct schedules of the parse-time test in tests/schedule/schedule_test.ts (4 zones, 5
 * rounds each, two runs): 23–64 ms without the check, 57–107 ms asking croner for every pattern,
 * 30–58 ms with surelyFires first.
 */
function checkFires(expression: string, pattern: string, cron: Cron): void {
  const parsed = parsedPattern(cron);
  if (parsed !== undefined && surelyFires(parsed)) return;
  if (cron.nextRun(NEVER_FIRES_PROBE_FROM) !== null) return;
  const reason = neverFiresReason(
    parsed ?? new CronPattern(pattern, undefined, { mode: "6-part" }),
  );
  throw new ScheduleError(
    "expression",
    `schedule ${JSON.stringify(expression.trim())} never fires (${reason})`,
  );
}

/** croner's parsed pattern, an internal of croner 11; undefined if its shape differs. */
function parsedPattern(cron: Cron): CronPattern | undefined {
  const pattern = (cron as unknown as { _states?: { pattern?: unknown } })._states?.pattern;
  return pattern instanceof CronPattern ? pattern : undefined;
}

/**
 * Swaps croner's per-pattern year table (about 80 KB, all ones when the year is `*`, which is
 * always the case in 6-part mode) for one shared table with the same content. Without this,
 * 1,000 schedules hold about 84 MB. It relies on croner 11 internals, so it checks their shape
 * and does nothing if they differ; the shared table is equal, so matching cannot change.
 */
function shareYearTable(cron: Cron): void {
  const internals = cron as unknown as {
    _states?: { pattern?: { starYear?: unknown; year?: unknown } };
  };
  const pattern = internals._states?.pattern;
  if (
    pattern !== undefined && pattern.starYear === true && Array.isArray(pattern.year) &&
    pattern.year.length === YEAR_SLOTS
  ) {
    pattern.year = EVERY_YEAR;
  }
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

/** A ScheduleError about the expression, quoting it. */
function expressionError(expression: string, reason: string): ScheduleError {
  return new ScheduleError(
    "expression",
    `invalid schedule ${JSON.stringify(expression.trim())}: ${reason}`,
  );
}

/** Rejects Invalid Date values, which croner would otherwise throw on with a vague message. */
function checkDate(date: Date, name: string): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError(`${name} must be a valid Date`);
  }
}

/** croner field keys → names users know; croner shifts day and month values to 0-based. */
const CRONER_FIELDS: Readonly<Record<string, { name: string; offset: number; range: string }>> = {
  second: { name: "second", offset: 0, range: "0-59" },
  minute: { name: "minute", offset: 0, range: "0-59" },
  hour: { name: "hour", offset: 0, range: "0-23" },
  day: { name: "day-of-month", offset: 1, range: "1-31" },
  nearestWeekdays: { name: "day-of-month", offset: 1, range: "1-31" },
  month: { name: "month", offset: 1, range: "1-12 or JAN-DEC" },
  dayOfWeek: { name: "day-of-week", offset: 0, range: "0-7 or SUN-SAT, 0 and 7 are Sunday" },
};

/** Field names by croner's position in its internal 7-part pattern. */
const FIELD_BY_INDEX = ["second", "minute", "hour", "day-of-month", "month", "day-of-week"];

/** Rewords croner's parse errors (its prefix, 0-based values, field indexes) for users. */
function describeCronerError(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const text = raw.replace(/^CronPattern:\s*/, "");

  const outOfRange = /^Invalid value for (\w+): (-?\d+)$/.exec(text);
  const field = outOfRange ? CRONER_FIELDS[outOfRange[1]] : undefined;
  if (outOfRange && field) {
    const value = Number(outOfRange[2]) + field.offset;
    return `${field.name} value ${value} is out of range (${field.range})`;
  }
  const illegal = /^configuration entry (\d) \((.*)\) contains illegal characters\.$/.exec(text);
  if (illegal) {
    const name = FIELD_BY_INDEX[Number(illegal[1])] ?? "some";
    return `${name} field ${JSON.stringify(illegal[2])} contains characters that are not allowed`;
  }
  const empty = /^configuration entry (\w+) \(.*\) is empty/.exec(text);
  if (empty) {
    return `empty value in the ${CRONER_FIELDS[empty[1]]?.name ?? empty[1]} field`;
  }
  return text.replace(/\.$/, "");
}
