/**
 * Cron schedules on croner: one parsed, checked croner instance per (time zone, pattern),
 * shared between schedules, with the day fields combined as in Vixie cron (`day_fields.ts`),
 * patterns that never fire rejected and croner's parse errors reworded for users.
 *
 * @module
 */

import { Cron, CronPattern } from "croner";
import { dayFieldsAnded, neverFiresReason, surelyFires } from "./day_fields.ts";
import { checkDate, expressionError, type Schedule, ScheduleError } from "./types.ts";
import { offsetSpanAt } from "./zone.ts";

/**
 * How near a zone's transition (epoch ms) a computation goes to croner's zoned mode. croner
 * looks up to 3 h either side of a local time to tell folds and gaps; with 4 h, every instant
 * it would look at in fixed-offset mode lies in one offset span.
 */
const ZONE_MARGIN_MS = 4 * 3_600_000;

/**
 * A cron schedule backed by reusable croner instances.
 *
 * In a time zone, croner reads local times through `Intl.DateTimeFormat`, whose first use
 * costs ~6 MiB of resident ICU data (issue 11). Away from its transitions a zone is a fixed
 * UTC offset, where croner's `utcOffset` mode gives the same fire times with plain UTC
 * arithmetic; so the zoned croner (croner's DST rules) is asked only when a transition lies
 * within {@link ZONE_MARGIN_MS} of `after` or of the fire time found at the fixed offset.
 * tests/schedule/zone_fast_path_test.ts compares both on every zone.
 */
export class CronSchedule implements Schedule {
  readonly expression: string;
  readonly timezone: string;
  readonly kind = "cron" as const;
  readonly everyMs = null;
  readonly #pattern: string;
  #zoned: Cron | null = null;
  /** The fixed-offset instance last used by {@link next}, and its offset in minutes. */
  #fixed: Cron;
  #fixedOffset = 0;

  /** Parses and checks the 6-field `pattern` (throws {@link ScheduleError}). */
  constructor(expression: string, timezone: string, pattern: string) {
    this.expression = expression;
    this.timezone = timezone;
    this.#pattern = pattern;
    // Whether a pattern ever fires does not depend on the zone: checked once, at UTC.
    this.#fixed = cronFor(expression, pattern, { utcOffset: 0 }, checkFires);
  }

  next(after: Date, _anchor?: Date): Date | null {
    checkDate(after, "after");
    // croner's nextRun is strictly after its argument (it steps one second past the
    // reference with milliseconds dropped, then requires a later instant).
    const ms = after.getTime();
    const span = offsetSpanAt(this.timezone, ms);
    if (Number.isInteger(span.offsetMinutes) && ms - span.start >= ZONE_MARGIN_MS) {
      if (span.offsetMinutes !== this.#fixedOffset) {
        this.#fixed = cronFor(this.expression, this.#pattern, { utcOffset: span.offsetMinutes });
        this.#fixedOffset = span.offsetMinutes;
      }
      const fire = this.#fixed.nextRun(after);
      if (fire !== null && span.end - fire.getTime() > ZONE_MARGIN_MS) return fire;
    }
    this.#zoned ??= cronFor(this.expression, this.#pattern, { timezone: this.timezone });
    return this.#zoned.nextRun(after);
  }
}

/** Where a croner instance computes: a fixed offset from UTC (minutes) or a time zone. */
type CronZone = { readonly utcOffset: number } | { readonly timezone: string };

/** Parsed croner instances by zone and pattern; configs often repeat schedules. */
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
 * The croner instance for a 6-field pattern in `zone`, parsed once per (zone, pattern);
 * `check` runs on a new instance before it is cached (the constructor of
 * {@link CronSchedule} passes {@link checkFires}, so the cache holds only patterns that fire).
 */
function cronFor(
  expression: string,
  pattern: string,
  zone: CronZone,
  check?: (expression: string, pattern: string, cron: Cron) => void,
): Cron {
  const key = "utcOffset" in zone
    ? `@${zone.utcOffset}\n${pattern}`
    : `${zone.timezone}\n${pattern}`;
  const cached = cronCache.get(key);
  if (cached !== undefined) return cached;
  const fields = pattern.split(" ");
  let cron: Cron;
  try {
    // No callback: croner starts no timer, the instance only computes dates. It is never
    // triggered, so its run state stays empty and sharing it between schedules is safe.
    cron = new Cron(pattern, {
      ...zone,
      mode: "6-part",
      domAndDow: dayFieldsAnded(fields[3], fields[5]),
    });
  } catch (error) {
    throw expressionError(expression, describeCronerError(error));
  }
  check?.(expression, pattern, cron);
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
