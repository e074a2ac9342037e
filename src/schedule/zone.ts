/**
 * Time-zone facts for schedules, read through Temporal: whether a zone is known, and the span
 * of time around an instant in which a zone keeps one UTC offset. Temporal reads the same zone
 * data as Intl (every name Intl accepts, the same offsets), but costs ~1.5 MiB of RSS once,
 * where the first `Intl.DateTimeFormat` costs ~6 MiB (ICU's date-formatting data; issue 11,
 * bench/README.md). `cron.ts` uses the spans to compute most fire times at a fixed offset.
 *
 * @module
 */

/** An interval `[start, end)` of epoch milliseconds in which a zone's offset stays the same. */
export interface OffsetSpan {
  /** The transition that began this offset (epoch ms), or -Infinity if there was none. */
  readonly start: number;
  /** The next transition (epoch ms), or Infinity if the zone has no later one. */
  readonly end: number;
  /** The offset from UTC in minutes (fractional for old local mean times). */
  readonly offsetMinutes: number;
}

const NS_PER_MINUTE = 60e9;

// Known zones by name; the last span asked for, by zone (fire times mostly move forward).
const known = new Map<string, boolean>();
const lastSpan = new Map<string, OffsetSpan>();

/**
 * Whether `tz` is a time zone this runtime knows (IANA names such as `Europe/Berlin`, `UTC`,
 * in any case, and the aliases and offsets Intl accepts).
 *
 * @param tz The time zone name.
 * @returns True if Temporal (and so Intl) accepts it.
 */
export function isValidTimeZone(tz: string): boolean {
  const cached = known.get(tz);
  if (cached !== undefined) return cached;
  let valid = tz.trim() !== "";
  if (valid) {
    try {
      Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(tz);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      valid = false;
    }
  }
  known.set(tz, valid);
  return valid;
}

/** The span of `tz` (a known zone) that contains the instant `ms`. */
export function offsetSpanAt(tz: string, ms: number): OffsetSpan {
  const cached = lastSpan.get(tz);
  if (cached !== undefined && cached.start <= ms && ms < cached.end) return cached;
  const at = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(tz);
  // "previous" is strictly before its instant: asked from 1 ms later, a transition at `ms`
  // itself counts as this span's start.
  const previous = Temporal.Instant.fromEpochMilliseconds(ms + 1).toZonedDateTimeISO(tz)
    .getTimeZoneTransition("previous");
  const next = at.getTimeZoneTransition("next");
  const span: OffsetSpan = {
    start: previous?.epochMilliseconds ?? -Infinity,
    end: next?.epochMilliseconds ?? Infinity,
    offsetMinutes: at.offsetNanoseconds / NS_PER_MINUTE,
  };
  lastSpan.set(tz, span);
  return span;
}
