/**
 * The two day fields of a cron expression: how they combine (as in Vixie cron), whether a day
 * and month they name exist together, and, for a pattern that never fires, which combination is
 * to blame. Pure functions over the field text and croner's parsed pattern; no permissions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CronPattern } from "croner";
 * import { dayFieldsAnded, neverFiresReason, type ParsedDays, surelyFires } from "./day_fields.ts";
 *
 * assert.ok(dayFieldsAnded("*\/10", "1"));
 * const february31: ParsedDays = new CronPattern("0 0 0 31 2 *", undefined, { mode: "6-part" });
 * assert.ok(!surelyFires(february31));
 * assert.equal(neverFiresReason(february31), "day 31 does not occur in February");
 * ```
 *
 * @module
 */

/**
 * The parts of croner's parsed pattern (`CronPattern`) that say which days match. Tables are
 * indexed from 0 (day 1, January, Sunday) and a non-zero entry matches.
 */
export interface ParsedDays {
  /** Days of month. */
  readonly day: readonly number[];
  /** Days of month written with `W` (nearest weekday). */
  readonly nearestWeekdays: readonly number[];
  /** Months. */
  readonly month: readonly number[];
  /** Weekdays: 63 for a plain weekday, other bits for `#n` and `L`. */
  readonly dayOfWeek: readonly number[];
  /** The day-of-month field has `L` (last day). */
  readonly lastDayOfMonth: boolean;
  /** The day-of-month field is `LW` (last weekday). */
  readonly lastWeekday: boolean;
  /** The day-of-week field is exactly `*`. */
  readonly starDOW: boolean;
}

/**
 * Whether a day matches only if **both** day fields match (AND), rather than either (OR).
 *
 * Vixie cron flags a day field as unrestricted (`DOM_STAR`, `DOW_STAR` in `entry.c`) when its
 * first character is `*`, before reading the rest: `*`, `*,5` and a step over `*` (every tenth
 * day) all count as unrestricted, while `1-31` and `10,*` do not. A day matches if either field
 * matches only when neither is flagged; otherwise both must match. croner flags a field only
 * when it is exactly `*`, so "every tenth day, on Mondays" would be OR there and AND in Vixie:
 * the caller passes this result as croner's `domAndDow` option. `?` counts as `*` because
 * croner reads it as `*`.
 *
 * @param dayOfMonth The day-of-month field as written.
 * @param dayOfWeek The day-of-week field as written.
 * @returns True if the fields are ANDed.
 */
export function dayFieldsAnded(dayOfMonth: string, dayOfWeek: string): boolean {
  return startsWithStar(dayOfMonth) || startsWithStar(dayOfWeek);
}

function startsWithStar(field: string): boolean {
  return field.startsWith("*") || field.startsWith("?");
}

/** Days in each month (0 = January) in the longest year: February has 29 in leap years. */
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;

/** croner's mark for a plain weekday; `#n` and `L` (nth and last weekday) set other bits. */
const PLAIN_WEEKDAY = 63;

/**
 * Whether a parsed pattern surely fires: some day it names exists in some month it names, and
 * its weekdays are plain (no `#n` or `L`). Every date falls on every weekday over the years and
 * the time fields are never empty, so such a pattern fires whether its day fields AND or OR.
 * This is a cheap, sufficient check that spares most patterns croner's search for the next fire
 * time (about 50 µs in a time zone); a pattern it is unsure of is not necessarily dead. It
 * judges the calendar, not daylight saving time.
 *
 * @param parsed croner's parsed pattern (a `CronPattern`).
 * @returns True if the pattern fires at least once; false if unsure.
 */
export function surelyFires(parsed: ParsedDays): boolean {
  if (parsed.dayOfWeek.some((mark) => mark !== 0 && mark !== PLAIN_WEEKDAY)) return false;
  if (!parsed.starDOW && !parsed.dayOfWeek.some((mark) => mark !== 0)) return false;
  const months = indexesSet(parsed.month);
  if (parsed.lastDayOfMonth || parsed.lastWeekday) return months.length > 0;
  const firstDay = parsed.day.findIndex((mark) => mark !== 0) + 1;
  return firstDay > 0 && months.some((m) => firstDay <= MAX_DAYS[m]);
}

/**
 * Why a 6-field croner pattern that has no fire time never fires, in words for users.
 *
 * The usual cause is a day of month that none of the chosen months has (`0 0 31 2 *`,
 * `0 0 31 4,6,9,11 *`); the answer then names the day and the months. Anything else (croner's
 * extensions such as `W` or `#`, or a time that daylight saving time always skips) gets a
 * general answer.
 *
 * @param parsed croner's parsed pattern (a `CronPattern`).
 * @returns A lower-case reason without a final period.
 */
export function neverFiresReason(parsed: ParsedDays): string {
  const general = "no time matches all of its fields";
  // The last day (L) and last weekday (LW) exist in every month.
  if (parsed.lastDayOfMonth || parsed.lastWeekday) return general;
  const days = indexesSet(parsed.day, parsed.nearestWeekdays).map((i) => i + 1);
  const months = indexesSet(parsed.month);
  if (days.length === 0 || months.length === 0) return general;
  const firstDay = Math.min(...days);
  if (!months.every((m) => firstDay > MAX_DAYS[m])) return general;
  const dayWords = days.length === 1 ? `day ${days[0]} does` : `days ${listWords(days, "and")} do`;
  return `${dayWords} not occur in ${listWords(months.map((m) => MONTH_NAMES[m]), "or")}`;
}

/** Indexes whose entry is non-zero in any of `tables` (croner marks matches with non-zero). */
function indexesSet(...tables: (readonly number[])[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < tables[0].length; i++) {
    if (tables.some((table) => table[i])) out.push(i);
  }
  return out;
}

/** `[a, b, c]` → "a, b or c". */
function listWords(items: readonly (string | number)[], conjunction: "and" | "or"): string {
  const words = items.map(String);
  if (words.length === 1) return words[0];
  return `${words.slice(0, -1).join(", ")} ${conjunction} ${words[words.length - 1]}`;
}
