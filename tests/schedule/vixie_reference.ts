/**
 * An exact reference of Vixie cron's semantics for 5-field expressions in UTC, written from its
 * `entry.c` (parsing: lists, ranges, `*`, steps, names, 7 as Sunday, and the `DOM_STAR` /
 * `DOW_STAR` flags taken from each day field's first character) and `cron.c` (`find_jobs()`:
 * the day fields AND when either flag is set, OR otherwise). Brute force on purpose: it checks
 * every minute of every matching day, so it is slow but plainly right.
 *
 * @module
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** A field's range, as `FIRST_*` and `LAST_*` in `cron.h`, and its names. */
export interface FieldSpec {
  /** Smallest value. */
  readonly low: number;
  /** Largest value. */
  readonly high: number;
  /** Lower-case names; `names[i]` stands for `low + i`. */
  readonly names?: readonly string[];
}

/** Minutes 0–59. */
export const MINUTE: FieldSpec = { low: 0, high: 59 };
/** Hours 0–23. */
export const HOUR: FieldSpec = { low: 0, high: 23 };
/** Days of month 1–31. */
export const DOM: FieldSpec = { low: 1, high: 31 };
/** Months 1–12, `jan`–`dec`. */
export const MONTH: FieldSpec = {
  low: 1,
  high: 12,
  names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
};
/** Days of week 0–7 (0 and 7 are both Sunday), `sun`–`sat` for 0–6. */
export const DOW: FieldSpec = {
  low: 0,
  high: 7,
  names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

/** A parsed entry: the sets `entry.c` builds and its two star flags. */
export interface VixieEntry {
  /** Matching minutes. */
  readonly minute: ReadonlySet<number>;
  /** Matching hours. */
  readonly hour: ReadonlySet<number>;
  /** Matching days of month. */
  readonly dom: ReadonlySet<number>;
  /** Matching months, 1–12. */
  readonly month: ReadonlySet<number>;
  /** Matching weekdays, 0–6 (7 adds 0). */
  readonly dow: ReadonlySet<number>;
  /** `DOM_STAR`: the day-of-month field's first character is `*`. */
  readonly domStar: boolean;
  /** `DOW_STAR`: the day-of-week field's first character is `*`. */
  readonly dowStar: boolean;
}

/** A number, or a name, as `get_number` reads it. */
function vixieNumber(text: string, spec: FieldSpec): number {
  if (/^\d+$/.test(text)) return Number(text);
  const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index < 0) throw new Error(`reference: bad value ${text}`);
  return spec.low + index;
}

/** `get_list`: comma-separated ranges, each `*` or `a` or `a-b`, with an optional `/step`. */
function vixieField(field: string, spec: FieldSpec): Set<number> {
  const out = new Set<number>();
  for (const element of field.split(",")) {
    const [range, stepText] = element.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let low: number;
    let high: number;
    if (range === "*") {
      [low, high] = [spec.low, spec.high];
    } else {
      const [a, b] = range.split("-");
      low = vixieNumber(a, spec);
      high = b === undefined ? low : vixieNumber(b, spec);
    }
    if (!(step >= 1) || low > high || low < spec.low || high > spec.high) {
      throw new Error(`reference: bad element ${element}`);
    }
    for (let v = low; v <= high; v += step) out.add(v);
  }
  return out;
}

/** Parses a 5-field expression (`min hour dom mon dow`) as `load_entry()` does. */
export function vixieEntry(expression: string): VixieEntry {
  const [minute, hour, dom, month, dow] = expression.trim().split(/\s+/);
  const dowSet = vixieField(dow, DOW);
  // entry.c: "make sundays equivalent": 0 and 7 set each other.
  if (dowSet.has(7)) dowSet.add(0);
  return {
    minute: vixieField(minute, MINUTE),
    hour: vixieField(hour, HOUR),
    dom: vixieField(dom, DOM),
    month: vixieField(month, MONTH),
    dow: dowSet,
    domStar: dom.startsWith("*"),
    dowStar: dow.startsWith("*"),
  };
}

/** `cron.c` `find_jobs()`: does the date of `dayMs` (UTC midnight) match? */
function vixieDateMatches(entry: VixieEntry, dayMs: number): boolean {
  const date = new Date(dayMs);
  if (!entry.month.has(date.getUTCMonth() + 1)) return false;
  const dom = entry.dom.has(date.getUTCDate());
  const dow = entry.dow.has(date.getUTCDay());
  return entry.domStar || entry.dowStar ? dom && dow : dom || dow;
}

/**
 * The first `count` fire times strictly after `after` and before `until`, brute force: every
 * minute of every day whose date matches. A day whose date does not match is skipped whole,
 * since no field finer than a day takes part in matching the date.
 */
export function vixieNext(
  entry: VixieEntry,
  after: number,
  count: number,
  until: number,
): number[] {
  const out: number[] = [];
  const first = Math.floor(after / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  for (let day = Math.floor(first / DAY_MS) * DAY_MS; day < until; day += DAY_MS) {
    if (!vixieDateMatches(entry, day)) continue;
    for (let t = Math.max(day, first); t < day + DAY_MS && t < until; t += MINUTE_MS) {
      const date = new Date(t);
      if (entry.hour.has(date.getUTCHours()) && entry.minute.has(date.getUTCMinutes())) {
        out.push(t);
        if (out.length === count) return out;
      }
    }
  }
  return out;
}

/** Whether the date fields match any day of a 400-year cycle, after which the calendar repeats. */
export function vixieEverFires(entry: VixieEntry): boolean {
  const from = Date.UTC(2000, 0, 1);
  const to = Date.UTC(2400, 0, 1);
  for (let day = from; day < to; day += DAY_MS) {
    if (vixieDateMatches(entry, day)) return true;
  }
  return false;
}
